// Unit tests for md event production: the pure snapshot diff (synthetic and real-capture
// snapshots), the poll(2) worker (real worker thread, real eventfd, real poll), and the kernel
// watcher end to end over a capture's tree (changes found by the worker's fallback wake, since
// regular files never raise POLLPRI; the kernel lane covers real sysfs notifications).
import { describe, expect, it, afterAll } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sectors } from '../../daemon/src/common/types.js';
import type { MdEvent } from '../../daemon/src/md/types.js';
import { diffSnapshots, type ArraySnapshot } from '../../daemon/src/md/kernel/events-diff.js';
import { readLightSnapshots } from '../../daemon/src/md/kernel/snapshot.js';
import { KernelMdDriver } from '../../daemon/src/md/kernel/driver.js';
import type { KernelPaths } from '../../daemon/src/md/kernel/paths.js';
import { SysfsPoller } from '../../native/src/poll-worker.js';
import { AttrCache } from '../../daemon/src/md/kernel/attr-cache.js';
import { patchSnapshots } from '../../daemon/src/md/kernel/snapshot-patch.js';
import { buildTree } from './native-samples.js';

const roots: string[] = [];
afterAll(() => { for (const r of roots) rmSync(r, { recursive: true, force: true }); });
function tree(caseName: string): KernelPaths {
  const root = buildTree(caseName);
  roots.push(root);
  return { sysRoot: join(root, 'sys'), procRoot: join(root, 'proc'), devRoot: join(root, 'dev') };
}

function snap(over: Partial<ArraySnapshot> = {}): ArraySnapshot {
  return {
    device: 'md0', arrayState: 'clean', degraded: 0, syncAction: 'idle', syncProgress: null,
    members: [
      { name: 'vda', devPath: '/dev/vda', flags: ['in_sync'], slot: 0 },
      { name: 'vdb', devPath: '/dev/vdb', flags: ['in_sync'], slot: 1 },
    ],
    ...over,
  };
}
const set = (...s: ArraySnapshot[]) => new Map(s.map((x) => [x.device, x]));

describe('snapshot diff', () => {
  it('is empty for equal snapshots', () => {
    expect(diffSnapshots(set(snap()), set(snap()))).toEqual([]);
  });

  it('reports a failure as member-faulty then degraded-changed', () => {
    const failed = snap({ degraded: 1, members: [snap().members[0], { name: 'vdb', devPath: '/dev/vdb', flags: ['faulty'], slot: null }] });
    expect(diffSnapshots(set(snap()), set(failed))).toEqual([
      { type: 'member-faulty', device: 'md0', member: '/dev/vdb' },
      { type: 'degraded-changed', device: 'md0', degraded: 1 },
    ]);
    expect(diffSnapshots(set(failed), set(failed))).toEqual([]);
  });

  it('reports sync start, progress, change of action and finish', () => {
    const p = (done: number) => ({ doneSectors: sectors(done), totalSectors: sectors(1000) });
    const a = snap();
    const b = snap({ syncAction: 'recover', syncProgress: p(10) });
    const c = snap({ syncAction: 'recover', syncProgress: p(500) });
    const d = snap({ syncAction: 'resync', syncProgress: p(0) });
    expect(diffSnapshots(set(a), set(b))).toEqual([
      { type: 'sync-started', device: 'md0', action: 'recover' },
      { type: 'sync-progress', device: 'md0', action: 'recover', progress: p(10) },
    ]);
    expect(diffSnapshots(set(b), set(c))).toEqual([{ type: 'sync-progress', device: 'md0', action: 'recover', progress: p(500) }]);
    expect(diffSnapshots(set(c), set(d)).map((e) => e.type)).toEqual(['sync-finished', 'sync-started', 'sync-progress']);
    expect(diffSnapshots(set(d), set(snap({ syncAction: 'frozen' })))).toEqual([{ type: 'sync-finished', device: 'md0', action: 'resync' }]);
  });

  it('reports arrays starting, stopping, changing state, and members coming and going', () => {
    const added = snap({ members: [...snap().members, { name: 'vdc', devPath: '/dev/vdc', flags: ['spare'], slot: null }] });
    expect(diffSnapshots(set(), set(snap()))).toEqual([
      { type: 'array-started', device: 'md0' },
      { type: 'member-added', device: 'md0', member: '/dev/vda' },
      { type: 'member-added', device: 'md0', member: '/dev/vdb' },
    ]);
    expect(diffSnapshots(set(snap()), set()).map((e) => e.type)).toEqual(['member-removed', 'member-removed', 'array-stopped']);
    expect(diffSnapshots(set(snap()), set(added))).toEqual([{ type: 'member-added', device: 'md0', member: '/dev/vdc' }]);
    expect(diffSnapshots(set(added), set(snap()))).toEqual([{ type: 'member-removed', device: 'md0', member: '/dev/vdc' }]);
    expect(diffSnapshots(set(snap()), set(snap({ arrayState: 'readonly' })))).toEqual([{ type: 'array-state-changed', device: 'md0', arrayState: 'readonly' }]);
    expect(diffSnapshots(set(snap({ arrayState: 'inactive' })), set(snap()))).toEqual([
      { type: 'array-started', device: 'md0' }, { type: 'array-state-changed', device: 'md0', arrayState: 'clean' },
    ]);
  });

  it('turns real captures into the events md would have caused', () => {
    // 01 (clean) -> 07 (vdb failed, zeroed, re-added, recovering): same array names and members.
    const before = readLightSnapshots(tree('01-raid1-clean'), ['md0']);
    const after = readLightSnapshots(tree('07-raid1-recovery-midway'), ['md0']);
    const events = diffSnapshots(before, after);
    expect(events.map((e) => e.type)).toEqual(['degraded-changed', 'sync-started', 'sync-progress']);
    expect(events[1]).toEqual({ type: 'sync-started', device: 'md0', action: 'recover' });
    // 87: vdc faulty and recovery onto vde, relative to a clean 4-disk RAID6 (43) plus spare vde.
    const clean = readLightSnapshots(tree('43-raid6-4disk-clean'), ['md0']);
    const failover = readLightSnapshots(tree('87-raid6-failover-to-spare-midway'), ['md0']);
    expect(diffSnapshots(clean, failover).map((e) => e.type)).toEqual(['member-added', 'member-faulty', 'degraded-changed', 'sync-started', 'sync-progress']);
  });
});

