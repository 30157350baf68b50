// Cluster certificate generation (`mdclusterd gen-certs`): a private cluster CA and one
// certificate per node, for the mutual-TLS peer transport.
// Owns: key generation (node:crypto, RSA 2048), X.509 construction and signing (node-forge),
// the file layout in the output directory and the file modes.
// Invariants:
// - Each node certificate has CN = node id, is signed by the CA, has basicConstraints CA:false,
//   keyUsage digitalSignature+keyEncipherment, extKeyUsage serverAuth+clientAuth, and a
//   subjectAltName with the node id (when it is a valid DNS name) and its given hosts.
// - Key files are written mode 0600, certificates 0644, the directory 0700 when created; each
//   file is written to a temporary name and renamed, so no reader sees a half-written file.
// - An existing CA in the directory (ca.crt + ca.key) is reused, so nodes can be added later;
//   existing node files are only replaced with `force`.
// - No shelling out (no openssl).
import { generateKeyPair, randomBytes, X509Certificate, createPrivateKey } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync, unlinkSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import forge from 'node-forge';
import { OpError } from '../common/errors.js';
import { CERT_MAX_HOSTS_PER_NODE, CERT_MAX_VALIDITY_DAYS, RAFT_MAX_MEMBERS } from '../common/limits.js';
import { isNodeId, type NodeId } from '../common/types.js';
import { isHostName } from '../config/hostport.js';

export const CA_CERT_FILE = 'ca.crt';
export const CA_KEY_FILE = 'ca.key';
export const nodeCertFile = (id: NodeId): string => `${id}.crt`;
export const nodeKeyFile = (id: NodeId): string => `${id}.key`;

const RSA_MODULUS_BITS = 2048;
export const DEFAULT_CA_DAYS = 3650;
export const DEFAULT_NODE_DAYS = 1825;
const KEY_FILE_MODE = 0o600;
const CERT_FILE_MODE = 0o644;
const DIR_MODE = 0o700;
const MS_PER_DAY = 86_400_000;
/** Backdating of notBefore, so peers whose clocks lag a little accept a fresh certificate. */
const NOT_BEFORE_SKEW_MS = 3_600_000;

export interface GenCertsOptions {
  dir: string;
  nodes: NodeId[];
  /** Extra subjectAltName entries (IPs or DNS names) per node. */
  hosts: ReadonlyMap<NodeId, string[]>;
  nodeDays?: number;
  caDays?: number;
  force?: boolean;
  /** Clock for validity periods (tests). */
  now?: () => Date;
}

export interface GenCertsResult {
  caReused: boolean;
  /** Absolute or dir-relative paths of the files written. */
  written: string[];
}

interface Pem {
  certPem: string;
  keyPem: string;
}

/** Generates (or reuses) the CA and writes one certificate + key per node into opts.dir. */
export async function generateClusterCerts(opts: GenCertsOptions): Promise<GenCertsResult> {
  validateOptions(opts);
  const now = opts.now ?? (() => new Date());
  ensureDir(opts.dir);
  for (const id of opts.nodes) {
    for (const f of [nodeCertFile(id), nodeKeyFile(id)]) {
      if (!opts.force && existsSync(join(opts.dir, f))) {
        throw new OpError('E_USAGE', `${join(opts.dir, f)} already exists; pass --force to replace it`);
      }
    }
  }
  const written: string[] = [];
  let ca = loadExistingCa(opts.dir);
  const caReused = ca !== null;
  if (ca === null) {
    ca = await makeCa(opts.caDays ?? DEFAULT_CA_DAYS, now());
    writeAtomic(join(opts.dir, CA_KEY_FILE), ca.keyPem, KEY_FILE_MODE);
    writeAtomic(join(opts.dir, CA_CERT_FILE), ca.certPem, CERT_FILE_MODE);
    written.push(join(opts.dir, CA_KEY_FILE), join(opts.dir, CA_CERT_FILE));
  }
  const made = await Promise.all(opts.nodes.map((id) => makeNodeCert(ca, id, opts.hosts.get(id) ?? [], opts.nodeDays ?? DEFAULT_NODE_DAYS, now())));
  opts.nodes.forEach((id, i) => {
    writeAtomic(join(opts.dir, nodeKeyFile(id)), made[i].keyPem, KEY_FILE_MODE);
    writeAtomic(join(opts.dir, nodeCertFile(id)), made[i].certPem, CERT_FILE_MODE);
    written.push(join(opts.dir, nodeKeyFile(id)), join(opts.dir, nodeCertFile(id)));
  });
  return { caReused, written };
}

