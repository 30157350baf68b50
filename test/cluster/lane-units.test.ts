// Pure unit tests of the cluster lane's own parts and of the kernel-path fixes it made: the
// agent protocol's parsing of untrusted files, the clock/writer-log overlap logic, the guest
// config (the daemon's own loader must accept it), the per-array lock, and `mdadm --create`
// carrying the record's UUID. No guest is booted here.
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../daemon/src/config/load.js';
import { ArrayLocks } from '../../daemon/src/md/kernel/array-lock.js';
import { createArgs } from '../../daemon/src/md/kernel/mdadm.js';
import { hostIntervals, minWriterGapMs, writerOverlaps, type HostInterval } from './lib/clock.js';
import { parseRequest, parseResponse, requestIdOf } from './guest/protocol.js';
import { FAST_TCG_TIMING, renderGuestConfig, SHIPPED_TIMING, TCG_TIMING } from './lib/setup.js';
import { patternBytes, sha256 } from './lib/pattern.js';
import { withSortedMembers } from './lib/md-checks.js';

describe('agent protocol', () => {
  it('accepts well-formed requests of every kind', () => {
    expect(parseRequest('{"id":"r1","kind":"exec","argv":["sh","-c","true"],"timeoutMs":1000}')).toEqual({ id: 'r1', kind: 'exec', argv: ['sh', '-c', 'true'], timeoutMs: 1000 });
    expect(parseRequest('{"id":"r2","kind":"http","path":"/mdstat","timeoutMs":5}')?.kind).toBe('http');
    expect(parseRequest('{"id":"r3","kind":"wait-file","path":"/sys/x","pattern":"^a$","intervalMs":5,"timeoutMs":100}')?.kind).toBe('wait-file');
    expect(parseRequest('{"id":"r4","kind":"cancel","target":"r3"}')).toEqual({ id: 'r4', kind: 'cancel', target: 'r3' });
    for (const kind of ['clock', 'crash', 'exit', 'unit']) expect(parseRequest(`{"id":"r5","kind":"${kind}"}`)?.kind).toBe(kind);
    expect(parseRequest('{"id":"r6","kind":"daemon","action":"kill"}')).toEqual({ id: 'r6', kind: 'daemon', action: 'kill' });
    expect(parseRequest('{"id":"r7","kind":"daemon","action":"reload"}')).toEqual({ id: 'r7', kind: 'daemon', action: 'reload' });
  });

  it('refuses malformed or hostile requests instead of throwing', () => {
    const bad = [
      '', 'not json', '[]', 'null', '{"kind":"clock"}', '{"id":"../x","kind":"clock"}', '{"id":"r","kind":"nope"}',
      '{"id":"r","kind":"exec","argv":[],"timeoutMs":1}', '{"id":"r","kind":"exec","argv":["a\\u0000b"],"timeoutMs":1}',
      '{"id":"r","kind":"exec","argv":["true"],"timeoutMs":0}', '{"id":"r","kind":"exec","argv":["true"],"timeoutMs":1e12}',
      '{"id":"r","kind":"http","path":"mdstat","timeoutMs":5}', '{"id":"r","kind":"wait-file","path":"/x","pattern":"(","intervalMs":5,"timeoutMs":5}',
      '{"id":"r","kind":"daemon","action":"reboot"}', '{"id":"r","kind":"daemon","action":["start"]}', '{"id":"r","kind":"cancel","target":"a b"}',
    ];
    for (const b of bad) expect(parseRequest(b), b).toBeNull();
    expect(parseResponse('{"id":"r1","ok":true,"result":{"a":1}}')).toEqual({ id: 'r1', ok: true, result: { a: 1 } });
    expect(parseResponse('{"id":"r1","ok":false,"error":"x"}')).toEqual({ id: 'r1', ok: false, error: 'x' });
    for (const b of ['{}', '{"id":"r1","ok":"yes"}', '{"id":"r1","ok":false}', 'garbage']) expect(parseResponse(b), b).toBeNull();
  });

  it('takes only finished request files', () => {
    expect(requestIdOf('r000001.json')).toBe('r000001');
    expect(requestIdOf('.r000001.tmp')).toBeNull();
    expect(requestIdOf('.r000001.json')).toBeNull();
    expect(requestIdOf('READY')).toBeNull();
  });
});