function waitFor<T>(get: () => T | undefined, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const tick = () => {
      const v = get();
      if (v !== undefined) { resolve(v); return; }
      if (Date.now() > deadline) { reject(new Error('timed out')); return; }
      setTimeout(tick, 5);
    };
    tick();
  });
}

describe('poll worker', () => {
  it('reports newly watched files, times out as a fallback, and stops cleanly', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'poller-'));
    roots.push(dir);
    for (const f of ['a', 'b', 'c']) writeFileSync(join(dir, f), 'x\n');
    const wakes: { paths: string[]; reason: string }[] = [];
    const errors: Error[] = [];
    const poller = new SysfsPoller({
      paths: [join(dir, 'a'), join(dir, 'b'), join(dir, 'missing')], timeoutMs: 40,
      onWake: (paths, reason) => wakes.push({ paths, reason }), onError: (e) => errors.push(e),
    });
    await poller.ready;
    const first = await waitFor(() => wakes.find((w) => w.reason === 'event'), 5000);
    expect(first.paths.sort()).toEqual([join(dir, 'a'), join(dir, 'b'), join(dir, 'missing')]);
    await waitFor(() => wakes.find((w) => w.reason === 'timeout'), 5000);
    // A wanted file that appears later is opened and reported on a later wake.
    writeFileSync(join(dir, 'missing'), 'now here\n');
    await waitFor(() => wakes.find((w) => w.reason === 'timeout' && w.paths.includes(join(dir, 'missing'))), 5000);
    poller.setPaths([join(dir, 'a'), join(dir, 'c')]);
    await waitFor(() => wakes.find((w) => w.paths.includes(join(dir, 'c'))), 5000);
    const t0 = performance.now();
    await poller.close();
    expect(performance.now() - t0).toBeLessThan(1000);
    await poller.close();
    const n = wakes.length;
    await new Promise((r) => setTimeout(r, 120));
    expect(wakes.length).toBe(n);
    expect(errors).toEqual([]);
  });
});

describe('snapshot patch from notified file contents', () => {
  const paths: KernelPaths = { sysRoot: '/sys', procRoot: '/proc', devRoot: '/dev' };
  const md = '/sys/block/md0/md';
  it('applies known files of known arrays and members, and nothing else', () => {
    const cur = set(snap());
    const next = patchSnapshots(paths, cur, {
      [`${md}/dev-vdb/state`]: 'faulty\n', [`${md}/degraded`]: '1\n', [`${md}/sync_completed`]: '10 / 100\n',
      [`${md}/dev-vdz/state`]: 'in_sync\n', '/sys/block/md9/md/degraded': '2\n', '/proc/mdstat': 'Personalities : \n',
      [`${md}/level`]: 'raid5\n',
    })!;
    expect(diffSnapshots(cur, next)).toEqual([
      { type: 'member-faulty', device: 'md0', member: '/dev/vdb' },
      { type: 'degraded-changed', device: 'md0', degraded: 1 },
    ]);
    expect(next.get('md0')!.syncProgress).toEqual({ doneSectors: 10, totalSectors: 100 });
    expect(next.get('md0')!.members.map((m) => m.name)).toEqual(['vda', 'vdb']);
    expect(cur.get('md0')!.members[1].flags).toEqual(['in_sync']); // the input is not modified
  });

  it('returns null when nothing changed or nothing parses', () => {
    const cur = set(snap());
    expect(patchSnapshots(paths, cur, { [`${md}/dev-vdb/state`]: 'in_sync\n', [`${md}/array_state`]: 'clean' })).toBeNull();
    expect(patchSnapshots(paths, cur, { [`${md}/array_state`]: 'bogus\n', [`${md}/degraded`]: 'x' })).toBeNull();
    expect(patchSnapshots(paths, cur, {})).toBeNull();
  });
});

