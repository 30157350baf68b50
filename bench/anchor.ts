// The `anchor` benchmark: etcd, measured the way `failover` and `commit` measure us, so that our
// numbers have a reference taken on the same machine in the same run (issue 15).
// Setup: Debian's etcd-server (installed with apt-get when missing, see etcd-cluster.ts), 3
// members on loopback, fsync on (etcd's default), at our daemon's timing in ms: heartbeat
// tickMs x heartbeatTicks (50 ms), election timeout tickMs x electionTicks (300 ms), pre-vote on
// (as our raft runs). The machine-wide cluster lock is held, so no mdclusterd test cluster runs
// beside it. Measures:
//  1. failover: kill -9 of the etcd leader, then the first write accepted by another member:
//     every survivor's Status is polled every POLL_MS; once one names a new leader, a Put is
//     sent to that leader; the time is from just before SIGKILL to that Put's reply (first
//     success wins). Also the time until a survivor first named the new leader (elected).
//     The killed member is restarted each round and the next round waits until all 3 agree on
//     a leader and a Put through the restarted member succeeds (it caught up).
//  2. commit: one 256-byte Put at a time, through the leader (it replies once applied on the
//     leader, after a quorum fsynced it) and through a follower (forwarded), p50/p99.
//  3. idle: CPU and RSS of each member over a window with no requests.
// Then prints each ratio ours/etcd against bench/results/{failover,commit,idle}.json (with
// their age) and the targets of issue 15 (summary.ts). Writes bench/results/anchor.json.
// No timed assertion anywhere: targets are reported met or not.
// Args: --kills N --samples N --warmup N --idle-window-s N --pre-vote 0|1 --table 0|1 (`npm run bench`
// passes --table 0: it prints the table once, at the end, from that run's results only)
import { acquireClusterLock } from '../test/integration/lib/cluster-lock.js';
import { parseIntFlags, procSample, mib, SAMPLES_RANGE, summarize, type LatencySummary } from '../test/integration/lib/bench-util.js';
import { DEFAULT_TEST_TIMING } from '../test/integration/lib/node-config.js';
import { sleep } from '../test/integration/lib/wait.js';
import { EtcdCluster, ensureEtcd, type EtcdMember } from './etcd-cluster.js';
import { machineFacts, writeResult } from './report.js';
import { loadResults, printTable, sourcesLine, summaryRows } from './summary.js';

const POLL_MS = 2;
const ROUND_TIMEOUT_MS = 15_000;
const CALL_TIMEOUT_MS = 1000;
const PUT_TIMEOUT_MS = 10_000;
const VALUE_BYTES = 256;

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

/** One failover round: kill the leader, wait for a write accepted elsewhere. Returns [acceptedMs, electedMs]. */
async function failoverRound(c: EtcdCluster, round: number): Promise<[number, number]> {
  const old = await c.agreedLeader();
  const survivors = c.members.filter((m) => m !== old.leader);
  const value = new Uint8Array(VALUE_BYTES);
  let electedMs = NaN;
  let done = false;
  const t0 = performance.now();
  const killed = old.leader.kill();
  const poll = async (m: EtcdMember): Promise<number> => {
    while (!done && performance.now() - t0 < ROUND_TIMEOUT_MS) {
      try {
        const s = await m.client.status(CALL_TIMEOUT_MS);
        const named = s.leader !== 0n && s.leader !== old.id && s.raftTerm > old.term;
        if (named && Number.isNaN(electedMs)) electedMs = performance.now() - t0;
        // The Put goes to the new leader: this member when it names itself; the other
        // survivor's poller covers the other case.
        if (named && s.leader === s.memberId) {
          await m.client.put(enc(`bench/failover/${round}`), value, CALL_TIMEOUT_MS);
          done = true;
          return performance.now() - t0;
        }
      } catch { /* no answer yet (electing, or this member is the one that died): poll again */ }
      await sleep(POLL_MS);
    }
    throw new Error(done ? 'the other survivor won' : `no write accepted within ${ROUND_TIMEOUT_MS} ms after killing ${old.leader.name}`);
  };
  const accepted = await Promise.any(survivors.map(poll)).catch((e: AggregateError) => { throw new Error(String((e.errors[0] as Error).message)); });
  done = true;
  await killed;
  old.leader.start();
  // Caught up: all 3 agree on a leader and a Put through the restarted member is applied there.
  await c.agreedLeader();
  await old.leader.client.put(enc('bench/rejoin'), value, PUT_TIMEOUT_MS);
  return [accepted, electedMs];
}

async function commitLatency(m: EtcdMember, samples: number, warmup: number): Promise<number[]> {
  const out: number[] = [];
  const value = new Uint8Array(VALUE_BYTES).fill(0x61);
  const key = enc('bench/commit');
  for (let i = 0; i < warmup + samples; i++) {
    const t0 = performance.now();
    await m.client.put(key, value, PUT_TIMEOUT_MS);
    if (i >= warmup) out.push(performance.now() - t0);
  }
  return out;
}

