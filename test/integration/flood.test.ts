// Floods against real daemons on loopback (issue 19, items 1 and 2).
// Peer port: several hundred idle, junk and plain-HTTP connections from stranger addresses
// (127.0.0.10..), re-opened as soon as a daemon closes them, against every node's peer port;
// meanwhile the cluster keeps its master, commits, and a killed node restarts and rejoins. The
// rejoin time with and without the flood is printed (no timed assertion: it must rejoin).
// Control socket: 20,000 pipelined requests whose replies are not read, then 1,000 concurrent
// clients (mdctl's own Client); the daemon's RSS (/proc/<pid>/status VmRSS) stays within
// FLOOD_RSS_BUDGET_BYTES of its idle value, every client gets an answer or a clear error
// (E_BUSY), V8's young generation never exceeds the bound the daemon is started with
// (DAEMON_NODE_OPTIONS), and the RSS comes back to within FLOOD_RSS_RETURN_BYTES of idle.
// RSS and V8 heap before/peak/after printed.
// What "returns" means, measured (issue #19): after the flood the daemon holds no request state
// (heapUsed after a forced full GC was within 0.5 MB of idle's, via the inspector). With V8's
// default semi-space the RSS stayed at its peak (+16 to +23 MB, 30 s later still there): V8 had
// grown the young generation from 16 to 32 MiB and shrinks it only at a scavenge that sees
// under ~1 MB/s of allocation, which an idle cluster daemon hovers at. The daemon now bounds it
// (DAEMON_NODE_OPTIONS, asserted below); what stays is old-space pages V8 keeps committed after
// promoting the burst (heap used back within ~2 MB of idle, heap committed not) and allocator
// pages: that is not a full return, and FLOOD_RSS_RETURN_BYTES is the bound it is held to.
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { Client, ClientError } from '../../mdctl/src/client.js';
import { type Cluster, sleep, waitFor } from './harness.js';
import { CALM_TEST_TIMING, CALM_TEST_TRANSPORT } from './lib/node-config.js';
import { useCluster } from './lib/vitest-cluster.js';
import { httpGet } from './lib/http.js';
import { DAEMON_MAX_SEMI_SPACE_MIB } from '../../daemon/src/common/limits.js';

/** The issue's bound: the daemon's RSS may grow at most this much over its idle value. */
const FLOOD_RSS_BUDGET_BYTES = 20 * 1024 * 1024;
/**
 * RSS above idle allowed once the flood is over (within FLOOD_RETURN_WAIT_MS): old-space pages
 * V8 keeps committed and allocator pages; measured +4.1, +8.0 and +10 MB (the last one flat from
 * 15 s to 90 s after the flood).
 */
const FLOOD_RSS_RETURN_BYTES = 12 * 1024 * 1024;
/** How long the RSS may take to come back (the young generation shrinks at a scavenge, every few s). */
const FLOOD_RETURN_WAIT_MS = 60_000;
/** Flood sockets kept open per node (re-opened when closed), and the stranger addresses they come from. */
const FLOOD_SOCKETS_PER_NODE = 100;
const FLOOD_ADDRESSES = 30;
/** A flood socket closed by the daemon is re-opened after this (holding connections, not a connect-rate flood). */
const FLOOD_REOPEN_DELAY_MS = 250;
/** Bound on a rejoin (a wait bound, not a timing assertion). */
const REJOIN_TIMEOUT_MS = 60_000;

const cluster = useCluster({ name: 'flood', disks: [{ id: 'sda', sizeSectors: 65_536 }], timing: CALM_TEST_TIMING, transport: CALM_TEST_TRANSPORT });

function rssBytes(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]) * 1024;
}

const mb = (b: number): string => (b / (1024 * 1024)).toFixed(1);

interface V8Heap { total: number; used: number; newSpace: number }

/** The daemon's V8 heap from its /metrics (prom-client's nodejs_heap_* series), in bytes. */
async function v8Heap(c: Cluster, id: string): Promise<V8Heap> {
  const text = await httpGet(c.statusPort(id), '/metrics');
  const get = (re: RegExp): number => {
    const m = re.exec(text);
    if (!m) throw new Error(`no ${re.source} in /metrics`);
    return Number(m[1]);
  };
  return { total: get(/^nodejs_heap_size_total_bytes (\S+)/m), used: get(/^nodejs_heap_size_used_bytes (\S+)/m), newSpace: get(/^nodejs_heap_space_size_total_bytes\{space="new"\} (\S+)/m) };
}

const heapText = (h: V8Heap): string => `heap ${mb(h.used)}/${mb(h.total)} MB (young generation ${mb(h.newSpace)} MB)`;

/**
 * Kills a standby, restarts it, and returns the ms from the restart until it follows the master
 * and applied its commit, with the part spent before the new process answered on its status port.
 */
