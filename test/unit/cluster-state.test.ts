// Unit tests of the replicated cluster state: decoding, validation rules, apply, determinism.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { applyCommand, applyEntry } from '../../daemon/src/cluster/apply.js';
import { decodeCommand, encodeCommand, parseCommand, type Command } from '../../daemon/src/cluster/commands.js';
import { emptyClusterState, type ClusterState } from '../../daemon/src/cluster/types.js';
import type { LogIndex } from '../../daemon/src/common/types.js';

const UUID = '93a5f505:69825d0d:413c4afa:010d8c59';
function cmd(c: unknown): Command {
  const r = parseCommand(c);
  if (!r.ok) throw new Error(r.message);
  return r.command;
}
function cluster(): ClusterState {
  const s = emptyClusterState();
  for (const [id, port] of [['node1', 1], ['node2', 2], ['node3', 3]] as const) applyCommand(s, cmd({ op: 'node-add', node: id, address: `127.0.0.1:${port}` }));
  applyCommand(s, cmd({ op: 'master', node: 'node1', term: 2 }));
  for (const p of ['/dev/sda', '/dev/sdb', '/dev/sdc', '/dev/sdd']) for (const n of ['node1', 'node2']) applyCommand(s, cmd({ op: 'device-seen', node: n, path: p }));
  return s;
}
const create = { op: 'create', device: 'md0', uuid: UUID, name: 'demo:0', level: 'raid1', raidDevices: 2, members: ['/dev/sda', '/dev/sdb', '/dev/sdc'], spares: 1, metadata: '1.2', bitmap: 'internal', chunkKiB: null, layout: null, assumeClean: false, sizeKiB: null };

describe('command decoding', () => {
  it('round-trips through the entry encoding', () => {
    const c = cmd(create);
    expect(decodeCommand(encodeCommand(c, { client: 'c1', seq: 7 }))).toEqual({ ok: true, command: c, session: { client: 'c1', seq: 7 } });
  });
  it('rejects malformed commands with a message naming the field', () => {
    expect(parseCommand({ ...create, device: '../etc' })).toMatchObject({ ok: false, message: expect.stringContaining('device') });
    expect(parseCommand({ op: 'explode' }).ok).toBe(false);
    expect(parseCommand({ ...create, extra: 1 }).ok).toBe(false);
    expect(decodeCommand(new Uint8Array([0xff, 0xfe])).ok).toBe(false);
    expect(decodeCommand(new TextEncoder().encode('{"v":2,"cmd":{}}'))).toMatchObject({ ok: false, message: expect.stringContaining('version') });
  });
  it('never throws on arbitrary bytes or values', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (b) => { decodeCommand(b); }));
    fc.assert(fc.property(fc.anything(), (v) => { parseCommand(v); }));
  });
});

