// The `raft` benchmark: 3 RawNodes in one process, each on its own DiskStorage (fdatasync on),
// messages passed in memory through the wire codec. Measures
//  0. the disk floor: a single DiskStorage's save (one entry, fdatasync) p50/p99, for context;
//  1. commit latency of single proposals, one at a time: propose on the leader -> the entry
//     appears in the leader's committedEntries (i.e. persisted on a quorum): p50/p90/p99/max;
//  2. committed proposals per second with batching: up to `window` proposals outstanding, so
//     each leader Ready carries many entries (one fdatasync per Ready per node).
// Writes bench/results/raft.json (with machine facts) and prints one summary line.
// Args: --samples N  --warmup N  --duration-ms N  --payload-bytes N  --window N  --no-codec
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { OpError } from '../daemon/src/common/errors.js';
import { RAFT_MAX_ENTRIES_PER_APPEND, RAFT_MAX_INFLIGHT_APPENDS, RAFT_MAX_PENDING_PROPOSALS } from '../daemon/src/common/limits.js';
import { logIndex, nodeId, term } from '../daemon/src/common/types.js';
import type { Entry } from '../daemon/src/raft/types.js';
import { DiskStorage } from '../daemon/src/storage/disk-storage.js';
import { BenchCluster } from './raft-cluster.js';
import { machineFacts, percentile, writeResult } from './report.js';

const TARGET_P99_MS = 5;
const TARGET_PROPOSALS_PER_SEC = 20_000;
const COMMIT_WAIT_TIMEOUT_MS = 10_000;
const SEQ_BYTES = 8;
const BASELINE_SAVES = 1000;

interface Options {
  samples: number;
  warmup: number;
  durationMs: number;
  payloadBytes: number;
  window: number;
  useCodec: boolean;
}

function parseArgs(args: string[]): Options {
  const o: Options = { samples: 2000, warmup: 200, durationMs: 3000, payloadBytes: 128, window: 4096, useCodec: true };
  const numeric: Record<string, keyof Options> = { '--samples': 'samples', '--warmup': 'warmup', '--duration-ms': 'durationMs',
    '--payload-bytes': 'payloadBytes', '--window': 'window' };
  for (let k = 0; k < args.length; k++) {
    const a = args[k];
    if (a === '--no-codec') { o.useCodec = false; continue; }
    const key = numeric[a];
    const n = Number(args[k + 1]);
    if (key === undefined || !Number.isSafeInteger(n) || n < 0) {
      throw new OpError('E_USAGE', `bad argument ${a} ${args[k + 1] ?? ''}; flags: ${Object.keys(numeric).join(' ')} --no-codec`);
    }
    (o[key] as number) = n;
    k++;
  }
  if (o.payloadBytes < SEQ_BYTES) throw new OpError('E_USAGE', `--payload-bytes must be >= ${SEQ_BYTES}`);
  if (o.window < 1 || o.window > RAFT_MAX_PENDING_PROPOSALS) throw new OpError('E_USAGE', `--window must be in [1, ${RAFT_MAX_PENDING_PROPOSALS}]`);
  return o;
}

/** Tracks which tagged proposals the leader has committed. */
class CommitTracker {
  committed = 0;
  dropped = 0;
  private readonly waiters = new Map<number, () => void>();
  private progress: (() => void) | null = null;

  onEntries(entries: Entry[]): void {
    for (const e of entries) {
      if (e.type !== 'normal' || e.data.length < SEQ_BYTES) continue;
      const seq = new DataView(e.data.buffer, e.data.byteOffset, SEQ_BYTES).getFloat64(0, true);
      this.committed++;
      const w = this.waiters.get(seq);
      if (w !== undefined) {
        this.waiters.delete(seq);
        w();
      }
    }
    this.wakeProgress();
  }

  onDropped(): void {
    this.dropped++;
    this.wakeProgress();
  }

  private wakeProgress(): void {
    const p = this.progress;
    this.progress = null;
    p?.();
  }

  waitFor(seq: number): Promise<void> {
    return new Promise((resolve) => this.waiters.set(seq, resolve));
  }

  waitProgress(): Promise<void> {
    return new Promise((resolve) => { this.progress = resolve; });
  }
}

function payload(seq: number, bytes: number): Uint8Array {
  const b = new Uint8Array(bytes);
  new DataView(b.buffer).setFloat64(0, seq, true);
  for (let i = SEQ_BYTES; i < bytes; i++) b[i] = (seq + i) & 0xff;
  return b;
}

