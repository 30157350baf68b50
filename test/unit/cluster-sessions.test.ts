// Unit tests of exactly-once application (cluster/sessions.ts, apply.ts), conditional
// observations (apply.ts applyObserve) and md verdicts (cluster/md-ops.ts). Each test names the
// rule it guards; each fails when that rule is broken in apply.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { applyCommand, applyEntry } from '../../daemon/src/cluster/apply.js';
import { encodeCommand, parseCommand, type Command } from '../../daemon/src/cluster/commands.js';
import { checkSession, emptySessionTable, recordResult, type SessionRef } from '../../daemon/src/cluster/sessions.js';
import { emptyClusterState, type ClusterState } from '../../daemon/src/cluster/types.js';
import { validate } from '../../daemon/src/cluster/validate.js';
import { SESSION_MAX_CLIENTS, SESSION_RESULT_WINDOW } from '../../daemon/src/common/limits.js';
import type { LogIndex } from '../../daemon/src/common/types.js';

const UUID = '93a5f505:69825d0d:413c4afa:010d8c59';
function cmd(c: unknown): Command {
  const r = parseCommand(c);
  if (!r.ok) throw new Error(r.message);
  return r.command;
}

/** A cluster with md0 (raid1 sda+sdb active, sdc spare) created, materialized and md-done. */
class World {
  s: ClusterState = emptyClusterState();
  index = 0;
  constructor() {
    for (const [id, port] of [['node1', 1], ['node2', 2], ['node3', 3]] as const) this.internal({ op: 'node-add', node: id, address: `127.0.0.1:${port}` });
    this.internal({ op: 'master', node: 'node1', term: 2 });
    for (const p of ['/dev/sda', '/dev/sdb', '/dev/sdc', '/dev/sdd']) for (const n of ['node1', 'node2']) this.internal({ op: 'device-seen', node: n, path: p });
    const r = this.apply({ client: 'admin', seq: 1 }, { op: 'create', device: 'md0', uuid: UUID, name: 'h:0', level: 'raid1', raidDevices: 2, members: ['/dev/sda', '/dev/sdb', '/dev/sdc'], spares: 1, metadata: '1.2', bitmap: 'internal', chunkKiB: null, layout: null, assumeClean: true, sizeKiB: null });
    expect(r).toMatchObject({ ok: true, md: 'pending' });
    this.internal(this.observe(this.index, [['/dev/sda', 'active', 0], ['/dev/sdb', 'active', 1], ['/dev/sdc', 'spare', null]]));
    this.internal({ op: 'md-done', device: 'md0', term: 2, client: 'admin', seq: 1, ok: true });
  }
  private internalSeq = 0;
  internal(c: unknown) {
    return this.apply({ client: 'node1.x', seq: ++this.internalSeq }, c);
  }
  apply(session: SessionRef, c: unknown) {
    return applyEntry(this.s, encodeCommand(cmd(c), session), ++this.index as LogIndex);
  }
  noop() {
    return applyEntry(this.s, new Uint8Array(0), ++this.index as LogIndex);
  }
  /** Applies the same bytes again (a re-submitted or duplicated entry). */
  again(session: SessionRef, c: unknown) {
    return this.apply(session, c);
  }
  observe(base: number, members: [string, 'active' | 'spare' | 'faulty', number | null][]) {
    return {
      op: 'observe', device: 'md0', term: 2, base, componentSizeKiB: 1024, arraySizeKiB: 1024,
      members: members.map(([path, role, slot], i) => ({ path, deviceUuid: null, role, slot, inSync: role === 'active', descNumber: i, writeMostly: false, wantReplacement: false, replacementFor: null })),
    };
  }
  member(path: string) {
    return this.s.arrays[0].members.find((m) => m.path === path);
  }
  snapshot(): string {
    const { appliedIndex: _a, sessions: _s, ...rest } = this.s;
    return JSON.stringify(rest);
  }
}

