// The history test's workload and faults on a 3-node cluster: concurrent clients through
// different nodes while the master is killed (kill -9, twice per round) and the link from the
// master to one follower is cut one way. Owns: the arrays and disks the clients use, the client
// loops, the fault schedule, the settling, and the offline checks after the daemons stopped.
// Clients (each its own session, one request in flight, think time CLIENT_THINK_MS):
//   cycle    fail / remove / add of /dev/sdc on md0 (a spare), in that order, forever;
//   wm-a, wm-b  write-mostly on/off of /dev/sdb on md0, random: two clients contending on one disk;
//   ro       read-only / read-write of md1, random;
//   create   one raid1 with a unique name (md10, md11, ...) per round from a pool of fresh disks,
//            while it lasts.
// Invariants: every client loop ends (the stop flag, then at most HISTORY_OP_DEADLINE_MS for
// its last operation); every fault is healed and every killed node restarted before settling.
import { join } from 'node:path';
import type { Cluster, DiskSpec } from '../harness.js';
import { createCommand, createRaid1 } from './arrays.js';
import { HistoryClient, HistoryRecorder, wallNow, type OpRecord } from './history-clients.js';
import { checkAcked, checkDuplicates, checkRealTimeOrder, checkRegisters, type Violation } from './history-check.js';
import { canonicalJson, fullestLog, logDivergence, readNodeLog, stateAt, stateDivergence } from './history-log.js';
import { sleep } from './wait.js';

/** Pause between one client's operations: keeps 6 clients from saturating a loaded 2-core box. */
const CLIENT_THINK_MS = 30;
/** How long the master -> follower link stays cut per round: longer than an election timeout. */
const LINK_CUT_MS = 1500;
/** Arrays the creator may make in one run (2 fresh disks each). */
export const HISTORY_MAX_CREATES = 6;
const DISK_SECTORS = 32_768;

const CREATE_DISKS = Array.from({ length: HISTORY_MAX_CREATES * 2 }, (_, i) => `sdc${String.fromCharCode(97 + i)}`);
export const HISTORY_DISKS: DiskSpec[] = ['sda', 'sdb', 'sdc', 'sdd', 'sde', ...CREATE_DISKS].map((id) => ({ id, sizeSectors: DISK_SECTORS }));

export async function setupHistoryArrays(c: Cluster): Promise<void> {
  await c.confirmEverywhere(HISTORY_DISKS.map((d) => `/dev/${d.id}`));
  await createRaid1(c, 'n1', { device: 'md0', members: ['/dev/sda', '/dev/sdb', '/dev/sdc'], raidDevices: 2, spares: 1, assumeClean: true });
  await createRaid1(c, 'n2', { device: 'md1', members: ['/dev/sdd', '/dev/sde'], raidDevices: 2, spares: 0, assumeClean: true });
}

export interface HistoryReport {
  rounds: number;
  ops: number;
  ok: number;
  refused: number;
  indeterminate: number;
  refusedCodes: Record<string, number>;
  registers: number;
  duplicateApplications: number;
  revertedAckedOps: number;
  lyingRefusals: number;
  realTimeViolations: number;
  registerViolations: number;
  divergence: number;
  logEntries: number;
  snapshotIndex: number;
  wallMs: number;
  historyFile: string;
  violations: Violation[];
}

