// The events issue #16 added, end to end through the pure layers: the replicated command
// (validate + apply), the event every node derives from it (node/events.ts, keyed by the entry's
// index), and delivery through the alert path (node/alert-delivery.ts): three nodes derive the
// same event, only the master runs the program, once; a new master does not run it again once
// the watermark passed it. Plus the node parts that propose the commands (writer-reports.ts,
// spare-mover via cluster/spare-groups.ts, boot-degraded.ts).
import { describe, expect, it } from 'vitest';
import { applyCommand } from '../../daemon/src/cluster/apply.js';
import type { Command } from '../../daemon/src/cluster/commands.js';
import { chooseSpareMove } from '../../daemon/src/cluster/spare-groups.js';
import { emptyClusterState, type ClusterState } from '../../daemon/src/cluster/types.js';
import type { LogIndex, NodeId, Term } from '../../daemon/src/common/types.js';
import type { ClusterEvent } from '../../daemon/src/control/protocol.js';
import { silentLogger } from '../../daemon/src/log/logger.js';
import { syslogPriority } from '../../daemon/src/md/format/alerter.js';
import { AlertDelivery } from '../../daemon/src/node/alert-delivery.js';
import { BootDegraded } from '../../daemon/src/node/boot-degraded.js';
import { ClusterEvents } from '../../daemon/src/node/events.js';
import { WriterReports } from '../../daemon/src/node/writer-reports.js';
import type { RaftStatus } from '../../daemon/src/raft/types.js';
import { arrayRecord, memberRecord } from './record-fixtures.js';

const TERM = 4 as Term;
const n = (id: string) => id as NodeId;

/** Three nodes applying the same entries; n1 is the master. */
class Cluster {
  readonly state: ClusterState[] = [0, 1, 2].map(() => emptyClusterState());
  readonly events = ['n1', 'n2', 'n3'].map((id) => new ClusterEvents(id, { monoMs: () => 0, wallMs: () => 0 }));
  readonly seen: ClusterEvent[][] = [[], [], []];
  readonly runs: string[][][] = [[], [], []];
  readonly delivery: AlertDelivery[];
  readonly status: RaftStatus[];
  index = 0;

  constructor(arrays: ReturnType<typeof arrayRecord>[]) {
    this.status = ['n1', 'n2', 'n3'].map((id, i) => ({ id: n(id), term: TERM, role: i === 0 ? 'leader' : 'follower', nowTick: 100 }) as unknown as RaftStatus);
    this.delivery = this.state.map((st, i) => new AlertDelivery(
      { program: '/usr/local/bin/alert', mail: null, mailFrom: null, syslog: false, incrementPercent: 20, host: 'h' },
      { raftStatus: () => this.status[i], state: () => st, propose: () => {}, mdstat: () => '' },
      { clock: { monoMs: () => 0, wallMs: () => 0 }, logger: silentLogger, commands: { run: async (cmd, argv) => { this.runs[i].push([cmd, ...argv]); return { ok: true }; } } },
    ));
    this.state.forEach((st, i) => {
      st.master = { node: n('n1'), term: TERM };
      st.arrays = structuredClone(arrays);
      this.events[i].subscribe((e) => { this.seen[i].push(e); this.delivery[i].onEvent(e); });
    });
  }

  /** Applies `cmd` on every node as node.ts does; returns its result on n1. */
  apply(cmd: Command): ReturnType<typeof applyCommand> {
    this.index++;
    let first: ReturnType<typeof applyCommand> | null = null;
    this.state.forEach((st, i) => {
      this.events[i].capture(cmd, st);
      st.appliedIndex = (this.index - 1) as LogIndex;
      const prev = st.master;
      const r = applyCommand(st, cmd);
      st.appliedIndex = this.index as LogIndex;
      this.events[i].onApplied(cmd, r, this.index, prev, st);
      first ??= r;
    });
    return first!;
  }

  async flush(): Promise<void> {
    for (const d of this.delivery) d.flush();
    await new Promise((r) => setImmediate(r));
  }
}

const spare = (path: string) => memberRecord(path, { role: 'spare', slot: null, inSync: false });
const faulty = (path: string) => memberRecord(path, { role: 'faulty', slot: null, inSync: false });
/** md0 degraded (sdb failed, no spare), md1 whole with spare sdz. */
const md0Degraded = () => arrayRecord({ device: 'md0', uuid: '00000000:00000000:00000000:00000000', members: [memberRecord('/dev/sda', { slot: 0 }), faulty('/dev/sdb')] });
const md1WithSpare = () => arrayRecord({ device: 'md1', uuid: '11111111:00000000:00000000:00000000', members: [memberRecord('/dev/sdx', { slot: 0 }), memberRecord('/dev/sdy', { slot: 1 }), spare('/dev/sdz')] });