describe('client sessions: exactly once', () => {
  it('a duplicate (same client and seq) is answered from the session table and changes nothing', () => {
    const w = new World();
    const a = { client: 'mdctl.a', seq: 1 };
    expect(w.apply(a, { op: 'set-faulty', device: 'md0', member: '/dev/sdb', force: false })).toMatchObject({ ok: true, md: 'pending' });
    expect(w.member('/dev/sdb')!.role).toBe('faulty');
    // Another client removes and re-adds sdb after that.
    expect(w.apply({ client: 'mdctl.b', seq: 1 }, { op: 'hot-remove', device: 'md0', member: '/dev/sdb' })).toMatchObject({ ok: true });
    expect(w.apply({ client: 'mdctl.b', seq: 2 }, { op: 'hot-add', device: 'md0', member: '/dev/sdb' })).toMatchObject({ ok: true });
    const before = w.snapshot();
    // A's request is committed a second time (re-submitted by a node, or retried by mdctl).
    const dup = w.again(a, { op: 'set-faulty', device: 'md0', member: '/dev/sdb', force: false });
    expect(dup).toMatchObject({ ok: true, duplicate: true });
    expect(w.snapshot()).toBe(before);
    expect(w.member('/dev/sdb')!.pendingAdd).toBe('add');
  });

  it('a refused request stays refused for its duplicate, even when later state would allow it', () => {
    const w = new World();
    const a = { client: 'mdctl.a', seq: 1 };
    const first = w.apply(a, { op: 'hot-remove', device: 'md0', member: '/dev/sdb' }); // active: refused
    expect(first).toMatchObject({ ok: false, code: 'E_DEVICE_BUSY' });
    w.apply({ client: 'mdctl.b', seq: 1 }, { op: 'set-faulty', device: 'md0', member: '/dev/sdb', force: false });
    const before = w.snapshot();
    expect(w.again(a, { op: 'hot-remove', device: 'md0', member: '/dev/sdb' })).toMatchObject({ ok: false, code: 'E_DEVICE_BUSY', duplicate: true });
    expect(w.snapshot()).toBe(before);
    expect(w.member('/dev/sdb')!.role).toBe('faulty');
  });

  it('a request older than its session window is refused as expired, never applied', () => {
    const w = new World();
    for (let seq = 1; seq <= SESSION_RESULT_WINDOW + 1; seq++) {
      w.apply({ client: 'mdctl.a', seq }, { op: 'write-mostly', device: 'md0', member: '/dev/sda', on: seq % 2 === 1 });
    }
    const before = w.snapshot();
    expect(w.apply({ client: 'mdctl.a', seq: 1 }, { op: 'write-mostly', device: 'md0', member: '/dev/sda', on: true })).toMatchObject({ ok: false, code: 'E_SESSION_EXPIRED' });
    expect(w.snapshot()).toBe(before);
  });

  it('with acks, many requests of one client may be in flight and commit in any order, each applied once', () => {
    const w = new World();
    const c = 'node2.inc';
    // seqs 1..40 in flight at once (ack 1), committed in reverse order, each twice.
    for (let seq = 40; seq >= 1; seq--) {
      const r = w.apply({ client: c, seq, ack: 1 }, { op: 'device-seen', node: 'node3', path: `/dev/x${seq}` });
      expect(r).toMatchObject({ ok: true });
      expect(r.duplicate).toBeUndefined();
    }
    for (let seq = 1; seq <= 40; seq++) expect(w.again({ client: c, seq, ack: 1 }, { op: 'device-seen', node: 'node3', path: `/dev/x${seq}` })).toMatchObject({ ok: true, duplicate: true });
    // The client got every answer: ack 41 lets the table drop them; a late copy is refused, not applied.
    w.apply({ client: c, seq: 41, ack: 41 }, { op: 'device-seen', node: 'node3', path: '/dev/x41' });
    expect(w.s.sessions!.clients[c].results.map((r) => r.seq)).toEqual([41]);
    const before = w.snapshot();
    expect(w.again({ client: c, seq: 7, ack: 1 }, { op: 'device-seen', node: 'node3', path: '/dev/x7' })).toMatchObject({ ok: false, code: 'E_SESSION_EXPIRED' });
    expect(w.snapshot()).toBe(before);
  });

  it('sessions are bounded: the least recently used are evicted and its late request refused as expired', () => {
    const t = emptySessionTable();
    for (let i = 0; i < SESSION_MAX_CLIENTS; i++) recordResult(t, { client: `c${i}`, seq: 1 }, { index: (i + 1) as LogIndex, ok: true, md: 'none' });
    recordResult(t, { client: 'c0', seq: 2 }, { index: (SESSION_MAX_CLIENTS + 1) as LogIndex, ok: true, md: 'none' }); // c0 used again: c1 is now the oldest
    recordResult(t, { client: 'new', seq: 1 }, { index: (SESSION_MAX_CLIENTS + 2) as LogIndex, ok: true, md: 'none' });
    expect(Object.keys(t.clients).length).toBeLessThanOrEqual(SESSION_MAX_CLIENTS);
    expect(t.size).toBe(Object.keys(t.clients).length);
    expect(checkSession(t, { client: 'c1', seq: 1 }).kind).toBe('expired');
    expect(checkSession(t, { client: 'c0', seq: 2 }).kind).toBe('duplicate');
    expect(checkSession(t, { client: 'never-seen', seq: 1 }).kind).toBe('new');
  });

  it('client ids cannot reach the prototype ("__proto__" is not a valid id, "constructor" is an ordinary one)', () => {
    const t = emptySessionTable();
    expect(checkSession(t, { client: 'constructor', seq: 1 }).kind).toBe('new');
    recordResult(t, { client: 'constructor', seq: 1 }, { index: 1 as LogIndex, ok: true, md: 'none' });
    expect(checkSession(t, { client: 'constructor', seq: 1 }).kind).toBe('duplicate');
    expect(applyEntry(emptyClusterState(), new TextEncoder().encode(JSON.stringify({ v: 1, s: { c: '__proto__', q: 1 }, cmd: { op: 'stop', device: 'md0' } })), 1 as LogIndex))
      .toMatchObject({ ok: false, code: 'E_BAD_REQUEST' });
  });

  it('property: applying any sequence with every entry duplicated gives the state of applying it once', () => {
    const ops = fc.constantFrom<unknown>(
      { op: 'set-faulty', device: 'md0', member: '/dev/sdb', force: false },
      { op: 'hot-remove', device: 'md0', member: '/dev/sdb' },
      { op: 'hot-add', device: 'md0', member: '/dev/sdb' },
      { op: 'write-mostly', device: 'md0', member: '/dev/sda', on: true },
      { op: 'write-mostly', device: 'md0', member: '/dev/sda', on: false },
      { op: 'read-only', device: 'md0' }, { op: 'read-write', device: 'md0' },
    );
    fc.assert(fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), ops), { maxLength: 30 }), fc.array(fc.nat(29), { maxLength: 10 }), (seq, dups) => {
      const once = new World();
      const twice = new World();
      const seqs = [0, 0, 0];
      const sent: [SessionRef, unknown][] = [];
      for (const [client, c] of seq) {
        const session = { client: `c${client}`, seq: ++seqs[client] };
        sent.push([session, c]);
        const r1 = once.apply(session, c);
        const r2 = twice.apply(session, c);
        expect(r2).toEqual(r1);
        for (const d of dups) {
          if (d >= sent.length) continue;
          twice.again(...sent[d]); // a late copy of an earlier request ...
          once.noop(); // ... where the other log has a no-op, so both logs keep the same indexes
        }
        once.internal({ op: 'device-seen', node: 'node3', path: '/dev/sda' });
        twice.internal({ op: 'device-seen', node: 'node3', path: '/dev/sda' });
      }
      expect(twice.snapshot()).toBe(once.snapshot());
    }), { numRuns: 150 });
  });
});