async function idle(c: EtcdCluster, windowS: number): Promise<{ node: string; cpuPct: number; rssMB: number }[]> {
  const start = c.members.map((m) => (m.pid === null ? null : procSample(m.pid)));
  const t0 = performance.now();
  await sleep(windowS * 1000);
  const secs = (performance.now() - t0) / 1000;
  return c.members.map((m, i) => {
    const end = m.pid === null ? null : procSample(m.pid);
    const s = start[i];
    if (!s || !end) throw new Error(`etcd ${m.name} exited during the idle window`);
    return { node: m.name, cpuPct: Math.round(((end.cpuSeconds - s.cpuSeconds) / secs) * 10000) / 100, rssMB: mib(end.rssBytes) };
  });
}

export interface AnchorResult {
  benchmark: 'anchor';
  etcd: {
    failover: LatencySummary; elected: LatencySummary;
    commitViaLeader: LatencySummary; commitViaFollower: LatencySummary;
    idle: { node: string; cpuPct: number; rssMB: number }[];
  };
}

export async function main(args: string[]): Promise<void> {
  const o = parseIntFlags(args, { kills: 30, samples: 500, warmup: 50, idleWindowS: 10, preVote: 1, table: 1 },
    { kills: [1, SAMPLES_RANGE[1]], samples: SAMPLES_RANGE, warmup: [0, 10_000], idleWindowS: [0, 3600], preVote: [0, 1], table: [0, 1] });
  const say = (m: string): void => { process.stderr.write(`${m}\n`); };
  const binary = ensureEtcd(say);
  const t = DEFAULT_TEST_TIMING;
  const timing = { heartbeatMs: t.tickMs * t.heartbeatTicks, electionMs: t.tickMs * t.electionTicks, preVote: o.preVote === 1 };
  const release = await acquireClusterLock();
  const machine = machineFacts();
  let c: EtcdCluster | null = null;
  try {
    c = await EtcdCluster.start(binary, timing);
    const accepted: number[] = [];
    const elected: number[] = [];
    for (let i = 0; i < o.kills; i++) {
      const [a, e] = await failoverRound(c, i);
      accepted.push(a);
      if (!Number.isNaN(e)) elected.push(e);
    }
    const { leader } = await c.agreedLeader();
    const follower = c.members.find((m) => m !== leader)!;
    const viaLeader = summarize(await commitLatency(leader, o.samples, o.warmup));
    const viaFollower = summarize(await commitLatency(follower, o.samples, o.warmup));
    const idleNodes = o.idleWindowS > 0 ? await idle(c, o.idleWindowS) : [];
    const result = {
      benchmark: 'anchor', at: new Date().toISOString(), machine, loadAverageAfter: machineFacts().loadAverage,
      setup: {
        etcd: { version: binary.version, bin: binary.bin, installedNow: binary.installedNow, members: 3, transport: 'loopback, plain HTTP/2 gRPC (bench/etcd-grpc.ts)', fsync: 'on (etcd default; --unsafe-no-fsync not passed)', ...timing, dataDir: c.dir },
        ours: { timing: DEFAULT_TEST_TIMING },
        options: o,
        failover: { measuredFrom: 'bench performance.now() just before SIGKILL of the leader', measuredTo: `reply to the first Put accepted by the new leader (survivors' Status polled every ${POLL_MS} ms)`, elected: 'first Status naming a new leader in a newer term' },
        commit: { value: `${VALUE_BYTES} bytes, same key, one at a time`, viaLeader: 'Put to the leader: replies once applied on the leader', viaFollower: 'Put to a follower: forwarded to the leader, replies once applied on that follower' },
      },
      etcd: { failover: summarize(accepted), elected: summarize(elected), commitViaLeader: viaLeader, commitViaFollower: viaFollower, idle: idleNodes },
    };
    const path = await writeResult('anchor', result);
    const f0 = (n: number): string => n.toFixed(0);
    const f2 = (n: number): string => n.toFixed(2);
    const fo = result.etcd.failover;
    process.stdout.write(`anchor: etcd ${binary.version} (3 members, heartbeat ${timing.heartbeatMs} ms, election ${timing.electionMs} ms, pre-vote ${timing.preVote}, fsync on):`
      + ` failover p50 ${f0(fo.p50Ms)} p90 ${f0(fo.p90Ms)} p99 ${f0(fo.p99Ms)} max ${f0(fo.maxMs)} ms over ${fo.samples} (elected p50 ${f0(result.etcd.elected.p50Ms)} ms);`
      + ` put via leader p50 ${f2(viaLeader.p50Ms)} p99 ${f2(viaLeader.p99Ms)} ms, via follower p50 ${f2(viaFollower.p50Ms)} p99 ${f2(viaFollower.p99Ms)} ms`
      + (idleNodes.length ? `; idle CPU ${idleNodes.map((n) => `${n.cpuPct}%`).join('/')} RSS ${idleNodes.map((n) => n.rssMB).join('/')} MB` : '')
      + ` | load ${machine.loadAverage[0].toFixed(1)} | ${path}\n`);
    if (o.table === 1) {
      const all = await loadResults();
      printTable(summaryRows(all), (s) => process.stdout.write(s));
      process.stdout.write(sourcesLine(all));
    }
  } catch (e) {
    if (c) process.stderr.write(c.failureReport() + '\n');
    await c?.destroy({ keepDir: true });
    c = null;
    throw e;
  } finally {
    await c?.destroy();
    release();
  }
}