describe('the cluster\'s own events: once for the cluster, through the alert path', () => {
  it('DemoteFailed: every node raises it from the entry; only the master runs the program, once', async () => {
    const c = new Cluster([md0Degraded()]);
    expect(c.apply({ op: 'demote-failed', node: n('n2'), term: 3, array: 'md0', action: 'stop-array', message: 'EBUSY' })).toEqual({ ok: true });
    expect(c.seen.map((s) => s.map((e) => [e.key, e.name, e.device]))).toEqual([0, 1, 2].map(() => [['1', 'DemoteFailed', '/dev/md0']]));
    expect(c.seen[0][0].detail).toBe('n2 could not switch it read-only (term 3): EBUSY; escalation: stop-array');
    await c.flush();
    await c.flush();
    expect(c.runs).toEqual([[['/usr/local/bin/alert', 'DemoteFailed', '/dev/md0', c.seen[0][0].detail!]], [], []]);
    expect(syslogPriority('DemoteFailed')).toBe('crit');
  });

  it('FenceRan carries the exit status; a new master does not deliver it again once alerts-sent passed it', async () => {
    const c = new Cluster([]);
    c.apply({ op: 'fence-ran', node: n('n3'), by: n('n1'), term: 4, status: 0, message: '' });
    c.apply({ op: 'fence-ran', node: n('n3'), by: n('n1'), term: 4, status: null, message: 'killed' });
    expect(c.seen[1].map((e) => e.detail)).toEqual(['n1 fenced n3 (term 4): exit status 0', 'n1 fenced n3 (term 4): no exit status (killed, timed out or not started): killed']);
    await c.flush();
    expect(c.runs[0].map((r) => r.slice(1, 3))).toEqual([['FenceRan', 'cluster'], ['FenceRan', 'cluster']]);
    // n1 confirmed (alerts-sent through 2) and dies; n2 becomes master: nothing again.
    for (const st of c.state) st.alertsSentThrough = 2;
    c.status[0] = { ...c.status[0], role: 'follower' } as RaftStatus;
    c.status[1] = { ...c.status[1], role: 'leader', term: 5 as Term } as RaftStatus;
    for (const st of c.state) st.master = { node: n('n2'), term: 5 as Term };
    await c.flush();
    expect(c.runs[1]).toEqual([]);
  });

  it('MoveSpare: the master\'s choice moves the spare in one entry; mdadm\'s arguments (to, from); refused when no longer allowed', async () => {
    const c = new Cluster([md0Degraded(), md1WithSpare()]);
    const groups = [{ name: 'g', arrays: ['md0', '11111111:00000000:00000000:00000000'] }];
    const move = chooseSpareMove(c.state[0], groups, TERM);
    expect(move).toEqual({ op: 'move-spare', from: 'md1', to: 'md0', member: '/dev/sdz', term: TERM });
    expect(chooseSpareMove(c.state[0], [{ name: 'g', arrays: ['md0'] }, { name: 'h', arrays: ['md1'] }], TERM)).toBeNull();
    expect(c.apply(move!)).toEqual({ ok: true });
    for (const st of c.state) {
      expect(st.arrays[1].members.find((m) => m.path === '/dev/sdz')?.role).toBe('removed');
      expect(st.arrays[0].members.find((m) => m.path === '/dev/sdz')).toMatchObject({ role: 'spare', pendingAdd: 'add' });
    }
    expect(c.seen.map((s) => s.map((e) => `${e.name} ${e.device} ${e.component}`))).toEqual([0, 1, 2].map(() => ['MoveSpare /dev/md0 /dev/md1']));
    await c.flush();
    expect(c.runs[0]).toEqual([['/usr/local/bin/alert', 'MoveSpare', '/dev/md0', '/dev/md1']]);
    // md0 now has a spare: no second move; the same command again is refused at apply.
    expect(chooseSpareMove(c.state[0], groups, TERM)).toBeNull();
    expect(c.apply(move!)).toMatchObject({ ok: false, code: 'E_INVALID_STATE' });
  });

  it('move-spare is refused from a degraded donor, to a whole or non-redundant array, with a stale term, or when the spare may be too small', () => {
    const st = emptyClusterState();
    st.master = { node: n('n1'), term: TERM };
    const donor = md1WithSpare();
    st.arrays = [md0Degraded(), donor];
    const cmd: Command = { op: 'move-spare', from: 'md1', to: 'md0', member: '/dev/sdz', term: TERM };
    const refused = (s: ClusterState, c: Command = cmd) => applyCommand(structuredClone(s), c).ok === false;
    expect(refused(st)).toBe(false);
    expect(refused(st, { ...cmd, term: 3 })).toBe(true);
    expect(refused({ ...st, arrays: [md0Degraded(), { ...donor, members: [donor.members[0], faulty('/dev/sdy'), donor.members[2]] }] })).toBe(true);
    expect(refused({ ...st, arrays: [arrayRecord({ device: 'md0' }), donor] })).toBe(true);
    expect(refused({ ...st, arrays: [{ ...md0Degraded(), level: 'raid0' }, donor] })).toBe(true);
    expect(refused({ ...st, arrays: [{ ...md0Degraded(), componentSizeKiB: 2000 }, donor] })).toBe(true);
    expect(refused({ ...st, arrays: [{ ...md0Degraded(), members: [...md0Degraded().members, memberRecord('/dev/sdc', { slot: 1, inSync: false })] }, donor] })).toBe(true);
  });

  it('DeviceRemoved: a failed member hot-removed from the record is an event (mdadm has none), delivered once', async () => {
    const c = new Cluster([md0Degraded()]);
    c.apply({ op: 'hot-remove', device: 'md0', member: '/dev/sdb' });
    expect(c.seen[2].map((e) => `${e.name} ${e.component}`)).toEqual(['DeviceRemoved /dev/sdb']);
    await c.flush();
    expect(c.runs).toEqual([[['/usr/local/bin/alert', 'DeviceRemoved', '/dev/md0', '/dev/sdb']], [], []]);
  });

  it('DegradedAtBoot: raised from the entry only while the record is degraded', () => {
    const c = new Cluster([md0Degraded(), arrayRecord({ device: 'md1', uuid: '11111111:00000000:00000000:00000000' })]);
    c.apply({ op: 'degraded-at-boot', array: 'md0', term: TERM });
    c.apply({ op: 'degraded-at-boot', array: 'md1', term: TERM });
    expect(c.seen[0].map((e) => `${e.key} ${e.name} ${e.device}`)).toEqual(['1 DegradedAtBoot /dev/md0']);
    expect(syslogPriority('DegradedAtBoot')).toBe('crit');
  });
});