describe('writer intervals across guest clocks', () => {
  const iv = (node: string, startMs: number, endMs: number, errMs = 5): HostInterval => ({ node, device: 'md0', startMs, endMs, errMs, open: false });

  it('maps a guest writer log onto the host clock and ends an open interval at the given time', () => {
    const log = [
      JSON.stringify({ event: 'writable', device: 'md0', term: 3, wallMs: 10_500, monoMs: 1, reason: 'promote' }),
      JSON.stringify({ event: 'read-only', device: 'md0', term: 3, wallMs: 11_500, monoMs: 2, reason: 'lease' }),
      JSON.stringify({ event: 'writable', device: 'md0', term: 5, wallMs: 12_500, monoMs: 3, reason: 'promote' }),
      '{"torn',
    ].join('\n');
    const out = hostIntervals(log, 'node1#0', { offsetMs: 500, uncertaintyMs: 3 }, 20_000);
    expect(out).toEqual([
      { node: 'node1#0', device: 'md0', startMs: 10_000, endMs: 11_000, errMs: 3, open: false },
      { node: 'node1#0', device: 'md0', startMs: 12_000, endMs: 20_000, errMs: 3, open: true },
    ]);
  });

  it('reports overlaps only between different nodes, widened by both uncertainties', () => {
    expect(writerOverlaps([iv('a', 0, 100), iv('b', 120, 200)])).toEqual([]);
    expect(writerOverlaps([iv('a', 0, 100), iv('b', 105, 200)])).toHaveLength(1); // 5 ms gap < 10 ms of uncertainty
    expect(writerOverlaps([iv('a', 0, 100), iv('a', 50, 200)])).toEqual([]);
    expect(writerOverlaps([iv('a', 0, 100), { ...iv('b', 50, 200), device: 'md1' }])).toEqual([]);
    expect(minWriterGapMs([iv('a', 0, 100), iv('b', 300, 400), iv('c', 450, 500)], 'md0')).toBe(40);
  });
});

describe('guest config', () => {
  it('is accepted by the daemon\'s own loader, for the shipped and the TCG timing', () => {
    for (const timing of [SHIPPED_TIMING, TCG_TIMING, FAST_TCG_TIMING]) {
      const cfg = parseConfigText(renderGuestConfig({ node: 2, nodes: 3, timing, checkpointIntervalMs: 1000, logLevel: 'info' }), '/etc/mdclusterd/mdclusterd.toml');
      expect(cfg.nodeId).toBe('node2');
      expect(cfg.md.driver).toBe('kernel');
      expect([...cfg.peers.keys()]).toEqual(['node1', 'node2', 'node3']);
      expect(cfg.listen.peer).toMatchObject({ host: '10.0.0.2', port: 8401 });
      expect(cfg.timing.leaseTicks).toBe(timing.leaseTicks);
      expect(cfg.transport.deadAfterMs).toBe(timing.deadAfterMs);
    }
  });
});

describe('kernel-path fixes', () => {
  it('runs calls for one array strictly one at a time, in order, also after a failure', async () => {
    const locks = new ArrayLocks();
    const log: string[] = [];
    const step = (name: string, ms: number, fail = false) => locks.run('md0', async () => {
      log.push(`${name}+`);
      await new Promise((r) => setTimeout(r, ms));
      log.push(`${name}-`);
      if (fail) throw new Error(name);
    });
    const other = locks.run('md1', async () => { log.push('other'); });
    const results = await Promise.allSettled([step('a', 20), step('b', 1, true), step('c', 5)]);
    await other;
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(log.filter((x) => x !== 'other')).toEqual(['a+', 'a-', 'b+', 'b-', 'c+', 'c-']);
    expect(log.indexOf('other')).toBeLessThan(log.indexOf('a-')); // another array is not held up
    expect(locks.busyKeys).toBe(0);
  });

  it('passes the record\'s UUID to mdadm --create', () => {
    const args = createArgs({ device: 'md0', uuid: '0123abcd:00000000:ffffffff:89abcdef', level: 'raid1', raidDevices: 2, members: ['/dev/vda', '/dev/vdb'], spareDevices: 0 }, { sysRoot: '/sys', procRoot: '/proc', devRoot: '/dev' });
    expect(args).toContain('--uuid=0123abcd:00000000:ffffffff:89abcdef');
    expect(() => createArgs({ device: 'md0', uuid: '--force', level: 'raid1', raidDevices: 1, members: ['/dev/vda'], spareDevices: 0 }, { sysRoot: '/sys', procRoot: '/proc', devRoot: '/dev' }))
      .toThrow(expect.objectContaining({ code: 'E_INVALID_ARGUMENT' }));
  });
});

describe('mdstat member order', () => {
  it('sorts only the member list of each array line', () => {
    const k = 'Personalities : [raid1] \nmd1 : active raid1 vda[0] vdb[1]\n      130048 blocks super 1.2 [2/2] [UU]\n';
    const v = 'Personalities : [raid1] \nmd1 : active raid1 vdb[1] vda[0]\n      130048 blocks super 1.2 [2/2] [UU]\n';
    expect(withSortedMembers(k)).toBe(withSortedMembers(v));
    expect(withSortedMembers('md0 : active (read-only) raid1 vdc[2](S) vda[0]\n')).toBe('md0 : active (read-only) raid1 vda[0] vdc[2](S)\n');
    expect(withSortedMembers(v.replace('[UU]', '[U_]'))).not.toBe(withSortedMembers(k));
  });
});

describe('data pattern', () => {
  it('is deterministic per seed and differs between seeds', () => {
    expect(sha256(patternBytes('a', 1))).toBe(sha256(patternBytes('a', 1)));
    expect(sha256(patternBytes('a', 1))).not.toBe(sha256(patternBytes('b', 1)));
    expect(patternBytes('a', 1).length).toBe(1024 * 1024);
  });
});