function validateOptions(opts: GenCertsOptions): void {
  if (opts.nodes.length === 0 || opts.nodes.length > RAFT_MAX_MEMBERS) {
    throw new OpError('E_USAGE', `expected 1 to ${RAFT_MAX_MEMBERS} node ids, got ${opts.nodes.length}`);
  }
  if (new Set(opts.nodes).size !== opts.nodes.length) throw new OpError('E_USAGE', 'node ids must be distinct');
  for (const id of opts.nodes) {
    if (!isNodeId(id)) throw new OpError('E_USAGE', `invalid node id ${JSON.stringify(id)}`);
  }
  for (const [id, hosts] of opts.hosts) {
    if (!opts.nodes.includes(id)) throw new OpError('E_USAGE', `--hosts names ${JSON.stringify(id)}, which is not in --nodes`);
    if (hosts.length > CERT_MAX_HOSTS_PER_NODE) throw new OpError('E_USAGE', `at most ${CERT_MAX_HOSTS_PER_NODE} hosts per node`);
    for (const h of hosts) {
      if (isIP(h) === 0 && !isHostName(h)) throw new OpError('E_USAGE', `host ${JSON.stringify(h)} for ${id} is neither an IP address nor a DNS name`);
    }
  }
  for (const d of [opts.nodeDays, opts.caDays]) {
    if (d !== undefined && (!Number.isSafeInteger(d) || d < 1 || d > CERT_MAX_VALIDITY_DAYS)) {
      throw new OpError('E_USAGE', `validity must be 1 to ${CERT_MAX_VALIDITY_DAYS} days, got ${d}`);
    }
  }
}

function ensureDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: DIR_MODE });
  } catch (e) {
    throw new OpError('E_USAGE', `cannot create ${dir}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
}

function loadExistingCa(dir: string): Pem | null {
  const certPath = join(dir, CA_CERT_FILE);
  const keyPath = join(dir, CA_KEY_FILE);
  const haveCert = existsSync(certPath);
  const haveKey = existsSync(keyPath);
  if (!haveCert && !haveKey) return null;
  if (haveCert !== haveKey) {
    throw new OpError('E_USAGE', `${dir} has only one of ${CA_CERT_FILE} and ${CA_KEY_FILE}; remove it or restore the other`);
  }
  try {
    const certPem = readFileSync(certPath, 'utf8');
    const keyPem = readFileSync(keyPath, 'utf8');
    const cert = new X509Certificate(certPem);
    if (!cert.ca || !cert.checkPrivateKey(createPrivateKey(keyPem))) {
      throw new OpError('E_USAGE', `${certPath} is not a CA certificate matching ${keyPath}`);
    }
    return { certPem, keyPem };
  } catch (e) {
    if (e instanceof OpError) throw e;
    throw new OpError('E_USAGE', `cannot reuse the CA in ${dir}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

async function newRsaKeyPair(): Promise<{ publicPem: string; privatePem: string }> {
  return new Promise((resolve, reject) => {
    generateKeyPair('rsa', {
      modulusLength: RSA_MODULUS_BITS,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    }, (err, publicPem, privatePem) => (err ? reject(err) : resolve({ publicPem, privatePem })));
  });
}

/** A positive, random 128-bit serial number in hex (high bit clear so DER keeps it positive). */
function randomSerialHex(): string {
  const b = randomBytes(16);
  b[0] &= 0x7f;
  b[0] |= 0x01;
  return b.toString('hex');
}

function baseCert(publicPem: string, days: number, now: Date): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicPem);
  cert.serialNumber = randomSerialHex();
  cert.validity.notBefore = new Date(now.getTime() - NOT_BEFORE_SKEW_MS);
  cert.validity.notAfter = new Date(now.getTime() + days * MS_PER_DAY);
  return cert;
}

async function makeCa(days: number, now: Date): Promise<Pem> {
  const { publicPem, privatePem } = await newRsaKeyPair();
  const cert = baseCert(publicPem, days, now);
  const subject = [{ name: 'commonName', value: 'mdclusterd cluster CA' }, { name: 'organizationName', value: 'mdclusterd' }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(privatePem), forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: privatePem };
}

async function makeNodeCert(ca: Pem, id: NodeId, hosts: string[], days: number, now: Date): Promise<Pem> {
  const { publicPem, privatePem } = await newRsaKeyPair();
  const caCert = forge.pki.certificateFromPem(ca.certPem);
  const cert = baseCert(publicPem, days, now);
  cert.setSubject([{ name: 'commonName', value: id }, { name: 'organizationName', value: 'mdclusterd' }]);
  cert.setIssuer(caCert.subject.attributes);
  const names = [...new Set([...(isHostName(id) ? [id] : []), ...hosts])];
  const altNames = names.map((h) => (isIP(h) !== 0 ? { type: 7, ip: h } : { type: 2, value: h }));
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
    ...(altNames.length > 0 ? [{ name: 'subjectAltName', altNames }] : []),
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(ca.keyPem), forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: privatePem };
}

export function writeAtomic(path: string, text: string, mode: number): void {
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    writeFileSync(tmp, text, { mode, flag: 'wx' });
    renameSync(tmp, path);
  } catch (e) {
    try { unlinkSync(tmp); } catch { /* already gone */ }
    throw new OpError('E_USAGE', `cannot write ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
}
