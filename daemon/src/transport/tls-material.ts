// The TLS material of this node (cluster CA, node certificate, node key) and the peer identity
// rule of the transport.
// Owns: loading and checking the three PEM files at start-up, and mapping a verified peer
// certificate to a node id.
// Invariants:
// - A TlsMaterial returned by loadTlsMaterial has a certificate issued and signed by the CA,
//   whose CN is this node's id, which is currently valid, and whose key matches it; the key
//   file grants group and others no access (like ssh, a key others can read is refused).
// - peerIdFromCertificate only ever returns a configured peer id other than ourselves; any
//   other certificate (no CN, several CNs, unknown id) yields null, i.e. "refuse".
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import type { PeerCertificate } from 'node:tls';
import { OpError } from '../common/errors.js';
import { TLS_MAX_PEM_BYTES } from '../common/limits.js';
import { isNodeId, type NodeId } from '../common/types.js';

/** PEM text. Invariant (when from loadTlsMaterial): see the file comment. */
export interface TlsMaterial {
  caPem: string;
  certPem: string;
  keyPem: string;
}

/** Files larger than this are not PEM certificates or keys we made. */

function readPem(what: string, path: string): string {
  let text: string;
  try {
    const buf = readFileSync(path);
    if (buf.length > TLS_MAX_PEM_BYTES) throw new OpError('E_BAD_CONFIG', `${path}: the ${what} file is larger than ${TLS_MAX_PEM_BYTES} bytes`);
    text = buf.toString('utf8');
  } catch (e) {
    if (e instanceof OpError) throw e;
    throw new OpError('E_BAD_CONFIG', `${path}: cannot read the ${what} file: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { file: path });
  }
  return text;
}

/** Group/other permission bits a private key file must not have. */
const KEY_FORBIDDEN_MODE_BITS = 0o077;

/** Refuses a key file that group or others may access. Throws OpError('E_BAD_CONFIG'). */
export function checkKeyFileMode(path: string): void {
  let mode: number;
  try {
    mode = statSync(path).mode;
  } catch (e) {
    throw new OpError('E_BAD_CONFIG', `${path}: cannot read the tls.key file: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { file: path });
  }
  if ((mode & KEY_FORBIDDEN_MODE_BITS) !== 0) {
    const octal = (mode & 0o777).toString(8).padStart(4, '0');
    throw new OpError('E_BAD_CONFIG', `${path}: the private key is accessible by group or others (mode ${octal}); it must be 0600 or stricter (chmod 600 ${path})`, { file: path, mode: octal });
  }
}

/** Reads and cross-checks ca/cert/key for node `self`. Throws OpError('E_BAD_CONFIG'). */
export function loadTlsMaterial(paths: { caPath: string; certPath: string; keyPath: string }, self: NodeId, nowMs: number): TlsMaterial {
  checkKeyFileMode(paths.keyPath);
  const caPem = readPem('tls.ca', paths.caPath);
  const certPem = readPem('tls.cert', paths.certPath);
  const keyPem = readPem('tls.key', paths.keyPath);
  checkTlsMaterial({ caPem, certPem, keyPem }, self, nowMs, paths);
  return { caPem, certPem, keyPem };
}

/** The checks of loadTlsMaterial on PEM text already in memory. */
export function checkTlsMaterial(m: TlsMaterial, self: NodeId, nowMs: number, names = { caPath: 'tls.ca', certPath: 'tls.cert', keyPath: 'tls.key' }): void {
  const fail = (file: string, msg: string): never => {
    throw new OpError('E_BAD_CONFIG', `${file}: ${msg}`, { file });
  };
  let ca: X509Certificate;
  let cert: X509Certificate;
  try {
    ca = new X509Certificate(m.caPem);
  } catch {
    return fail(names.caPath, 'not a PEM certificate');
  }
  try {
    cert = new X509Certificate(m.certPem);
  } catch {
    return fail(names.certPath, 'not a PEM certificate');
  }
  if (!ca.ca) fail(names.caPath, 'not a CA certificate');
  if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) fail(names.certPath, `not signed by the CA in ${names.caPath}`);
  const cn = commonNameOf(cert.subject);
  if (cn !== self) fail(names.certPath, `its CN is ${JSON.stringify(cn)}, but node-id is ${JSON.stringify(self)}`);
  for (const [c, file] of [[ca, names.caPath], [cert, names.certPath]] as const) {
    if (Date.parse(c.validFrom) > nowMs || Date.parse(c.validTo) <= nowMs) {
      fail(file, `the certificate is not valid now (valid ${c.validFrom} to ${c.validTo})`);
    }
  }
  let keyMatches = false;
  try {
    keyMatches = cert.checkPrivateKey(createPrivateKey(m.keyPem));
  } catch {
    fail(names.keyPath, 'not a PEM private key');
  }
  if (!keyMatches) fail(names.keyPath, `the key does not belong to ${names.certPath}`);
}

/** When this node's certificate and the CA stop being valid (epoch ms): the expiry metric. */
export function tlsExpiryMs(m: TlsMaterial): { certMs: number; caMs: number } {
  return { certMs: Date.parse(new X509Certificate(m.certPem).validTo), caMs: Date.parse(new X509Certificate(m.caPem).validTo) };
}

/** The single CN in an X509Certificate subject string ("CN=node1\nO=x"), or null. */
function commonNameOf(subject: string): string | null {
  const cns = subject.split('\n').filter((l) => l.startsWith('CN=')).map((l) => l.slice(3));
  return cns.length === 1 ? cns[0] : null;
}

/** The node id a verified peer certificate stands for, or null to refuse it. */
export function peerIdFromCertificate(cert: PeerCertificate | null | undefined, peers: ReadonlySet<NodeId>, self: NodeId): NodeId | null {
  if (cert === null || cert === undefined || typeof cert !== 'object') return null;
  const cn: unknown = cert.subject?.CN;
  if (typeof cn !== 'string' || !isNodeId(cn) || cn === self || !peers.has(cn)) return null;
  return cn;
}