describe('attribute cache', () => {
  it('re-reads open files with pread, forgets missing ones, and closes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'attrcache-'));
    roots.push(dir);
    const f = join(dir, 'array_state');
    writeFileSync(f, 'clean\n');
    const cache = new AttrCache();
    const ctx = { syscall: 'md/array_state', device: 'md0' };
    expect(cache.read(f, ctx)).toBe('clean');
    writeFileSync(f, 'active\n');
    expect(cache.read(f, ctx)).toBe('active');
    expect(cache.read(join(dir, 'absent'), ctx)).toBeUndefined();
    cache.retain(() => false);
    writeFileSync(f, 'readonly\n');
    expect(cache.read(f, ctx)).toBe('readonly');
    cache.close();
    writeFileSync(f, 'inactive\n');
    expect(cache.read(f, ctx)).toBe('inactive');
  });
});

describe('kernel watcher over a capture tree', () => {
  it('delivers typed events for changes and none after close', async () => {
    const paths = tree('01-raid1-clean');
    const md = join(paths.sysRoot, 'block/md0/md');
    const events: MdEvent[] = [];
    const errors: Error[] = [];
    const driver = new KernelMdDriver({ paths, watchFallbackMs: 30, onWatchError: (e) => errors.push(e) });
    const handle = driver.watch((e) => events.push(e));
    await new Promise((r) => setTimeout(r, 80));
    expect(events).toEqual([]); // the starting state produces no events

    writeFileSync(join(md, 'dev-vdb/state'), 'faulty\n');
    writeFileSync(join(md, 'dev-vdb/slot'), 'none\n');
    writeFileSync(join(md, 'degraded'), '1\n');
    await waitFor(() => events.find((e) => e.type === 'degraded-changed'), 5000);
    expect(events.slice(0, 2)).toEqual([
      { type: 'member-faulty', device: 'md0', member: `${paths.devRoot}/vdb` },
      { type: 'degraded-changed', device: 'md0', degraded: 1 },
    ]);

    cpSync(join(paths.sysRoot, 'block/md0'), join(paths.sysRoot, 'block/md1'), { recursive: true });
    await waitFor(() => events.find((e) => e.type === 'array-started'), 5000);
    writeFileSync(join(md, 'sync_action'), 'bogus\n');
    await waitFor(() => errors[0], 5000);
    expect(errors[0]).toMatchObject({ code: 'E_KERNEL_FORMAT' });
    writeFileSync(join(md, 'sync_action'), 'idle\n');
    rmSync(join(paths.sysRoot, 'block/md1'), { recursive: true });
    await waitFor(() => events.find((e) => e.type === 'array-stopped'), 5000);
    expect(events.filter((e) => e.type === 'array-stopped')).toEqual([{ type: 'array-stopped', device: 'md1' }]);

    await handle.close();
    const n = events.length;
    mkdirSync(join(md, 'dev-vdc/block'), { recursive: true });
    writeFileSync(join(md, 'dev-vdc/state'), 'spare\n');
    await new Promise((r) => setTimeout(r, 150));
    expect(events.length).toBe(n);
    await driver.close();
  });

  it('reports an unreadable array at start through onWatchError and picks it up once readable', async () => {
    const paths = tree('01-raid1-clean');
    const md = join(paths.sysRoot, 'block/md0/md');
    writeFileSync(join(md, 'array_state'), 'weird\n');
    const events: MdEvent[] = [];
    const errors: Error[] = [];
    const driver = new KernelMdDriver({ paths, watchFallbackMs: 30, onWatchError: (e) => errors.push(e) });
    const handle = driver.watch((e) => events.push(e));
    expect(errors[0]).toMatchObject({ code: 'E_KERNEL_FORMAT', details: { attribute: 'array_state' } });
    writeFileSync(join(md, 'array_state'), 'clean\n');
    await waitFor(() => events.find((e) => e.type === 'array-started'), 5000);
    await handle.close();
  });

  it('rejects a fallback interval below the minimum', () => {
    const driver = new KernelMdDriver({ paths: tree('01-raid1-clean'), watchFallbackMs: 1 });
    expect(() => driver.watch(() => undefined)).toThrow(expect.objectContaining({ code: 'E_INVALID_ARGUMENT' }));
  });
});
