// Issue 4, hostile input against real daemon processes: strangers and malformed or oversized
// frames on the peer port, garbage on the control socket, and non-GET methods on the status
// endpoint. Every case must be refused with a stable code or status and leave the daemon
// running (same pid) and the cluster serving.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { CONTROL_MAX_LINE_BYTES, PEER_MAX_FRAME_BYTES } from '../../daemon/src/common/limits.js';
import { nodeId } from '../../daemon/src/common/types.js';
import { generateClusterCerts } from '../../daemon/src/transport/certs.js';
import { type Cluster, waitFor } from './harness.js';
import { rawControlExchange } from './lib/http.js';
import { frame, peerConnect, type PeerIdentity } from './lib/peer-client.js';
import { CALM_TEST_TIMING, CALM_TEST_TRANSPORT } from './lib/node-config.js';
import { useCluster } from './lib/vitest-cluster.js';

const cluster = useCluster({ name: 'hostile', disks: [{ id: 'sda', sizeSectors: 65_536 }], timing: CALM_TEST_TIMING, transport: CALM_TEST_TRANSPORT });

function identity(dir: string, id: string): PeerIdentity {
  const read = (f: string): string => readFileSync(join(dir, f), 'utf8');
  return { caPem: read('ca.crt'), certPem: read(`${id}.crt`), keyPem: read(`${id}.key`) };
}

async function droppedFrames(c: Cluster, id: string): Promise<number> {
  const r = await c.http(id, 'GET', '/metrics');
  const m = /^mdclusterd_dropped_frames_total (\d+)/m.exec(r.body);
  if (!m) throw new Error('no mdclusterd_dropped_frames_total in /metrics');
  return Number(m[1]);
}

/** The daemon is the same process as before and still answers. */
async function expectAlive(c: Cluster, id: string, pid: number | null): Promise<void> {
  expect(c.proc(id).running).toBe(true);
  expect(c.proc(id).pid).toBe(pid);
  expect((await c.http(id, 'GET', '/healthz')).status).toBe(200);
}

describe('peer port', () => {
  test('refuses a client without a certificate, with a foreign CA, with an unknown CN, on a wrong path', async () => {
    const c = cluster();
    const { id: master } = await c.waitForMaster();
    const target = c.ids.find((id) => id !== master)!;
    const pid = c.proc(target).pid;
    const port = c.peerPort(target);
    const ours = identity(c.tlsDir(), 'n1');
    const noCert = await peerConnect(port, { caPem: ours.caPem }).result;
    expect(noCert.opened).toBe(false);
    const foreignRoot = mkdtempSync(join(tmpdir(), 'mdci-foreign-'));
    try {
      const foreignDir = join(foreignRoot, 'tls');
      await generateClusterCerts({ dir: foreignDir, nodes: [nodeId('n1')], hosts: new Map([[nodeId('n1'), ['127.0.0.1']]]) });
      const foreign = await peerConnect(port, { ...identity(foreignDir, 'n1'), caPem: ours.caPem }).result;
      expect(foreign.opened).toBe(false);
    } finally {
      rmSync(foreignRoot, { recursive: true, force: true });
    }
    // A certificate from the cluster CA whose CN is not a configured peer.
    await generateClusterCerts({ dir: c.tlsDir(), nodes: [nodeId('n9')], hosts: new Map([[nodeId('n9'), ['127.0.0.1']]]) });
    const stranger = await peerConnect(port, identity(c.tlsDir(), 'n9')).result;
    expect([stranger.opened, stranger.httpStatus]).toEqual([false, 403]);
    const wrongPath = await peerConnect(port, identity(c.tlsDir(), master), '/not-the-peer-path').result;
    expect([wrongPath.opened, wrongPath.httpStatus]).toEqual([false, 404]);
    await expectAlive(c, target, pid);
    await c.waitForMaster();
  });

  test('drops malformed frames, closes on bad magic, text and oversized frames, and keeps running', async () => {
    const c = cluster();
    const { id: master, term } = await c.waitForMaster();
    const target = c.ids.find((id) => id !== master)!;
    const peer = c.ids.find((id) => id !== master && id !== target)!;
    const pid = c.proc(target).pid;
    const port = c.peerPort(target);
    const me = identity(c.tlsDir(), peer); // a real member's identity: the frames pass authentication
    const droppedBefore = await droppedFrames(c, target);
    // Our connections replace `peer`'s own link to the target; frozen, it cannot redial and in
    // turn replace ours (close code 4000) before the target judged our frames. Master and
    // target keep the quorum meanwhile.
    c.pause(peer);
    try {
      await hostileFrames(c, target, port, me, droppedBefore);
    } finally {
      c.resume(peer);
    }
    await expectAlive(c, target, pid);
    const after = await c.waitForMaster();
    expect(after.term).toBeGreaterThanOrEqual(term);
  });
});

async function hostileFrames(c: Cluster, target: string, port: number, me: PeerIdentity, droppedBefore: number): Promise<void> {
  // Malformed frames are dropped and counted; bad magic, text and oversized frames close the link.
  const a = peerConnect(port, me);
  expect(await a.opened).toBe(true);
  a.ws.send(Buffer.from([0x6d])); // shorter than a header: dropped
  a.ws.send(frame(1, Buffer.from([1, 0xff, 0xfe, 0x00, 0x13, 0x37]))); // raft frame, undecodable message
  a.ws.send(frame(1, Buffer.from([2, ...Buffer.from('{"applied":"lots"}')]))); // gossip with a bad field
  a.ws.send(frame(1, Buffer.from([9, 1, 2, 3]))); // unknown node frame kind
  a.ws.send(frame(7, Buffer.from([1, 2, 3]))); // unknown transport frame kind: dropped
  await waitFor('the undecodable frames to be counted', async () => ((await droppedFrames(c, target)) >= droppedBefore + 3 ? true : undefined), 5000);
  a.ws.send(frame(1, Buffer.from([1]), 0x00)); // bad magic: the link is closed
  const closedA = await a.result;
  expect(closedA.closeCode).toBe(1002);

  const b = peerConnect(port, me);
  expect(await b.opened).toBe(true);
  b.ws.send('a text frame');
  expect((await b.result).closeCode).toBe(1003);

  const big = peerConnect(port, me);
  expect(await big.opened).toBe(true);
  big.ws.send(Buffer.alloc(PEER_MAX_FRAME_BYTES + 1, 0x6d));
  expect((await big.result).closeCode).toBe(1009);
}