describe('md rules validated before anything changes', () => {
  it('hot-add of a member that is already present is refused and changes nothing', () => {
    const w = new World();
    const before = w.snapshot();
    expect(w.apply({ client: 'a', seq: 1 }, { op: 'hot-add', device: 'md0', member: '/dev/sda' })).toMatchObject({ ok: false, code: 'E_DEVICE_BUSY' });
    expect(w.apply({ client: 'a', seq: 2 }, { op: 'add-spare', device: 'md0', member: '/dev/sdc' })).toMatchObject({ ok: false, code: 'E_DEVICE_BUSY' });
    expect(w.snapshot()).toBe(before);
  });
  it('adding or removing members of a read-only array is refused (md: EROFS)', () => {
    const w = new World();
    w.apply({ client: 'a', seq: 1 }, { op: 'read-only', device: 'md0' });
    const before = w.snapshot();
    expect(w.apply({ client: 'a', seq: 2 }, { op: 'add-spare', device: 'md0', member: '/dev/sdd' })).toMatchObject({ ok: false, code: 'E_INVALID_STATE' });
    expect(w.apply({ client: 'a', seq: 3 }, { op: 'replace', device: 'md0', member: '/dev/sda', with: '/dev/sdc' })).toMatchObject({ ok: false, code: 'E_INVALID_STATE' });
    expect(w.snapshot()).toBe(before);
  });
  it('read-only is refused while member work is owed to md (a pending client op or add), and accepted once it is done', () => {
    const w = new World();
    expect(w.apply({ client: 'a', seq: 1 }, { op: 'hot-remove', device: 'md0', member: '/dev/sdc' })).toMatchObject({ ok: true, md: 'pending' });
    const before = w.snapshot();
    expect(w.apply({ client: 'b', seq: 1 }, { op: 'read-only', device: 'md0' })).toMatchObject({ ok: false, code: 'E_ARRAY_BUSY' });
    expect(w.snapshot()).toBe(before);
    w.internal({ op: 'md-done', device: 'md0', term: 2, client: 'a', seq: 1, ok: true });
    expect(w.apply({ client: 'b', seq: 2 }, { op: 'read-only', device: 'md0' })).toMatchObject({ ok: true });
  });
  it('replace --with a device that is not a spare of the array is refused', () => {
    const w = new World();
    expect(validate(w.s, cmd({ op: 'replace', device: 'md0', member: '/dev/sda', with: '/dev/sdd' }))).toMatchObject({ ok: false, code: 'E_INVALID_STATE' });
    expect(validate(w.s, cmd({ op: 'replace', device: 'md0', member: '/dev/sda', with: '/dev/sdb' }))).toMatchObject({ ok: false, code: 'E_INVALID_STATE' }); // active, not a spare
    expect(validate(w.s, cmd({ op: 'replace', device: 'md0', member: '/dev/sda', with: '/dev/sdc' }))).toEqual({ ok: true });
  });
  it('array device names md rejects do not decode (named arrays fit DISK_NAME_LEN)', () => {
    expect(parseCommand({ op: 'stop', device: 'md_' + 'a'.repeat(29) }).ok).toBe(false);
    expect(parseCommand({ op: 'stop', device: 'md_' + 'a'.repeat(28) }).ok).toBe(true);
    expect(parseCommand({ op: 'stop', device: 'md512' }).ok).toBe(false);
    expect(parseCommand({ op: 'stop', device: 'md007' }).ok).toBe(false);
  });
});