describe('the node parts that propose them', () => {
  it('WriterReports: one demote-failed per term and array; one fence-ran per node, term and exit status', () => {
    const proposed: Command[] = [];
    const r = new WriterReports((c) => proposed.push(c));
    for (let i = 0; i < 3; i++) r.demoteFailed(n('n1'), 4, 'md0', 'none', new Error('EBUSY'));
    r.demoteFailed(n('n1'), 5, 'md0', 'none', new Error('EBUSY'));
    expect(proposed.map((c) => c.op === 'demote-failed' && `${c.term} ${c.array}`)).toEqual(['4 md0', '5 md0']);
    proposed.length = 0;
    for (let i = 0; i < 3; i++) r.fenceRan(n('n2'), 'n1', 4, { ok: false, message: 'exit 1', status: 1 });
    r.fenceRan(n('n2'), 'n1', 4, { ok: true });
    expect(proposed).toEqual([
      { op: 'fence-ran', node: 'n1', by: 'n2', term: 4, status: 1, message: 'exit 1' },
      { op: 'fence-ran', node: 'n1', by: 'n2', term: 4, status: 0, message: '' },
    ]);
  });

  it('BootDegraded: proposed once by the writer for an array it found not running at its first read; never for a later re-assembly or an admin\'s start', () => {
    const proposed: Command[] = [];
    let peerWritable = false;
    const b = new BootDegraded({ bootIndex: () => 50, peerWritable: () => peerWritable, propose: (c) => proposed.push(c) });
    const rec = { ...md0Degraded(), startedIndex: 10 };
    b.read(rec, false); // first read after start: not running in the kernel -> at boot
    b.converged(rec, { writer: false, term: TERM }); // a standby while no one is writer yet: keeps it
    b.converged(rec, { writer: true, term: TERM });
    b.converged(rec, { writer: true, term: TERM });
    expect(proposed).toEqual([{ op: 'degraded-at-boot', array: 'md0', term: TERM }]);
    b.read(rec, false); // a later re-assembly: not a boot
    b.converged(rec, { writer: true, term: TERM });
    expect(proposed).toHaveLength(1);
    // An array an admin started after this daemon started (startedIndex > boot index): not at boot.
    const fresh = { ...md0Degraded(), device: 'md5', startedIndex: 60 };
    b.read(fresh, false);
    b.converged(fresh, { writer: true, term: TERM });
    // A standby that sees a writable peer drops it: it will not report it on a later failover.
    const other = { ...md0Degraded(), device: 'md6', startedIndex: 10 };
    b.read(other, false);
    peerWritable = true;
    b.converged(other, { writer: false, term: TERM });
    b.converged(other, { writer: true, term: TERM });
    expect(proposed).toHaveLength(1);
  });
});