describe('control socket', () => {
  const cases: [string, string | Buffer, string][] = [
    ['not JSON', 'garbage\n', 'E_BAD_REQUEST'],
    ['a JSON array', '[1,2]\n', 'E_BAD_REQUEST'],
    ['JSON null', 'null\n', 'E_BAD_REQUEST'],
    ['invalid UTF-8', Buffer.concat([Buffer.from([0xff, 0xfe, 0xc3, 0x28]), Buffer.from('\n')]), 'E_BAD_REQUEST'],
    ['a wrong version', '{"v":2,"id":7,"type":"state"}\n', 'E_UNSUPPORTED_VERSION'],
    ['no version', '{"id":7,"type":"state"}\n', 'E_UNSUPPORTED_VERSION'],
    ['no type', '{"v":1,"id":8}\n', 'E_BAD_REQUEST'],
    ['an unknown type', '{"v":1,"id":9,"type":"frobnicate"}\n', 'E_BAD_REQUEST'],
    ['a malformed command', '{"v":1,"id":10,"type":"propose","command":{"op":"create"}}\n', 'E_BAD_REQUEST'],
    ['a command that is not an object', '{"v":1,"id":10,"type":"propose","command":"stop md0"}\n', 'E_BAD_REQUEST'],
    ['a negative timeout', '{"v":1,"id":11,"type":"propose","command":{"op":"stop","device":"md0"},"timeoutMs":-5}\n', 'E_BAD_REQUEST'],
    ['a relative examine path', '{"v":1,"id":12,"type":"examine","path":"etc/passwd"}\n', 'E_BAD_REQUEST'],
    ['a step-down to a bad node id', '{"v":1,"id":13,"type":"step-down","to":"../../x"}\n', 'E_BAD_REQUEST'],
  ];
  for (const [what, line, code] of cases) {
    test(`answers ${what} with ${code} and keeps the connection`, async () => {
      const c = cluster();
      const pid = c.proc('n2').pid;
      const data = Buffer.concat([Buffer.isBuffer(line) ? line : Buffer.from(line), Buffer.from('{"v":1,"id":99,"type":"state","local":true}\n')]);
      const { lines } = await rawControlExchange(c.controlSocket('n2'), data, 2);
      expect(lines.length).toBe(2);
      // Replies may come in any order (requests are served concurrently): match them by id.
      const byId = (want: boolean) => lines.find((l) => ((l as { id?: number }).id === 99) === want);
      expect(byId(false)).toMatchObject({ ok: false, error: { code } });
      expect(byId(true)).toMatchObject({ id: 99, ok: true }); // the same connection still serves
      await expectAlive(c, 'n2', pid);
    });
  }

  test('an oversized line gets E_TOO_LARGE and the connection is closed; others are unaffected', async () => {
    const c = cluster();
    const pid = c.proc('n1').pid;
    const { lines, closedByDaemon } = await rawControlExchange(c.controlSocket('n1'), 'x'.repeat(CONTROL_MAX_LINE_BYTES + 10), 1);
    expect(lines[0]).toMatchObject({ ok: false, error: { code: 'E_TOO_LARGE' } });
    const after = await rawControlExchange(c.controlSocket('n1'), '', 1, 1000);
    expect(closedByDaemon || after.closedByDaemon || lines.length === 1).toBe(true);
    expect(await c.control('n1', 'state', { local: true })).toHaveProperty('status');
    await expectAlive(c, 'n1', pid);
  });

  test('a burst of 500 garbage lines in one write gets 500 error replies', async () => {
    const c = cluster();
    const pid = c.proc('n3').pid;
    const { lines } = await rawControlExchange(c.controlSocket('n3'), '{"v":1,"id":1,"type":"nope"}\n'.repeat(500), 500, 10_000);
    expect(lines.length).toBe(500);
    expect(lines.every((l) => (l as { error?: { code: string } }).error?.code === 'E_BAD_REQUEST')).toBe(true);
    await expectAlive(c, 'n3', pid);
  });
});

describe('status endpoint', () => {
  test('non-GET methods get 405 with Allow; unknown paths 404; HEAD works; the endpoint still serves', async () => {
    const c = cluster();
    const pid = c.proc('n1').pid;
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
      for (const path of ['/mdstat', '/api/v1/status', '/metrics', '/healthz']) {
        const r = await c.http('n1', method, path, method === 'POST' || method === 'PUT' ? '{"op":"stop","device":"md0"}' : undefined);
        expect([method, path, r.status]).toEqual([method, path, 405]);
        expect(r.headers.allow).toBe('GET, HEAD');
      }
    }
    expect((await c.http('n1', 'GET', '/nope')).status).toBe(404);
    const head = await c.http('n1', 'HEAD', '/mdstat');
    expect([head.status, head.body]).toEqual([200, '']);
    expect((await c.http('n1', 'GET', '/mdstat')).body).toMatch(/^Personalities :/);
    await expectAlive(c, 'n1', pid);
  });
});
