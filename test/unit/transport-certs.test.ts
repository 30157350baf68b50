// gen-certs: the generated CA and node certificates form a chain node:crypto verifies, carry
// the node id as CN, the right SAN/EKU, and key files are private. Bad arguments are E_USAGE.
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateClusterCerts } from '../../daemon/src/transport/certs.js';
import { parseGenCertsArgs, runGenCerts } from '../../daemon/src/transport/gen-certs-cli.js';
import { OpError } from '../../daemon/src/common/errors.js';
import { nodeId } from '../../daemon/src/common/types.js';

const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

function cert(dir: string, file: string): X509Certificate {
  return new X509Certificate(readFileSync(join(dir, file)));
}

function usageError(argv: string[]): string {
  try {
    parseGenCertsArgs(argv);
  } catch (e) {
    expect(e).toBeInstanceOf(OpError);
    expect((e as OpError).code).toBe('E_USAGE');
    return (e as OpError).message;
  }
  throw new Error('arguments accepted');
}

describe('gen-certs output', () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'mdcerts-')), 'tls');
  const lines: string[] = [];

  beforeAll(async () => {
    const status = await runGenCerts(['--dir', dir, '--nodes', 'node1,node2,node_3', '--hosts', 'node1=127.0.0.1,node1=n1.lan,node2=10.0.0.2,node2=::1'], (l) => lines.push(l), (l) => lines.push(l));
    expect(status).toBe(0);
  });

  it('builds a chain that node:crypto verifies', () => {
    const ca = cert(dir, 'ca.crt');
    expect(ca.ca).toBe(true);
    expect(ca.verify(ca.publicKey)).toBe(true);
    for (const id of ['node1', 'node2', 'node_3']) {
      const c = cert(dir, `${id}.crt`);
      expect(c.ca).toBe(false);
      expect(c.checkIssued(ca)).toBe(true);
      expect(c.verify(ca.publicKey)).toBe(true);
      expect(c.subject).toMatch(new RegExp(`^CN=${id}$`, 'm'));
      expect(c.issuer).toBe(ca.subject);
      expect(c.keyUsage).toEqual(expect.arrayContaining([SERVER_AUTH, CLIENT_AUTH]));
      expect(c.checkPrivateKey(createPrivateKey(readFileSync(join(dir, `${id}.key`))))).toBe(true);
      expect(new Date(c.validTo).getTime()).toBeGreaterThan(Date.now() + 365 * 86_400_000);
      expect(new Date(c.validFrom).getTime()).toBeLessThanOrEqual(Date.now());
    }
  });

  it('puts the node id and its hosts in the subjectAltName', () => {
    expect(cert(dir, 'node1.crt').subjectAltName).toBe('DNS:node1, IP Address:127.0.0.1, DNS:n1.lan');
    expect(cert(dir, 'node2.crt').subjectAltName).toBe('DNS:node2, IP Address:10.0.0.2, IP Address:0:0:0:0:0:0:0:1');
    // "node_3" is not a DNS name, and it has no hosts: no SAN at all.
    expect(cert(dir, 'node_3.crt').subjectAltName).toBeUndefined();
    expect(cert(dir, 'node1.crt').checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(cert(dir, 'node1.crt').checkHost('n1.lan')).toBe('n1.lan');
  });

  it('writes keys 0600, certificates 0644 and the directory 0700', () => {
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    for (const f of ['ca.key', 'node1.key', 'node2.key', 'node_3.key']) expect(statSync(join(dir, f)).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'node1.crt')).mode & 0o077).toBe(statSync(join(dir, 'node1.crt')).mode & 0o044);
    expect(lines.some((l) => l.includes('created a new cluster CA'))).toBe(true);
  });

  it('reuses the CA to add a node, and refuses to overwrite without --force', async () => {
    const caBefore = readFileSync(join(dir, 'ca.crt'), 'utf8');
    const r = await generateClusterCerts({ dir, nodes: [nodeId('node4')], hosts: new Map() });
    expect(r.caReused).toBe(true);
    expect(readFileSync(join(dir, 'ca.crt'), 'utf8')).toBe(caBefore);
    expect(cert(dir, 'node4.crt').checkIssued(cert(dir, 'ca.crt'))).toBe(true);
    await expect(generateClusterCerts({ dir, nodes: [nodeId('node4')], hosts: new Map() })).rejects.toThrow(/node4\.crt already exists; pass --force/);
    const old = readFileSync(join(dir, 'node4.crt'), 'utf8');
    await generateClusterCerts({ dir, nodes: [nodeId('node4')], hosts: new Map(), force: true });
    expect(readFileSync(join(dir, 'node4.crt'), 'utf8')).not.toBe(old);
    expect(statSync(join(dir, 'node4.key')).mode & 0o777).toBe(0o600);
  });

  it('a certificate from another CA does not verify against this one', async () => {
    const other = join(mkdtempSync(join(tmpdir(), 'mdcerts-other-')), 'tls');
    await generateClusterCerts({ dir: other, nodes: [nodeId('node1')], hosts: new Map() });
    const foreign = cert(other, 'node1.crt');
    expect(foreign.checkIssued(cert(dir, 'ca.crt'))).toBe(false);
    expect(foreign.verify(cert(dir, 'ca.crt').publicKey)).toBe(false);
  });

  it('refuses a half-present or non-CA CA', async () => {
    const d = mkdtempSync(join(tmpdir(), 'mdcerts-half-'));
    writeFileSync(join(d, 'ca.crt'), readFileSync(join(dir, 'node1.crt')));
    await expect(generateClusterCerts({ dir: d, nodes: [nodeId('x')], hosts: new Map() })).rejects.toThrow(/only one of ca\.crt and ca\.key/);
    writeFileSync(join(d, 'ca.key'), readFileSync(join(dir, 'node1.key')));
    await expect(generateClusterCerts({ dir: d, nodes: [nodeId('x')], hosts: new Map() })).rejects.toThrow(/is not a CA certificate/);
    writeFileSync(join(d, 'ca.key'), 'garbage');
    await expect(generateClusterCerts({ dir: d, nodes: [nodeId('x')], hosts: new Map() })).rejects.toMatchObject({ code: 'E_USAGE' });
  });
});

