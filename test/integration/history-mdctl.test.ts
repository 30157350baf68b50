// Issue 12, the admin's view: an mdctl command (a separate process, MDCTL_SOCKET listing all
// three daemons, the master first) issued at the moment the master is killed (kill -9) completes
// exactly once and reports one outcome: exit 0, and the committed log shows the request applied
// once (no second application, not undone by md). The kill lands at different points of the
// command's life (before it connects, while it is proposed, while it waits for md's verdict).
// The commands alternate --readonly / --readwrite of md1, so each one changes the state.
import { describe, expect, test } from 'vitest';
import { createRaid1 } from './lib/arrays.js';
import { readNodeLog, fullestLog, logDivergence } from './lib/history-log.js';
import { mdctlRequests, startMdctl } from './lib/history-mdctl.js';
import { useCluster } from './lib/vitest-cluster.js';
import { sleep } from './lib/wait.js';

/** Kill delays after the mdctl process starts (its start-up takes ~100-300 ms on this machine). */
const KILL_DELAYS_MS = [0, 100, 200, 300, 400, 500, 600, 800];

describe('an mdctl command issued at the moment the master is killed', () => {
  const cluster = useCluster({ name: 'hist-mdctl', disks: [{ id: 'sda', sizeSectors: 32_768 }, { id: 'sdb', sizeSectors: 32_768 }], env: { MDCLUSTERD_SNAPSHOT_EVERY_ENTRIES: '10000000' } }, async (c) => {
    await createRaid1(c, 'n1', { device: 'md1', members: ['/dev/sda', '/dev/sdb'], raidDevices: 2, spares: 0, assumeClean: true });
  });

  test('completes exactly once with exit 0, whenever the kill lands', async () => {
    const c = cluster();
    const runs: { pid: number; delayMs: number; code: number; stderr: string; readOnly: boolean }[] = [];
    for (const [i, delayMs] of KILL_DELAYS_MS.entries()) {
      const m = await c.waitForMaster();
      const sockets = [m.id, ...c.ids.filter((id) => id !== m.id)].map((id) => c.controlSocket(id));
      const readOnly = i % 2 === 0;
      const run = startMdctl(sockets, ['--manage', '/dev/md1', readOnly ? '--readonly' : '--readwrite']);
      await sleep(delayMs);
      await c.kill(m.id);
      const r = await run.done;
      runs.push({ pid: run.pid, delayMs, code: r.code, stderr: r.stderr, readOnly });
      await c.restart(m.id);
    }
    await c.waitForMaster();
    const state = await c.control<{ state: { arrays: { device: string; adminReadOnly: boolean }[] } }>(c.ids[0], 'state', {});
    for (const id of c.ids) await c.kill(id);
    const logs = await Promise.all(c.ids.map((id) => readNodeLog(id, c.dataDir(id))));
    expect(logDivergence(logs)).toEqual([]);
    const full = fullestLog(logs);
    expect(full.snapshotIndex).toBe(0);
    const seen = runs.map((r) => {
      const reqs = mdctlRequests(full.requests, r.pid);
      const undone = reqs.flatMap((t) => full.verdicts.get(`${t.client}#${t.seq}`) ?? []).filter((v) => !v.ok);
      return { delayMs: r.delayMs, code: r.code, stderr: r.stderr.trim().slice(0, 300), requests: reqs.length, applied: reqs.map((t) => t.appliedAt.length), applyOk: reqs.map((t) => t.applyOk), undone: undone.length };
    });
    process.stdout.write(`mdctl at kill: ${JSON.stringify(seen)}\n`);
    // SAFETY (issue 12): one outcome, exit 0, applied exactly once and not undone.
    // KNOWN FAILING (reported to the lead, 2026-12-07): `mdctl --manage` reads the state through
    // the FIRST socket only (mdctl/src/context.ts daemon(), used by state.ts readState) before it
    // proposes; when that daemon was just killed, mdctl exits 1 with E_NO_DAEMON instead of asking
    // the next daemon in MDCTL_SOCKET. Nothing is applied then (no lie), but the command does not
    // complete. Do not weaken this assertion: it must pass once mdctl retries the read as well.
    expect(seen).toEqual(runs.map((r) => ({ delayMs: r.delayMs, code: 0, stderr: '', requests: 1, applied: [1], applyOk: [true], undone: 0 })));
    expect(state.state.arrays.find((a) => a.device === 'md1')?.adminReadOnly).toBe(runs.at(-1)!.readOnly);
  }, 60_000 + KILL_DELAYS_MS.length * 70_000);
});