async function restartAndRejoin(c: Cluster, id: string): Promise<{ totalMs: number; processUpMs: number }> {
  await c.kill(id);
  const started = performance.now();
  await c.restart(id);
  const processUpMs = Math.round(performance.now() - started);
  const { id: master } = await c.waitForMaster({ timeoutMs: REJOIN_TIMEOUT_MS });
  const commit = (await c.status(master)).commitIndex;
  await waitFor(`${id} to apply ${commit}`, async () => ((await c.status(id)).appliedIndex >= commit ? true : undefined), REJOIN_TIMEOUT_MS, 10);
  return { totalMs: Math.round(performance.now() - started), processUpMs };
}

const fmt = (r: { totalMs: number; processUpMs: number }): string => `${r.totalMs} ms (process up after ${r.processUpMs} ms)`;

/** Keeps `perNode` stranger sockets open against each port: idle (70%), junk bytes, plain HTTP. */
function peerFlood(ports: number[], perNode: number): { stop(): void; opened(): number } {
  let running = true;
  let opened = 0;
  const live = new Set<Socket>();
  const open = (port: number, i: number): void => {
    if (!running) return;
    const kind = i % 10;
    const s = connect({ port, host: '127.0.0.1', localAddress: `127.0.0.${10 + (i % FLOOD_ADDRESSES)}` }, () => {
      if (kind === 7 || kind === 8) s.write(Buffer.alloc(512, 0x5a));
      if (kind === 9) s.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    });
    opened++;
    live.add(s);
    s.on('error', () => {});
    s.on('data', () => {});
    s.on('close', () => { live.delete(s); setTimeout(() => open(port, i), FLOOD_REOPEN_DELAY_MS); });
  };
  for (const port of ports) for (let i = 0; i < perNode; i++) open(port, i);
  return {
    stop: () => { running = false; for (const s of live) s.destroy(); },
    opened: () => opened,
  };
}

describe('peer port flood', () => {
  test('hundreds of idle and junk connections: the master holds, commits go through, a restarted node rejoins', async () => {
    const c = cluster();
    const { id: master } = await c.waitForMaster();
    const standby = c.ids.find((id) => id !== master)!;
    const quiet = await restartAndRejoin(c, standby);
    const flood = peerFlood(c.ids.map((id) => c.peerPort(id)), FLOOD_SOCKETS_PER_NODE);
    try {
      await sleep(2000); // the flood at full strength
      const during = await c.waitForMaster();
      expect(during.id).toBe(master);
      await c.control(master, 'confirm', { path: '/dev/sda' }); // a commit through the flood
      const flooded = await restartAndRejoin(c, standby);
      const after = await c.waitForMaster();
      expect(after.id).toBe(master);
      await c.waitSame('mdstat', (id) => c.mdstat(id));
      const log = readFileSync(join(c.dir, master, 'daemon.log'), 'utf8');
      const reasons = new Set([...log.matchAll(/"reason":"([a-z-]+)"[^\n]*refused a peer connection|refused a peer connection[^\n]*"reason":"([a-z-]+)"/g)].map((m) => m[1] ?? m[2]));
      process.stdout.write(`peer flood: ${FLOOD_SOCKETS_PER_NODE} sockets per node from ${FLOOD_ADDRESSES} addresses, ${flood.opened()} connections opened; ` +
        `rejoin of ${standby}: ${fmt(quiet)} without the flood, ${fmt(flooded)} during it; refusal reasons logged on ${master}: ${[...reasons].sort().join(', ')}\n`);
      expect(reasons.has('handshake-timeout')).toBe(true);
      expect(reasons.has('not-tls')).toBe(true);
      expect(reasons.has('plain-http')).toBe(true);
    } finally {
      flood.stop();
    }
  }, 300_000);
});

async function warmUp(socketPath: string): Promise<void> {
  const s = connect(socketPath);
  s.on('error', () => {});
  await new Promise<void>((resolve) => s.once('connect', () => resolve()));
  let replies = 0;
  s.on('data', (d: Buffer) => { for (const b of d) if (b === 0x0a) replies++; });
  s.write(Array.from({ length: 2000 }, (_, i) => `{"v":1,"id":${i + 1},"type":"state","local":true}\n`).join(''));
  await waitFor('the warm-up replies', async () => (replies === 2000 ? true : undefined), 60_000, 20);
  s.destroy();
  await Promise.all(Array.from({ length: 100 }, async () => {
    const client = new Client(socketPath);
    try { await client.connect(); await client.request('state', { local: true }); } catch { /* E_BUSY is fine here */ } finally { client.close(); }
  }));
}