describe('validation and apply', () => {
  it('creates an array with members, spare and a pending resync', () => {
    const s = cluster();
    expect(applyCommand(s, cmd(create))).toEqual({ ok: true });
    const a = s.arrays[0];
    expect(a.members.map((m) => [m.path, m.role, m.slot])).toEqual([['/dev/sda', 'active', 0], ['/dev/sdb', 'active', 1], ['/dev/sdc', 'spare', null]]);
    expect(a.sync.action).toBe('resync');
    expect(applyCommand(s, cmd(create))).toMatchObject({ ok: false, code: 'E_ARRAY_EXISTS' });
  });
  it('refuses a device not confirmed by a majority of nodes', () => {
    const s = cluster();
    applyCommand(s, cmd(create));
    expect(applyCommand(s, cmd({ op: 'hot-add', device: 'md0', member: '/dev/sde' }))).toMatchObject({ ok: false, code: 'E_DEVICE_NOT_CONFIRMED' });
    applyCommand(s, cmd({ op: 'device-seen', node: 'node1', path: '/dev/sde' }));
    expect(applyCommand(s, cmd({ op: 'hot-add', device: 'md0', member: '/dev/sde' }))).toMatchObject({ ok: false, code: 'E_DEVICE_NOT_CONFIRMED' });
    applyCommand(s, cmd({ op: 'device-seen', node: 'node3', path: '/dev/sde' }));
    expect(applyCommand(s, cmd({ op: 'hot-add', device: 'md0', member: '/dev/sde' }))).toEqual({ ok: true });
  });
  it('needs --force to fail the last in-sync member of a raid1', () => {
    const s = cluster();
    applyCommand(s, cmd(create));
    expect(applyCommand(s, cmd({ op: 'set-faulty', device: 'md0', member: '/dev/sda', force: false }))).toEqual({ ok: true });
    expect(applyCommand(s, cmd({ op: 'set-faulty', device: 'md0', member: '/dev/sdb', force: false }))).toMatchObject({ ok: false, code: 'E_LAST_IN_SYNC' });
    expect(applyCommand(s, cmd({ op: 'set-faulty', device: 'md0', member: '/dev/sdb', force: true }))).toEqual({ ok: true });
  });
  // Guards validate.ts stoppedRefusal: a stopped array has no md to change members in, so
  // fail/remove/add on it must be refused (they used to be acknowledged and change nothing in md).
  it('refuses member changes on a stopped array; stop and run still pass', () => {
    const s = cluster();
    applyCommand(s, cmd(create));
    expect(applyCommand(s, cmd({ op: 'stop', device: 'md0' }))).toEqual({ ok: true });
    const before = JSON.stringify(s.arrays[0].members);
    for (const c of [
      { op: 'set-faulty', device: 'md0', member: '/dev/sda', force: true }, { op: 'hot-remove', device: 'md0', member: '/dev/sdc' },
      { op: 'hot-add', device: 'md0', member: '/dev/sdd' }, { op: 'add-spare', device: 'md0', member: '/dev/sdd' },
      { op: 'replace', device: 'md0', member: '/dev/sda', with: '/dev/sdc' }, { op: 'write-mostly', device: 'md0', member: '/dev/sda', on: true },
    ]) {
      expect(applyCommand(s, cmd(c)), c.op).toMatchObject({ ok: false, code: 'E_INVALID_STATE', message: expect.stringContaining('stopped') });
    }
    expect(JSON.stringify(s.arrays[0].members)).toBe(before);
    expect(applyCommand(s, cmd({ op: 'run', device: 'md0' }))).toEqual({ ok: true });
    expect(applyCommand(s, cmd({ op: 'set-faulty', device: 'md0', member: '/dev/sda', force: false }))).toEqual({ ok: true });
  });
  // Guards validate.ts validateCreate + apply.ts applyCreate: mdadm --create --force may take a
  // disk of a stopped array (it leaves that array); never one of a running array.
  it('create --force takes a member of a stopped array, never of a running one', () => {
    const s = cluster();
    applyCommand(s, cmd(create));
    const again = { ...create, device: 'md1', uuid: '00000000:00000000:00000000:00000001', members: ['/dev/sda', '/dev/sdd'], spares: 0 };
    expect(applyCommand(s, cmd({ ...again, force: true }))).toMatchObject({ ok: false, code: 'E_DEVICE_BUSY' });
    applyCommand(s, cmd({ op: 'stop', device: 'md0' }));
    expect(applyCommand(s, cmd(again))).toMatchObject({ ok: false, code: 'E_DEVICE_BUSY', message: expect.stringContaining('--force') });
    expect(applyCommand(s, cmd({ ...again, force: true }))).toEqual({ ok: true });
    expect(s.arrays[0].members.find((m) => m.path === '/dev/sda')).toMatchObject({ role: 'removed', slot: null });
    expect(s.arrays[1].members.map((m) => m.path)).toEqual(['/dev/sda', '/dev/sdd']);
  });
  it('refuses to hot-remove an active member, allows it once faulty, then re-add', () => {
    const s = cluster();
    applyCommand(s, cmd(create));
    expect(applyCommand(s, cmd({ op: 'hot-remove', device: 'md0', member: '/dev/sda' }))).toMatchObject({ ok: false, code: 'E_DEVICE_BUSY' });
    applyCommand(s, cmd({ op: 'set-faulty', device: 'md0', member: '/dev/sda', force: false }));
    expect(applyCommand(s, cmd({ op: 'hot-remove', device: 'md0', member: '/dev/sda' }))).toEqual({ ok: true });
    expect(applyCommand(s, cmd({ op: 're-add', device: 'md0', member: '/dev/sda' }))).toMatchObject({ ok: false, code: 'E_INVALID_STATE' });
    s.arrays[0].members[0].deviceUuid = 'aa:bb';
    expect(applyCommand(s, cmd({ op: 're-add', device: 'md0', member: '/dev/sda' }))).toEqual({ ok: true });
    expect(s.arrays[0].members[0]).toMatchObject({ role: 'spare', pendingAdd: 're-add' });
  });
  // Guards validate.ts validateAdd: adding a device the array already holds is refused and
  // changes nothing (accepted, it would turn an in-sync member into a pending spare).
  it('a hot-add or add-spare of a device the array already holds (active, spare or faulty) is refused and changes nothing', () => {
    const s = cluster();
    applyCommand(s, cmd(create));
    applyCommand(s, cmd({ op: 'set-faulty', device: 'md0', member: '/dev/sdb', force: false }));
    expect(s.arrays[0].members.map((m) => m.role)).toEqual(['active', 'faulty', 'spare']);
    for (const op of ['hot-add', 'add-spare'] as const) {
      for (const member of ['/dev/sda', '/dev/sdb', '/dev/sdc']) {
        const before = structuredClone(s);
        expect(applyCommand(s, cmd({ op, device: 'md0', member }))).toMatchObject({ ok: false, code: 'E_DEVICE_BUSY' });
        expect(s).toEqual(before);
      }
    }
    // A removed member may come back.
    applyCommand(s, cmd({ op: 'hot-remove', device: 'md0', member: '/dev/sdb' }));
    expect(applyCommand(s, cmd({ op: 'hot-add', device: 'md0', member: '/dev/sdb' }))).toEqual({ ok: true });
  });
  it('fences checkpoints and observations by the master term', () => {
    const s = cluster();
    applyCommand(s, cmd(create));
    const cp = { op: 'checkpoint', device: 'md0', action: 'resync', doneSectors: 100, totalSectors: 1000 };
    expect(applyCommand(s, cmd({ ...cp, term: 1 }))).toMatchObject({ ok: false, code: 'E_NOT_WRITABLE' });
    expect(applyCommand(s, cmd({ ...cp, term: 2 }))).toEqual({ ok: true });
    expect(s.arrays[0].sync).toMatchObject({ doneSectors: 100, totalSectors: 1000, term: 2 });
    expect(applyCommand(s, cmd({ op: 'master', node: 'node2', term: 1 }))).toMatchObject({ ok: false });
  });
  it('a master claim keeps every earlier master not yet proven clear; only the current term clears one', () => {
    const s = cluster(); // node1 is master in term 2
    applyCommand(s, cmd({ op: 'master', node: 'node2', term: 3 })); // node1 may still be writable
    applyCommand(s, cmd({ op: 'master', node: 'node3', term: 4 })); // node2 never cleared node1
    expect(s.master).toEqual({ node: 'node3', term: 4, uncleared: ['node1', 'node2'] });
    expect(applyCommand(s, cmd({ op: 'master-cleared', node: 'node1', term: 3 }))).toMatchObject({ ok: false, code: 'E_INVALID_STATE' });
    expect(s.master?.uncleared).toEqual(['node1', 'node2']);
    expect(applyCommand(s, cmd({ op: 'master-cleared', node: 'node2', term: 4 }))).toEqual({ ok: true });
    expect(s.master).toEqual({ node: 'node3', term: 4, uncleared: ['node1'] });
    applyCommand(s, cmd({ op: 'master', node: 'node1', term: 5 })); // a master is never on its own list
    expect(s.master).toEqual({ node: 'node1', term: 5, uncleared: ['node3'] });
    applyCommand(s, cmd({ op: 'node-remove', node: 'node3' }));
    expect(s.master).toEqual({ node: 'node1', term: 5 });
  });
  it('apply is deterministic and never throws for any sequence of decodable commands', () => {
    const anyCmd = fc.oneof(
      fc.constant(create),
      fc.record({ op: fc.constantFrom('set-faulty'), device: fc.constant('md0'), member: fc.constantFrom('/dev/sda', '/dev/sdb', '/dev/sdc', '/dev/sdx'), force: fc.boolean() }),
      fc.record({ op: fc.constantFrom('hot-remove', 'hot-add', 'add-spare', 're-add'), device: fc.constantFrom('md0', 'md1'), member: fc.constantFrom('/dev/sda', '/dev/sdb', '/dev/sdc', '/dev/sdd') }),
      fc.record({ op: fc.constantFrom('stop', 'run', 'read-only', 'read-write'), device: fc.constant('md0') }),
      fc.record({ op: fc.constant('master'), node: fc.constantFrom('node1', 'node2'), term: fc.nat(5) }),
      fc.record({ op: fc.constant('master-cleared'), node: fc.constantFrom('node1', 'node2'), term: fc.nat(5) }),
      fc.record({ op: fc.constant('checkpoint'), device: fc.constant('md0'), term: fc.nat(5), action: fc.constantFrom('resync', 'recover', 'idle'), doneSectors: fc.nat(10), totalSectors: fc.constant(10) }),
    );
    fc.assert(fc.property(fc.array(anyCmd, { maxLength: 40 }), (cmds) => {
      const a = cluster(); const b = cluster();
      let i = a.appliedIndex;
      for (const c of cmds) {
        i++;
        const bytes = encodeCommand(cmd(c), { client: 'prop', seq: i });
        expect(applyEntry(a, bytes, i as LogIndex)).toEqual(applyEntry(b, bytes, i as LogIndex));
      }
      expect(a).toEqual(b);
      for (const arr of a.arrays) for (const m of arr.members) expect(m.slot !== null).toBe(m.role === 'active');
    }));
  });
});