describe('conditional observations', () => {
  it('an observation based on an older index does not revert a newer client command', () => {
    const w = new World();
    const base = w.index; // the master read its kernel here: sdb active
    const stale = w.observe(base, [['/dev/sda', 'active', 0], ['/dev/sdb', 'active', 1], ['/dev/sdc', 'spare', null]]);
    expect(w.apply({ client: 'mdctl.a', seq: 1 }, { op: 'set-faulty', device: 'md0', member: '/dev/sdb', force: false })).toMatchObject({ ok: true });
    w.internal(stale);
    expect(w.member('/dev/sdb')!.role).toBe('faulty');
    // ... and a removal is not undone by a view that still lists the member.
    expect(w.apply({ client: 'mdctl.a', seq: 2 }, { op: 'hot-remove', device: 'md0', member: '/dev/sdb' })).toMatchObject({ ok: true });
    w.internal(w.observe(base, [['/dev/sda', 'active', 0], ['/dev/sdb', 'faulty', null], ['/dev/sdc', 'spare', null]]));
    expect(w.member('/dev/sdb')!.role).toBe('removed');
  });
  it('an observation based on the newer index does update the member', () => {
    const w = new World();
    w.apply({ client: 'mdctl.a', seq: 1 }, { op: 'set-faulty', device: 'md0', member: '/dev/sdb', force: false });
    w.internal(w.observe(w.index, [['/dev/sda', 'active', 0], ['/dev/sdc', 'active', 1]]));
    expect(w.member('/dev/sdb')!.role).toBe('removed'); // md dropped it: no newer command protects it
    expect(w.member('/dev/sdc')!.role).toBe('active');
  });
  it('an observation older than one already applied is ignored whole', () => {
    const w = new World();
    const old = w.observe(w.index, [['/dev/sda', 'active', 0], ['/dev/sdb', 'active', 1], ['/dev/sdc', 'spare', null]]);
    w.internal(w.observe(w.index + 1, [['/dev/sda', 'active', 0], ['/dev/sdb', 'active', 1], ['/dev/sdc', 'active', 2]]));
    w.internal(old);
    expect(w.member('/dev/sdc')!.role).toBe('active');
  });
});