describe('control socket flood', () => {
  test('20,000 pipelined unread requests and 1,000 concurrent clients: RSS within 20 MB of idle, every client answered, RSS back within 12 MB', async () => {
    const c = cluster();
    // A daemon that has run since the cluster started (not the one the peer test restarted).
    const id = c.ids.find((n) => c.proc(n).incarnations.length === 1) ?? c.ids[0]!;
    const pid = c.proc(id).pid!;
    // Idle means a daemon that has served requests before (its heap at its working size), as in
    // the issue (83 MB): warm up with 2,000 pipelined requests read normally and 100 clients.
    await warmUp(c.controlSocket(id));
    await sleep(2000);
    const idle = rssBytes(pid);
    const heaps: V8Heap[] = [await v8Heap(c, id)];
    let peak = idle;
    const sampler = setInterval(() => { try { peak = Math.max(peak, rssBytes(pid)); } catch { /* exited: caught below */ } }, 20);
    try {
      // 20,000 pipelined requests, replies not read.
      const pipe = connect(c.controlSocket(id));
      pipe.on('error', () => {});
      await new Promise<void>((resolve) => pipe.once('connect', () => resolve()));
      pipe.pause();
      const total = 20_000;
      pipe.write(Array.from({ length: total }, (_, i) => `{"v":1,"id":${i + 1},"type":"state","local":true}\n`).join(''));
      await sleep(3000);
      // 1,000 concurrent clients while the pipelined connection is held.
      const outcomes = await Promise.all(Array.from({ length: 1000 }, async () => {
        const client = new Client(c.controlSocket(id));
        try {
          await client.connect();
          await client.request('state', { local: true });
          return 'ok';
        } catch (e) {
          return e instanceof ClientError && e.code === 'E_BUSY' ? e.code : `${(e as { code?: string }).code ?? 'unexpected'}: ${(e as Error).message}`;
        } finally {
          client.close();
        }
      }));
      heaps.push(await v8Heap(c, id));
      const byOutcome = new Map<string, number>();
      for (const o of outcomes) byOutcome.set(o, (byOutcome.get(o) ?? 0) + 1);
      // Now read the pipelined replies: every one is answered.
      let buffered = '';
      let replies = 0;
      pipe.setEncoding('utf8');
      pipe.on('data', (d: string) => {
        buffered += d;
        let nl = buffered.indexOf('\n');
        while (nl >= 0) { replies++; buffered = buffered.slice(nl + 1); nl = buffered.indexOf('\n'); }
      });
      pipe.resume();
      await waitFor('every pipelined request answered', async () => (replies === total ? true : undefined), 120_000, 50);
      heaps.push(await v8Heap(c, id));
      pipe.destroy();
      const peakDuring = peak;
      clearInterval(sampler);
      // Memory comes back (polled, no /metrics scrapes meanwhile: V8 shrinks its young generation
      // at a scavenge, and gives old-space pages back at a mark-compact, not at once).
      const t0 = performance.now();
      let after = rssBytes(pid);
      await waitFor('RSS back near idle', async () => { after = rssBytes(pid); return after - idle <= FLOOD_RSS_RETURN_BYTES ? true : undefined; }, FLOOD_RETURN_WAIT_MS, 200).catch(() => {});
      const returnMs = Math.round(performance.now() - t0);
      heaps.push(await v8Heap(c, id));
      process.stdout.write(`control flood on ${id}: RSS idle ${mb(idle)} MB, peak ${mb(peakDuring)} MB (+${mb(peakDuring - idle)}), after ${mb(after)} MB (+${mb(after - idle)}, ${returnMs} ms after the flood); ` +
        `V8 idle ${heapText(heaps[0]!)}, after the clients ${heapText(heaps[1]!)}, after the replies ${heapText(heaps[2]!)}, after ${heapText(heaps[3]!)}; ` +
        `1,000 clients: ${[...byOutcome].map(([k, v]) => `${k} ${v}`).join(', ')}; ${replies} pipelined replies\n`);
      expect(c.proc(id).pid).toBe(pid);
      expect(peakDuring - idle).toBeLessThanOrEqual(FLOOD_RSS_BUDGET_BYTES);
      expect(after - idle).toBeLessThanOrEqual(FLOOD_RSS_RETURN_BYTES);
      // The young generation never grew past the daemon's bound (V8 reports both semi-spaces).
      for (const h of heaps) expect(h.newSpace).toBeLessThanOrEqual(2 * DAEMON_MAX_SEMI_SPACE_MIB * 1024 * 1024);
      expect([...byOutcome.keys()].every((k) => k === 'ok' || k === 'E_BUSY')).toBe(true);
      expect(byOutcome.get('ok') ?? 0).toBeGreaterThan(0);
      expect(await c.control(id, 'state', { local: true })).toHaveProperty('status');
    } finally {
      clearInterval(sampler);
    }
  }, 300_000);
});
