// The daemon's monitor events (daemon/src/node/events.ts, array-events.ts) driven through the
// real replicated-state apply: the same command sequence an admin and the master's kernel
// produce (create, observe, fail, checkpoints, re-add, stop, assemble), with the events each
// entry must raise in mdadm's terms, and this node's peer-health events.
import { beforeEach, describe, expect, it } from 'vitest';
import { applyCommand, applyEntry, type ApplyResult } from '../../daemon/src/cluster/apply.js';
import { encodeCommand, type Command } from '../../daemon/src/cluster/commands.js';
import { emptyClusterState, type ClusterState } from '../../daemon/src/cluster/types.js';
import type { LogIndex, NodeId, Term } from '../../daemon/src/common/types.js';
import type { ClusterEvent } from '../../daemon/src/control/protocol.js';
import { ClusterEvents } from '../../daemon/src/node/events.js';

const TERM = 3 as Term;
let state: ClusterState;
let events: ClusterEvents;
let got: ClusterEvent[];
let index: number;

beforeEach(() => {
  state = emptyClusterState();
  state.master = { node: 'n1' as NodeId, term: TERM };
  events = new ClusterEvents('n1', { monoMs: () => 0, wallMs: () => 1_000 });
  got = [];
  events.subscribe((e) => got.push(e));
  index = 10;
});

/** Applies one command as node.ts does and returns "Name[ component]" of the events it raised. */
function apply(cmd: Record<string, unknown>): string[] {
  const c = cmd as unknown as Command;
  const before = got.length;
  events.capture(c, state);
  const r = applyCommand(state, c);
  expect(r, JSON.stringify(cmd)).toEqual({ ok: true });
  events.onApplied(c, r, ++index, state.master, state);
  const raised = got.slice(before);
  for (const e of raised) expect(e.key).toBe(String(index));
  return raised.map((e) => `${e.name}${e.component ? ` ${e.component}` : ''}${e.percent !== undefined ? ` ${e.percent}%` : ''}`);
}

const member = (path: string, role: 'active' | 'spare' | 'faulty', slot: number | null, inSync: boolean, descNumber: number) => ({
  path, deviceUuid: `0000000${descNumber}:00000000:00000000:00000000`, role, slot, inSync, descNumber, writeMostly: false, wantReplacement: false, replacementFor: null,
});
const observe = (members: ReturnType<typeof member>[]) => ({ op: 'observe', device: 'md0', term: TERM, componentSizeKiB: 1000, arraySizeKiB: 1000, members });
const checkpoint = (action: string, done: number) => ({ op: 'checkpoint', device: 'md0', term: TERM, action, doneSectors: done, totalSectors: 2000 });
const A = '/dev/sda', B = '/dev/sdb', C = '/dev/sdc';

function createRaid1(): void {
  expect(apply({
    op: 'create', device: 'md0', uuid: '00000000:00000000:00000000:000000aa', name: 'h:0', level: 'raid1', raidDevices: 2, members: [A, B, C], spares: 1,
    metadata: '1.2', bitmap: 'none', chunkKiB: null, layout: null, assumeClean: false, sizeKiB: null,
  })).toEqual(['NewArray', 'RebuildStarted']);
  expect(apply(observe([member(A, 'active', 0, true, 0), member(B, 'active', 1, true, 1), member(C, 'spare', null, false, 2)]))).toEqual([]);
}

