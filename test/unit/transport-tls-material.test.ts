// Start-up checks of this node's TLS files, and the peer-identity rule for certificates.
import { chmodSync, copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PeerCertificate } from 'node:tls';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateClusterCerts } from '../../daemon/src/transport/certs.js';
import { loadTlsMaterial, peerIdFromCertificate, tlsExpiryMs } from '../../daemon/src/transport/tls-material.js';
import { OpError } from '../../daemon/src/common/errors.js';
import { nodeId } from '../../daemon/src/common/types.js';

const n1 = nodeId('n1');
let dir: string;
let other: string;
const paths = (d: string, id: string, ca = d) => ({ caPath: join(ca, 'ca.crt'), certPath: join(d, `${id}.crt`), keyPath: join(d, `${id}.key`) });

function refused(p: { caPath: string; certPath: string; keyPath: string }, self = n1, nowMs = Date.now()): string {
  try {
    loadTlsMaterial(p, self, nowMs);
  } catch (e) {
    expect(e).toBeInstanceOf(OpError);
    expect((e as OpError).code).toBe('E_BAD_CONFIG');
    return (e as OpError).message;
  }
  throw new Error('accepted');
}

beforeAll(async () => {
  dir = join(mkdtempSync(join(tmpdir(), 'mdtls-')), 'a');
  other = join(mkdtempSync(join(tmpdir(), 'mdtls-')), 'b');
  await Promise.all([
    generateClusterCerts({ dir, nodes: [n1, nodeId('n2')], hosts: new Map() }),
    generateClusterCerts({ dir: other, nodes: [n1], hosts: new Map() }),
  ]);
});

describe('loadTlsMaterial', () => {
  it('accepts a consistent set', () => {
    const m = loadTlsMaterial(paths(dir, 'n1'), n1, Date.now());
    expect(m.certPem).toMatch(/BEGIN CERTIFICATE/);
    expect(m.keyPem).toMatch(/PRIVATE KEY/);
  });

  it('names the file and the problem', () => {
    expect(refused(paths(dir, 'n2'))).toMatch(/n2\.crt: its CN is "n2", but node-id is "n1"/);
    expect(refused(paths(other, 'n1', dir))).toMatch(/b\/n1\.crt: not signed by the CA in .*a\/ca\.crt/);
    expect(refused({ ...paths(dir, 'n1'), keyPath: join(dir, 'n2.key') })).toMatch(/n2\.key: the key does not belong to/);
    expect(refused({ ...paths(dir, 'n1'), caPath: join(dir, 'n1.crt') })).toMatch(/n1\.crt: not a CA certificate/);
    expect(refused({ ...paths(dir, 'n1'), caPath: join(dir, 'missing.crt') })).toMatch(/missing\.crt: cannot read the tls\.ca file: ENOENT/);
    const junk = join(dir, 'junk.pem');
    writeFileSync(junk, 'not a pem', { mode: 0o600 });
    expect(refused({ ...paths(dir, 'n1'), certPath: junk })).toMatch(/junk\.pem: not a PEM certificate/);
    expect(refused({ ...paths(dir, 'n1'), keyPath: junk })).toMatch(/junk\.pem: not a PEM private key/);
    const in20Years = Date.now() + 20 * 365 * 86_400_000;
    expect(refused(paths(dir, 'n1'), n1, in20Years)).toMatch(/the certificate is not valid now/);
  });
});

describe('private key file mode', () => {
  it('refuses a key that group or others can access, naming the mode and the fix', () => {
    for (const mode of [0o644, 0o640, 0o604, 0o660, 0o601]) {
      const key = join(dir, `n1-${mode.toString(8)}.key`);
      copyFileSync(join(dir, 'n1.key'), key);
      chmodSync(key, mode);
      const msg = refused({ ...paths(dir, 'n1'), keyPath: key });
      expect(msg).toContain(`${key}: the private key is accessible by group or others (mode 0${mode.toString(8)})`);
      expect(msg).toContain(`chmod 600 ${key}`);
    }
  });

  it('accepts 0600 and 0400', () => {
    const key = join(dir, 'n1-0400.key');
    copyFileSync(join(dir, 'n1.key'), key);
    chmodSync(key, 0o400);
    expect(loadTlsMaterial({ ...paths(dir, 'n1'), keyPath: key }, n1, Date.now()).keyPem).toMatch(/PRIVATE KEY/);
  });
});

describe('tlsExpiryMs', () => {
  it('gives the notAfter of the node certificate and of the CA', () => {
    const m = loadTlsMaterial(paths(dir, 'n1'), n1, Date.now());
    const e = tlsExpiryMs(m);
    const day = 86_400_000;
    // gen-certs defaults: node 1825 days, CA 3650 days (from now).
    expect(Math.abs(e.certMs - (Date.now() + 1825 * day))).toBeLessThan(2 * day);
    expect(Math.abs(e.caMs - (Date.now() + 3650 * day))).toBeLessThan(2 * day);
  });
});

describe('peerIdFromCertificate', () => {
  const peers = new Set([nodeId('n2'), nodeId('n3')]);
  const cert = (subject: unknown) => ({ subject } as unknown as PeerCertificate);
  it('accepts only a configured peer other than ourselves', () => {
    expect(peerIdFromCertificate(cert({ CN: 'n2' }), peers, n1)).toBe('n2');
    expect(peerIdFromCertificate(cert({ CN: 'n9' }), peers, n1)).toBeNull();
    expect(peerIdFromCertificate(cert({ CN: 'n1' }), new Set([n1]), n1)).toBeNull();
    expect(peerIdFromCertificate(cert({ CN: ['n2', 'n3'] }), peers, n1)).toBeNull();
    expect(peerIdFromCertificate(cert({ O: 'x' }), peers, n1)).toBeNull();
    expect(peerIdFromCertificate(cert(undefined), peers, n1)).toBeNull();
    expect(peerIdFromCertificate({} as PeerCertificate, peers, n1)).toBeNull();
    expect(peerIdFromCertificate(null, peers, n1)).toBeNull();
  });
});