describe('md verdicts', () => {
  it('an add md refuses ends failed: the member is withdrawn and the request answers with md\'s error', () => {
    const w = new World();
    const a = { client: 'mdctl.a', seq: 1 };
    expect(w.apply(a, { op: 'hot-add', device: 'md0', member: '/dev/sdd' })).toMatchObject({ ok: true, md: 'pending' });
    w.internal({ op: 'md-done', device: 'md0', term: 2, client: 'mdctl.a', seq: 1, ok: false, code: 'E_KERNEL', message: 'HOT_ADD_DISK: ENOSPC' });
    expect(w.member('/dev/sdd')).toMatchObject({ role: 'removed', pendingAdd: null });
    expect(w.s.arrays[0].pendingMd).toEqual([]);
    expect(w.again(a, { op: 'hot-add', device: 'md0', member: '/dev/sdd' })).toMatchObject({ ok: false, code: 'E_KERNEL', md: 'failed', duplicate: true });
  });
  it('a stop md refuses (EBUSY) puts the array back to running', () => {
    const w = new World();
    w.apply({ client: 'a', seq: 1 }, { op: 'stop', device: 'md0' });
    expect(w.s.arrays[0].run).toBe('stopped');
    w.internal({ op: 'md-done', device: 'md0', term: 2, client: 'a', seq: 1, ok: false, code: 'E_KERNEL', message: 'STOP_ARRAY: EBUSY' });
    expect(w.s.arrays[0].run).toBe('running');
  });
  it('a later command on the same member supersedes a pending one; the old verdict then changes nothing', () => {
    const w = new World();
    w.apply({ client: 'a', seq: 1 }, { op: 'write-mostly', device: 'md0', member: '/dev/sda', on: true });
    w.apply({ client: 'b', seq: 1 }, { op: 'write-mostly', device: 'md0', member: '/dev/sda', on: false });
    expect(w.s.sessions!.clients.a.results[0].md).toBe('superseded');
    w.internal({ op: 'md-done', device: 'md0', term: 2, client: 'a', seq: 1, ok: false, code: 'E_KERNEL', message: 'x' });
    expect(w.member('/dev/sda')!.writeMostly).toBe(false);
    expect(w.s.sessions!.clients.a.results[0]).toMatchObject({ ok: true, md: 'superseded' });
  });
  it('undoing a member command md refused leaves the array fields other commands set (read-only) alone', () => {
    const w = new World();
    w.apply({ client: 'b', seq: 1 }, { op: 'read-only', device: 'md0' });
    w.internal({ op: 'md-done', device: 'md0', term: 2, client: 'b', seq: 1, ok: true });
    expect(w.apply({ client: 'a', seq: 1 }, { op: 'set-faulty', device: 'md0', member: '/dev/sdc', force: false })).toMatchObject({ ok: true, md: 'pending' });
    w.internal({ op: 'md-done', device: 'md0', term: 2, client: 'a', seq: 1, ok: false, code: 'E_KERNEL', message: 'EBUSY' });
    expect(w.s.arrays[0].adminReadOnly).toBe(true);
    expect(w.member('/dev/sdc')!.role).toBe('spare');
  });
  it('undoing a refused read-only restores only adminReadOnly', () => {
    const w = new World();
    w.apply({ client: 'a', seq: 1 }, { op: 'read-only', device: 'md0' });
    w.apply({ client: 'b', seq: 1 }, { op: 'sync-action', device: 'md0', action: 'frozen' });
    w.internal({ op: 'md-done', device: 'md0', term: 2, client: 'a', seq: 1, ok: false, code: 'E_KERNEL', message: 'EBUSY' });
    expect(w.s.arrays[0]).toMatchObject({ adminReadOnly: false, requestedAction: 'frozen', run: 'running' });
  });
  it('write-mostly on a faulty member is refused (an observation would report it cleared)', () => {
    const w = new World();
    w.apply({ client: 'a', seq: 1 }, { op: 'set-faulty', device: 'md0', member: '/dev/sdb', force: false });
    expect(w.apply({ client: 'a', seq: 2 }, { op: 'write-mostly', device: 'md0', member: '/dev/sdb', on: true })).toMatchObject({ ok: false, code: 'E_INVALID_STATE' });
  });
  it('a verdict from an old master term is refused (fenced)', () => {
    const w = new World();
    w.apply({ client: 'a', seq: 1 }, { op: 'hot-add', device: 'md0', member: '/dev/sdd' });
    expect(w.internal({ op: 'md-done', device: 'md0', term: 1, client: 'a', seq: 1, ok: false })).toMatchObject({ ok: false, code: 'E_NOT_WRITABLE' });
    expect(w.member('/dev/sdd')!.pendingAdd).toBe('add');
  });
  it('an observation older than an md refusal does not bring the withdrawn member back', () => {
    const w = new World();
    w.apply({ client: 'a', seq: 1 }, { op: 'set-faulty', device: 'md0', member: '/dev/sdb', force: false });
    const base = w.index - 1;
    w.internal({ op: 'md-done', device: 'md0', term: 2, client: 'a', seq: 1, ok: false, code: 'E_KERNEL', message: 'refused' });
    expect(w.member('/dev/sdb')!.role).toBe('active');
    w.internal(w.observe(base, [['/dev/sda', 'active', 0], ['/dev/sdb', 'faulty', null], ['/dev/sdc', 'spare', null]]));
    expect(w.member('/dev/sdb')!.role).toBe('active');
  });
});

describe('applyCommand without a session (legacy entries)', () => {
  it('applies and tracks no md result', () => {
    const s = new World().s;
    expect(applyCommand(s, cmd({ op: 'write-mostly', device: 'md0', member: '/dev/sda', on: true }))).toEqual({ ok: true });
  });
});