describe('array events from applied entries', () => {
  it('resync progress and its end follow the checkpoints; a completed resync finishes once', () => {
    createRaid1();
    expect(apply(checkpoint('resync', 500))).toEqual(['Rebuild 25%']);
    expect(apply(checkpoint('resync', 1500))).toEqual(['Rebuild 75%']);
    expect(apply(checkpoint('idle', 0))).toEqual(['RebuildFinished']);
    expect(apply(checkpoint('idle', 0))).toEqual([]);
  });

  it('a failed in-sync member is Fail; the spare rebuilding then active is SpareActive; no DegradedArray for a monitored failure', () => {
    createRaid1();
    apply(checkpoint('idle', 0));
    expect(apply({ op: 'set-faulty', device: 'md0', member: B, force: false })).toEqual([`Fail ${B}`]);
    expect(apply(observe([member(A, 'active', 0, true, 0), member(B, 'faulty', null, false, 1), member(C, 'active', 1, false, 2)]))).toEqual([]);
    expect(apply(checkpoint('recover', 1000))).toEqual(['RebuildStarted', 'Rebuild 50%']);
    expect(apply(observe([member(A, 'active', 0, true, 0), member(B, 'faulty', null, false, 1), member(C, 'active', 1, true, 2)]))).toEqual([`SpareActive ${C}`, 'Rebuild 50%']);
    expect(apply(checkpoint('idle', 0))).toEqual(['RebuildFinished']);
  });

  it('a member the master kernel dropped (seen only through observe) is still a Fail, then DeviceRemoved', () => {
    createRaid1();
    apply(checkpoint('idle', 0));
    expect(apply(observe([member(A, 'active', 0, true, 0), member(C, 'spare', null, false, 2)]))).toEqual([`Fail ${B}`, `DeviceRemoved ${B}`]);
  });

  it('a rebuilding spare that fails is FailSpare; removing the failed member is DeviceRemoved, once', () => {
    createRaid1();
    apply(checkpoint('idle', 0));
    apply({ op: 'set-faulty', device: 'md0', member: B, force: false });
    apply(observe([member(A, 'active', 0, true, 0), member(B, 'faulty', null, false, 1), member(C, 'active', 1, false, 2)]));
    expect(apply({ op: 'set-faulty', device: 'md0', member: C, force: false })).toEqual([`FailSpare ${C}`]);
    expect(apply({ op: 'hot-remove', device: 'md0', member: B })).toEqual([`DeviceRemoved ${B}`]);
    // The master's next observation no longer lists it: nothing more.
    expect(apply(observe([member(A, 'active', 0, true, 0), member(C, 'faulty', null, false, 2)]))).toEqual([]);
  });

  it('stop is DeviceDisappeared; assembling it degraded again is NewArray then DegradedArray once the master saw it', () => {
    createRaid1();
    apply(checkpoint('idle', 0));
    apply({ op: 'set-faulty', device: 'md0', member: B, force: false });
    apply({ op: 'hot-remove', device: 'md0', member: B });
    apply({ op: 'set-faulty', device: 'md0', member: C, force: false });
    apply({ op: 'hot-remove', device: 'md0', member: C });
    expect(apply({ op: 'stop', device: 'md0' })).toEqual(['DeviceDisappeared']);
    expect(apply({
      op: 'assemble', device: 'md0', uuid: '00000000:00000000:00000000:000000aa', name: 'h:0', level: 'raid1', raidDisks: 2, members: [A],
      metadata: '1.2', bitmap: 'none', chunkKiB: null, layout: null,
    })).toEqual(['NewArray', 'DegradedArray']);
    expect(apply(observe([member(A, 'active', 0, true, 0)]))).toEqual([]);
  });

  it('events of an entry that is refused at apply are not raised', () => {
    createRaid1();
    const c = { op: 'hot-remove', device: 'md0', member: A } as unknown as Command;
    events.capture(c, state);
    const r = applyCommand(state, c);
    expect(r.ok).toBe(false);
    events.onApplied(c, r, ++index, state.master, state);
    expect(got.filter((e) => e.key === String(index))).toEqual([]);
  });
});

describe('md refusing a committed operation', () => {
  it('raises OpRefused once, from the failed md-done entry, naming the client request and md\'s error', () => {
    createRaid1();
    const entry = (c: Record<string, unknown>, session: { client: string; seq: number }): ApplyResult => {
      const cmd = c as unknown as Command;
      events.capture(cmd, state);
      const r = applyEntry(state, encodeCommand(cmd, session), ++index as LogIndex);
      events.onApplied(cmd, r, index, state.master, state);
      return r;
    };
    expect(entry({ op: 'set-faulty', device: 'md0', member: C, force: false }, { client: 'admin', seq: 1 })).toMatchObject({ ok: true, md: 'pending' });
    const before = got.length;
    entry({ op: 'md-done', device: 'md0', term: TERM, client: 'admin', seq: 1, ok: false, code: 'E_KERNEL', message: 'EBUSY' }, { client: 'n1.x', seq: 1 });
    expect(got.slice(before).map((e) => [e.name, e.device, e.key, e.detail])).toEqual([['OpRefused', '/dev/md0', String(index), 'operation admin#1 refused by md: E_KERNEL: EBUSY']]);
    const later = got.length;
    entry({ op: 'set-faulty', device: 'md0', member: C, force: false }, { client: 'admin', seq: 2 });
    entry({ op: 'md-done', device: 'md0', term: TERM, client: 'admin', seq: 2, ok: true }, { client: 'n1.x', seq: 2 });
    expect(got.slice(later).map((e) => e.name)).not.toContain('OpRefused');
  });
});

describe('peer health events (this node\'s view)', () => {
  const voters = ['n1', 'n2', 'n3'];
  it('NodeDown / NodeUp on transitions only; QuorumLost and QuorumRegained around the majority', () => {
    const up = new Map<string, boolean>();
    const report = (peer: string, isUp: boolean) => { up.set(peer, isUp); events.onPeerState(peer, isUp, voters, (id) => up.get(id) === true); };
    report('n2', true);
    report('n3', true);
    expect(got).toEqual([]);
    report('n2', false);
    expect(got.map((e) => e.name)).toEqual(['NodeDown']);
    report('n3', false);
    expect(got.map((e) => e.name)).toEqual(['NodeDown', 'NodeDown', 'QuorumLost']);
    report('n3', false);
    report('n2', true);
    expect(got.map((e) => e.name)).toEqual(['NodeDown', 'NodeDown', 'QuorumLost', 'NodeUp', 'QuorumRegained']);
    expect(new Set(got.map((e) => e.key)).size).toBe(got.length);
    expect(got[2].detail).toBe('n1 reaches 1 of 3 voters');
  });
});
