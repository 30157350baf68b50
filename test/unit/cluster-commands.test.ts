// Unit tests of cluster/commands.ts: how an untrusted entry or request decodes. A refusal names
// the field at fault (or "command" for the whole), an entry is strict UTF-8 JSON object with the
// current version, and its session travels with the command and back, ack included.
import { describe, expect, it } from 'vitest';
import { COMMAND_VERSION, decodeCommand, encodeCommand, parseCommand, type Command } from '../../daemon/src/cluster/commands.js';

const bytes = (v: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(v));
const stop = { op: 'stop', device: 'md0' };
const checkpoint = { op: 'checkpoint', device: 'md0', term: 1, action: 'resync', doneSectors: 5, totalSectors: 5 };

describe('parseCommand', () => {
  it('a refusal names the field at fault and the rule it breaks', () => {
    expect(parseCommand({ op: 'stop', device: 'sda' })).toEqual({ ok: false, message: 'device: an md device name such as md0 or md_name (at most 31 characters)' });
    expect(parseCommand({ op: 'hot-add', device: 'md0', member: 'sda' })).toEqual({ ok: false, message: 'member: an absolute device path' });
  });
  it('a nested field is named by its path, dot-separated', () => {
    const create = { op: 'create', device: 'md0', uuid: '93a5f505:69825d0d:413c4afa:010d8c59', name: 'h:0', level: 'raid1', raidDevices: 2, members: ['/dev/sda', 'sdb'], spares: 0, metadata: '1.2', bitmap: 'internal', chunkKiB: null, layout: null, assumeClean: false, sizeKiB: null };
    expect(parseCommand(create)).toEqual({ ok: false, message: 'members.1: an absolute device path' });
    expect(parseCommand({ ...create, members: ['/dev/sda', '/dev/sdb'] }).ok).toBe(true);
  });
  it('an array name has no whitespace, "/" or control characters (DEL included); other characters are fine', () => {
    const create = { op: 'create', device: 'md0', uuid: '93a5f505:69825d0d:413c4afa:010d8c59', level: 'raid1', raidDevices: 1, members: ['/dev/sda'], spares: 0, metadata: '1.2', bitmap: 'internal', chunkKiB: null, layout: null, assumeClean: false, sizeKiB: null };
    for (const name of ['h:0', 'a!~', '\u00e9t\u00e9', 'x'.repeat(32)]) expect([name, parseCommand({ ...create, name }).ok]).toEqual([name, true]);
    for (const name of ['a b', 'a/b', 'a\u0001b', 'a\u001fb', 'a\u007fb', '\u0000', 'x'.repeat(33), '']) {
      expect([name, parseCommand({ ...create, name })]).toEqual([name, { ok: false, message: expect.stringMatching(/^name: /) }]);
    }
  });
  it('a refusal of the command as a whole says "command"', () => {
    const r = parseCommand(5);
    expect(r.ok).toBe(false);
    expect(r.ok ? '' : r.message).toMatch(/^command: \S/);
    expect(parseCommand({ ...checkpoint, doneSectors: 6 })).toEqual({ ok: false, message: 'command: doneSectors must not exceed totalSectors' });
  });
  it('a checkpoint may report a sync that is complete (done = total)', () => {
    expect(parseCommand(checkpoint)).toEqual({ ok: true, command: checkpoint });
  });
});

describe('entry encoding', () => {
  it('a command and its session (with or without ack) survive the round trip, and nothing else is added', () => {
    const c = parseCommand(stop);
    if (!c.ok) throw new Error(c.message);
    const cmd: Command = c.command;
    expect(JSON.parse(new TextDecoder().decode(encodeCommand(cmd, { client: 'c1', seq: 3 })))).toEqual({ v: COMMAND_VERSION, s: { c: 'c1', q: 3 }, cmd: stop });
    expect(JSON.parse(new TextDecoder().decode(encodeCommand(cmd, { client: 'c1', seq: 3, ack: 2 })))).toEqual({ v: COMMAND_VERSION, s: { c: 'c1', q: 3, a: 2 }, cmd: stop });
    const plain = decodeCommand(encodeCommand(cmd, { client: 'c1', seq: 3 }));
    expect(plain).toEqual({ ok: true, command: stop, session: { client: 'c1', seq: 3 } });
    expect(Object.keys(plain.session!)).toEqual(['client', 'seq']);
    expect(decodeCommand(encodeCommand(cmd, { client: 'c1', seq: 3, ack: 2 }))).toEqual({ ok: true, command: stop, session: { client: 'c1', seq: 3, ack: 2 } });
  });
  it('an entry without a session decodes to the command alone', () => {
    const r = decodeCommand(bytes({ v: 1, cmd: stop }));
    expect(r).toEqual({ ok: true, command: stop });
    expect('session' in r).toBe(false);
  });
  it('an entry that is not strict UTF-8 JSON is refused (a bad byte inside a string too)', () => {
    expect(decodeCommand(new TextEncoder().encode('{"v":'))).toEqual({ ok: false, message: 'entry is not UTF-8 JSON' });
    expect(decodeCommand(new Uint8Array([0x22, 0xff, 0x22]))).toEqual({ ok: false, message: 'entry is not UTF-8 JSON' });
  });
  it('an entry that is JSON but not an object is refused', () => {
    for (const v of [null, 5, 'x', true]) expect(decodeCommand(bytes(v))).toEqual({ ok: false, message: 'entry is not an object' });
  });
  it('an entry of another version is refused, keeping its session so the client can be answered', () => {
    expect(decodeCommand(bytes({ v: 2, s: { c: 'c1', q: 4 }, cmd: stop }))).toEqual({ ok: false, message: 'unsupported command version 2', session: { client: 'c1', seq: 4 } });
    expect(decodeCommand(bytes([]))).toEqual({ ok: false, message: 'unsupported command version undefined' });
  });
  it('an entry whose session is malformed is refused whole', () => {
    for (const s of [null, 'c1', { c: 'c1' }, { c: 'c1', q: 0 }, { c: 'c1', q: 2, a: 3 }, { c: '__proto__', q: 1 }]) {
      expect(decodeCommand(bytes({ v: 1, s, cmd: stop }))).toEqual({ ok: false, message: 'entry has a malformed session' });
    }
  });
  it('a session that is fine carries over to a command that is not', () => {
    expect(decodeCommand(bytes({ v: 1, s: { c: 'c1', q: 1 }, cmd: { op: 'stop' } }))).toEqual({ ok: false, message: expect.stringMatching(/^device: /), session: { client: 'c1', seq: 1 } });
  });
});