describe('gen-certs arguments', () => {
  it('parses both --hosts forms and --flag=value', () => {
    const a = parseGenCertsArgs(['--dir=/tmp/x', '--nodes', 'a,b', '--hosts', '10.0.0.1,10.0.0.2', '--days', '30']);
    expect(a.hosts.get(nodeId('b'))).toEqual(['10.0.0.2']);
    expect(a.nodeDays).toBe(30);
    const b = parseGenCertsArgs(['--dir', 'rel', '--nodes', 'a,b', '--hosts', 'a=h1,a=h2', '--force']);
    expect(b.hosts.get(nodeId('a'))).toEqual(['h1', 'h2']);
    expect(b.force).toBe(true);
    expect(b.dir.startsWith('/')).toBe(true);
  });

  it('names each bad argument', () => {
    expect(usageError([])).toMatch(/--dir is required/);
    expect(usageError(['--dir', 'x'])).toMatch(/--nodes is required/);
    expect(usageError(['--dir', 'x', '--nodes'])).toMatch(/--nodes needs a value/);
    expect(usageError(['--dir', 'x', '--nodes', 'a', '--bogus'])).toMatch(/unknown argument "--bogus"/);
    expect(usageError(['--dir', 'x', '--nodes', 'a', '--days', '-1'])).toMatch(/--days expects a whole number of days/);
    expect(usageError(['--dir', 'x', '--nodes', 'a,b', '--hosts', 'h1'])).toMatch(/one host per node \(2\), got 1/);
    expect(usageError(['--dir', 'x', '--nodes', 'a,b', '--hosts', 'a=h1,h2'])).toMatch(/ID=HOST for every entry or for none/);
    expect(usageError(['--dir', 'x', '--dir', 'y', '--nodes', 'a'])).toMatch(/--dir given twice/);
  });

  it('rejects bad node ids, hosts and counts before writing anything', async () => {
    const d = join(mkdtempSync(join(tmpdir(), 'mdcerts-bad-')), 'out');
    const errs: string[] = [];
    const run = (argv: string[]) => runGenCerts(['--dir', d, ...argv], () => {}, (l) => errs.push(l));
    expect(await run(['--nodes', 'a b'])).toBe(2);
    expect(await run(['--nodes', 'a,a'])).toBe(2);
    expect(await run(['--nodes', 'a', '--hosts', 'a=not_a host'])).toBe(2);
    expect(await run(['--nodes', 'a', '--hosts', 'z=10.0.0.1'])).toBe(2);
    expect(await run(['--nodes', Array.from({ length: 10 }, (_, i) => `n${i}`).join(',')])).toBe(2);
    expect(await run(['--nodes', 'a', '--days', '99999999'])).toBe(2);
    expect(errs).toHaveLength(6);
    expect(errs.every((l) => l.startsWith('mdclusterd gen-certs: E_USAGE: '))).toBe(true);
    expect(errs[0]).toMatch(/invalid node id "a b"/);
    expect(errs[3]).toMatch(/not in --nodes/);
  });
});