/** Runs `rounds` fault rounds under the client load, settles, stops the daemons and checks. */
export async function runHistory(c: Cluster, rounds: number, log: (s: string) => void): Promise<HistoryReport> {
  const t0 = wallNow();
  const rec = new HistoryRecorder();
  const order = (k: number): string[] => c.ids.map((_, i) => c.ids[(k + i) % c.ids.length]);
  const sock = (n: string): string => c.controlSocket(n);
  let stop = false;
  let round = 0;
  const loop = async (k: number, name: string, next: (i: number) => Record<string, unknown> | null): Promise<void> => {
    const cl = new HistoryClient(`hist-${name}`, order(k), sock, rec);
    try {
      for (let i = 0; !stop; i++) {
        const cmd = next(i);
        if (cmd) await cl.propose(cmd);
        await sleep(CLIENT_THINK_MS);
      }
    } finally { cl.close(); }
  };
  const cycleOps = ['set-faulty', 'hot-remove', 'hot-add'] as const;
  let created = 0;
  let createdInRound = -1;
  const clients = [
    loop(0, 'cycle', (i) => {
      const op = cycleOps[i % 3];
      return op === 'set-faulty' ? { op, device: 'md0', member: '/dev/sdc', force: false } : { op, device: 'md0', member: '/dev/sdc' };
    }),
    loop(1, 'wm-a', () => ({ op: 'write-mostly', device: 'md0', member: '/dev/sdb', on: Math.random() < 0.5 })),
    loop(2, 'wm-b', () => ({ op: 'write-mostly', device: 'md0', member: '/dev/sdb', on: Math.random() < 0.5 })),
    loop(1, 'ro', () => ({ op: Math.random() < 0.5 ? 'read-only' : 'read-write', device: 'md1' })),
    loop(2, 'create', () => {
      if (created >= HISTORY_MAX_CREATES || createdInRound === round) return null;
      createdInRound = round;
      const k = created++;
      return createCommand({ device: `md${10 + k}`, members: [`/dev/${CREATE_DISKS[2 * k]}`, `/dev/${CREATE_DISKS[2 * k + 1]}`], raidDevices: 2, spares: 0, assumeClean: true });
    }),
  ];
  try {
    for (round = 0; round < rounds; round++) {
      for (let kill = 0; kill < 2; kill++) {
        const m = await c.waitForMaster();
        rec.event(`round ${round}: kill -9 master ${m.id} (term ${m.term})`);
        await c.kill(m.id);
        const next = await c.waitForMaster({ among: c.ids.filter((id) => id !== m.id), minTerm: m.term + 1 });
        rec.event(`round ${round}: new master ${next.id} (term ${next.term}); restarting ${m.id}`);
        await c.restart(m.id);
      }
      const m = await c.waitForMaster();
      const f = c.ids.find((id) => id !== m.id)!;
      rec.event(`round ${round}: cut ${m.id} -> ${f}`);
      c.cutLink(m.id, f);
      await sleep(LINK_CUT_MS);
      c.healLink(m.id, f);
      rec.event(`round ${round}: healed ${m.id} -> ${f}`);
      log(`history round ${round + 1}/${rounds}: ${rec.ops.length} ops so far\n`);
    }
  } finally {
    stop = true;
    c.healAll();
    await Promise.allSettled(clients);
    for (const id of c.ids) if (!c.proc(id).running) await c.restart(id);
  }
  await c.waitForMaster();
  // All nodes identical (live): every node's state, read locally once they caught up.
  const live = await c.waitSame('the replicated state', async (id) => JSON.stringify((await c.control<{ state: unknown }>(id, 'state', { local: true })).state), c.ids, 30_000);
  const historyFile = join(c.dir, 'history.json');
  rec.write(historyFile, { rounds, nodes: c.ids });
  for (const id of c.ids) await c.kill(id);
  const logs = await Promise.all(c.ids.map((id) => readNodeLog(id, c.dataDir(id))));
  const full = fullestLog(logs);
  const ops: OpRecord[] = rec.ops;
  const violations: Violation[] = [
    ...checkDuplicates(full.requests),
    ...checkAcked(ops, full.requests, full.verdicts, full.state),
    ...checkRealTimeOrder(ops),
    ...logDivergence(logs).map((d) => ({ check: 'divergence', detail: d })),
    ...stateDivergence(logs).map((d) => ({ check: 'divergence', detail: d })),
  ];
  // The live state (read before the kill) must be what the committed log gives at its index.
  const liveState = JSON.parse(live) as { appliedIndex: number };
  if (liveState.appliedIndex > full.commit) violations.push({ check: 'divergence', detail: `the live state is at ${liveState.appliedIndex}, beyond the durable commit ${full.commit}` });
  else if (canonicalJson(stateAt(full, liveState.appliedIndex)) !== canonicalJson(liveState)) {
    violations.push({ check: 'divergence', detail: `the live state at ${liveState.appliedIndex} differs from the replayed log's` });
  }
  const regs = checkRegisters(ops, full.requests, full.state);
  violations.push(...regs.violations);
  const count = (check: string): number => violations.filter((v) => v.check === check).length;
  const refusedCodes: Record<string, number> = {};
  for (const o of ops) if (o.outcome !== 'ok') refusedCodes[`${o.outcome}:${o.code}`] = (refusedCodes[`${o.outcome}:${o.code}`] ?? 0) + 1;
  const report: HistoryReport = {
    rounds, ops: ops.length, ok: ops.filter((o) => o.outcome === 'ok').length, refused: ops.filter((o) => o.outcome === 'refused').length,
    indeterminate: ops.filter((o) => o.outcome === 'indeterminate').length, refusedCodes, registers: regs.registers,
    duplicateApplications: count('duplicate application'), revertedAckedOps: count('lost acknowledged op'), lyingRefusals: count('lying refusal'),
    realTimeViolations: count('real-time order'), registerViolations: count('register'), divergence: count('divergence'),
    logEntries: full.entries.length, snapshotIndex: full.snapshotIndex, wallMs: wallNow() - t0, historyFile, violations,
  };
  rec.write(historyFile, { rounds, nodes: c.ids, report });
  return report;
}
