// Transport measurements over loopback with real TLS (not a test; prints numbers):
// one-way throughput, round-trip latency, and time to relink after the peer restarts.
// Run: npm run build && node dist/test/integration/transport-bench.js [messages] [bytes]
import { nodeId, type NodeId } from '../../daemon/src/common/types.js';
import type { HostPort } from '../../daemon/src/config/config.js';
import { Transport } from '../../daemon/src/transport/transport.js';
import { silentLogger } from '../../daemon/src/log/logger.js';
import { PEER_MAX_QUEUED_BYTES, PEER_MAX_QUEUED_FRAMES } from '../../daemon/src/common/limits.js';
import { FRAME_HEADER_BYTES } from '../../daemon/src/transport/frame.js';
import { FAST_TIMING, freePort, makeCerts, waitFor } from './transport-helpers.js';

const MESSAGES = Number(process.argv[2] ?? 100_000);
const BYTES = Number(process.argv[3] ?? 256);
const ROUND_TRIPS = 2000;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

async function main(): Promise<void> {
  const certs = await makeCerts(['a', 'b']);
  const a = nodeId('a');
  const b = nodeId('b');
  const peers = new Map<NodeId, HostPort>([[a, { host: '127.0.0.1', port: await freePort() }], [b, { host: '127.0.0.1', port: await freePort() }]]);
  const make = (id: NodeId) => new Transport({ self: id, listen: peers.get(id)!, peers, tls: certs.material(id), timing: FAST_TIMING, logger: silentLogger });
  const ta = make(a);
  let tb = make(b);
  await Promise.all([ta.start(), tb.start()]);
  await waitFor(() => ta.stats().peers[b].up && tb.stats().peers[a].up, 'links up');

  // One-way throughput, sent in bursts that respect the queue bound.
  let received = 0;
  tb.onMessage(() => { received++; });
  const payload = new Uint8Array(BYTES);
  const t0 = performance.now();
  let sent = 0;
  // Bursts of W with at most W outstanding before each: never more than 2W queued, which
  // stays under both queue bounds, so nothing is dropped.
  const windowFrames = Math.max(1, Math.min(Math.floor(PEER_MAX_QUEUED_FRAMES / 2) - 1, Math.floor(PEER_MAX_QUEUED_BYTES / (BYTES + FRAME_HEADER_BYTES) / 4)));
  while (sent < MESSAGES) {
    const burst = Math.min(windowFrames, MESSAGES - sent);
    for (let i = 0; i < burst; i++) ta.send(b, payload);
    sent += burst;
    while (sent - received > windowFrames) await new Promise((r) => setImmediate(r));
  }
  await waitFor(() => received === MESSAGES, 'all received', 120_000);
  const secs = (performance.now() - t0) / 1000;
  console.log(`throughput: ${MESSAGES} x ${BYTES} B in ${secs.toFixed(2)} s = ${Math.round(MESSAGES / secs)} msg/s, ${(MESSAGES * BYTES / secs / 1e6).toFixed(1)} MB/s payload; dropped ${ta.stats().peers[b].droppedQueueFull}`);

  // Round trips: b echoes, a measures.
  tb.onMessage((from, p) => { if (p.length === 8) tb.send(from, p); });
  const rtts: number[] = [];
  let pending: (() => void) | null = null;
  ta.onMessage((_from, p) => { if (p.length === 8) pending?.(); });
  for (let i = 0; i < ROUND_TRIPS; i++) {
    const s = performance.now();
    await new Promise<void>((resolve) => { pending = resolve; ta.send(b, new Uint8Array(8)); });
    rtts.push(performance.now() - s);
  }
  rtts.sort((x, y) => x - y);
  console.log(`round trip (${ROUND_TRIPS}): p50 ${percentile(rtts, 0.5).toFixed(3)} ms, p99 ${percentile(rtts, 0.99).toFixed(3)} ms, max ${rtts.at(-1)!.toFixed(3)} ms`);

  // Relink after the peer restarts.
  await tb.close();
  await waitFor(() => !ta.stats().peers[b].up, 'down');
  tb = make(b);
  const r0 = performance.now();
  await tb.start();
  await waitFor(() => ta.stats().peers[b].up && tb.stats().peers[a].up, 'relinked');
  console.log(`relink after restart: ${(performance.now() - r0).toFixed(1)} ms (reconnect backoff ${FAST_TIMING.reconnectMinMs}-${FAST_TIMING.reconnectMaxMs} ms)`);
  await Promise.all([ta.close(), tb.close()]);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