async function withTimeout<T>(p: Promise<T>, cluster: BenchCluster, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no progress in ${COMMIT_WAIT_TIMEOUT_MS} ms (cluster failure: ${String(cluster.failure)})`)),
      COMMIT_WAIT_TIMEOUT_MS);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The disk floor: one DiskStorage saving one entry + hard state per save, fdatasync on. */
async function measureStorageBaseline(o: Options): Promise<{ samples: number; p50Ms: number; p99Ms: number; maxMs: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'mdc-bench-baseline-'));
  const { storage } = await DiskStorage.open(dir, { warn: () => undefined, info: () => undefined });
  const samples: number[] = [];
  try {
    for (let i = 1; i <= BASELINE_SAVES; i++) {
      const t0 = performance.now();
      await storage.save({ hardState: { term: term(1), vote: null, commit: logIndex(i - 1) },
        entries: [{ term: term(1), index: logIndex(i), type: 'normal', data: payload(i, o.payloadBytes) }], snapshot: null, mustSync: true });
      samples.push(performance.now() - t0);
    }
  } finally {
    await storage.close();
    await rm(dir, { recursive: true, force: true });
  }
  return { samples: samples.length, p50Ms: percentile(samples, 50), p99Ms: percentile(samples, 99), maxMs: Math.max(...samples) };
}

async function measureLatency(cluster: BenchCluster, tracker: CommitTracker, o: Options, seqStart: number): Promise<number[]> {
  const leader = cluster.leaderId()!;
  const samples: number[] = [];
  for (let i = 0; i < o.warmup + o.samples; i++) {
    const seq = seqStart + i;
    const data = payload(seq, o.payloadBytes);
    const done = tracker.waitFor(seq);
    const t0 = performance.now();
    cluster.propose(leader, data);
    await withTimeout(done, cluster, `latency proposal ${seq}`);
    if (i >= o.warmup) samples.push(performance.now() - t0);
  }
  return samples;
}

async function measureThroughput(cluster: BenchCluster, tracker: CommitTracker, o: Options, seqStart: number) {
  const leader = cluster.leaderId()!;
  let seq = seqStart;
  const committed0 = tracker.committed;
  const dropped0 = tracker.dropped;
  const readies0 = cluster.counters()[leader].readies;
  const t0 = performance.now();
  let elapsedMs = 0;
  while ((elapsedMs = performance.now() - t0) < o.durationMs) {
    const outstanding = seq - seqStart - (tracker.committed - committed0) - (tracker.dropped - dropped0);
    for (let k = outstanding; k < o.window; k++) cluster.propose(leader, payload(seq++, o.payloadBytes));
    await withTimeout(tracker.waitProgress(), cluster, 'throughput');
  }
  const committed = tracker.committed - committed0;
  const readies = cluster.counters()[leader].readies - readies0;
  // Let the outstanding tail commit before the cluster stops (not counted).
  while (tracker.committed - committed0 + tracker.dropped - dropped0 < seq - seqStart) {
    await withTimeout(tracker.waitProgress(), cluster, 'throughput drain');
  }
  return { proposed: seq - seqStart, committed, dropped: tracker.dropped - dropped0, elapsedMs,
    proposalsPerSec: (committed / elapsedMs) * 1000, leaderReadies: readies, entriesPerLeaderReady: committed / Math.max(1, readies) };
}

export async function main(args: string[]): Promise<void> {
  const o = parseArgs(args);
  const machineBefore = machineFacts();
  const storageBaseline = await measureStorageBaseline(o);
  const raft = { electionTimeoutTicks: 10, heartbeatTicks: 1, leaseTicks: 6, clockDriftBoundTicks: 2,
    maxInflightAppends: RAFT_MAX_INFLIGHT_APPENDS, maxEntriesPerAppend: RAFT_MAX_ENTRIES_PER_APPEND, checkQuorum: true as const, preVote: true as const };
  const cluster = await BenchCluster.start({ size: 3, useCodec: o.useCodec, tickIntervalMs: 100, raft });
  const tracker = new CommitTracker();
  cluster.onLeaderCommitted = (entries) => tracker.onEntries(entries);
  cluster.onDropped = () => tracker.onDropped();
  try {
    await cluster.elect(nodeId('n1'), COMMIT_WAIT_TIMEOUT_MS);
    const latency = await measureLatency(cluster, tracker, o, 1);
    const throughput = await measureThroughput(cluster, tracker, o, 1 + o.warmup + o.samples);
    const lat = { samples: latency.length, p50Ms: percentile(latency, 50), p90Ms: percentile(latency, 90),
      p99Ms: percentile(latency, 99), maxMs: Math.max(...latency), meanMs: latency.reduce((a, b) => a + b, 0) / latency.length };
    const result = {
      benchmark: 'raft', at: new Date().toISOString(), machine: machineBefore, loadAverageAfter: machineFacts().loadAverage,
      setup: { nodes: 3, storage: 'DiskStorage, fdatasync on, one temp dir per node (same disk)', messages: o.useCodec ? 'in-process via encodeMessage/decodeMessage' : 'in-process objects',
        options: o, raft },
      storageBaseline, latency: lat, throughput, nodes: cluster.counters(),
      targets: { p99Ms: TARGET_P99_MS, proposalsPerSec: TARGET_PROPOSALS_PER_SEC },
      meets: { p99: lat.p99Ms <= TARGET_P99_MS, throughput: throughput.proposalsPerSec >= TARGET_PROPOSALS_PER_SEC },
    };
    const path = await writeResult('raft', result);
    const f = (n: number): string => n.toFixed(2);
    process.stdout.write(`raft: commit latency p50 ${f(lat.p50Ms)} ms p99 ${f(lat.p99Ms)} ms max ${f(lat.maxMs)} ms (target p99 <= ${TARGET_P99_MS})`
      + ` | ${Math.round(throughput.proposalsPerSec).toLocaleString('en-US')} proposals/s, ${f(throughput.entriesPerLeaderReady)} entries/ready`
      + ` (target >= ${TARGET_PROPOSALS_PER_SEC.toLocaleString('en-US')}) | disk floor: 1-node save p99 ${f(storageBaseline.p99Ms)} ms`
      + ` | load ${machineBefore.loadAverage[0].toFixed(1)} | ${path}\n`);
  } finally {
    await cluster.stop();
  }
}
