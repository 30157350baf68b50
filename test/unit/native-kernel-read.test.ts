// Unit tests for the kernel driver's read path (daemon/src/md/kernel): every sysfs value of
// every real capture is parsed, and readArray() over each capture's sysfs tree (with ioctl and
// superblock facts from the same capture) is compared with what mdadm printed for that array.
import { describe, expect, it, afterAll } from 'vitest';
import { rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { OpError } from '../../daemon/src/common/errors.js';
import { KernelMdDriver } from '../../daemon/src/md/kernel/driver.js';
import { readRawArray } from '../../daemon/src/md/kernel/sysfs-array.js';
import { snapshotFromRaw } from '../../daemon/src/md/kernel/snapshot.js';
import * as P from '../../daemon/src/md/kernel/sysfs-parse.js';
import { extractFromMdstat } from '../../daemon/src/md/kernel/mdstat-extract.js';
import type { KernelPaths } from '../../daemon/src/md/kernel/paths.js';
import { buildTree, caseArrays, caseNames, loadDetail, loadExport, loadSysfs, readCaseFile } from './native-samples.js';
import { samplePorts } from './native-kernel-fakes.js';

const roots: string[] = [];
afterAll(() => { for (const r of roots) rmSync(r, { recursive: true, force: true }); });
function tree(caseName: string): KernelPaths {
  const root = buildTree(caseName);
  roots.push(root);
  return { sysRoot: join(root, 'sys'), procRoot: join(root, 'proc'), devRoot: join(root, 'dev') };
}
function driverFor(caseName: string, calls: string[] = []): KernelMdDriver {
  return new KernelMdDriver({ paths: tree(caseName), readPorts: samplePorts(caseName, calls), mdadm: { run: async () => ({ stdout: '', stderr: '' }) } });
}

describe('sysfs parsers over every capture', () => {
  it('parse every attribute value the kernel printed', () => {
    let values = 0;
    for (const c of caseNames()) {
      for (const [array, attrs] of loadSysfs(c)) {
        const meta = attrs.get('metadata_version') ?? 'none';
        const get = (k: string) => attrs.get(k);
        P.parseArrayState(get('array_state'));
        P.parseLevel(get('level'));
        P.parseRaidDisks(get('raid_disks'));
        P.parseNewOld('layout', get('layout'));
        P.parseNewOld('chunk_size', get('chunk_size'));
        P.parseSyncAction(get('sync_action'));
        P.parseLastSyncAction(get('last_sync_action'));
        P.parseSyncCompleted(get('sync_completed'));
        P.parseSyncSpeed(get('sync_speed'));
        if (get('sync_max') !== undefined) P.parseSyncMax(get('sync_max'));
        if (get('resync_start') !== undefined) P.parseSectorsOrNone('resync_start', get('resync_start'));
        P.parseSectorsOrNone('reshape_position', get('reshape_position'));
        P.parseArrayUuid(get('uuid'), meta);
        P.parseBitmapLocation(get('bitmap/location'));
        for (const [k, v] of attrs) {
          const m = /^dev-[^/]+\/(state|slot|errors|offset|size|recovery_start)$/.exec(k);
          if (!m) continue;
          if (m[1] === 'state') expect(P.parseMemberState(v).length, `${c} ${array} ${k}=${v}`).toBe(v.split(',').length);
          else if (m[1] === 'slot') P.parseSlot(v);
          else if (m[1] === 'recovery_start') P.parseSectorsOrNone('recovery_start', v);
          else P.parseCount(m[1], v);
          values++;
        }
        values += 15;
      }
    }
    expect(values).toBeGreaterThan(1000);
  });

  it('reject text they do not understand with E_KERNEL_FORMAT', () => {
    const bad: (() => unknown)[] = [
      () => P.parseArrayState('sleepy'), () => P.parseLevel('raid7'), () => P.parseRaidDisks('4 (x)'),
      () => P.parseSyncAction('dance'), () => P.parseSyncCompleted('12 of 40'), () => P.parseCount('errors', '-1'),
      () => P.parseCount('errors', '99999999999999999999'), () => P.parseArrayUuid('not-a-uuid', '1.2'),
      () => P.parseBitmapLocation('+x'), () => P.parseSlot('two'), () => P.parseDevNumber('254'),
      () => P.parseMemberState(undefined),
    ];
    for (const f of bad) expect(f).toThrow(expect.objectContaining({ code: 'E_KERNEL_FORMAT' }));
  });

  it('understand the special values', () => {
    expect(P.parseRaidDisks('5 (4)')).toEqual({ value: 5, old: 4 });
    expect(P.parseRaidDisks('')).toBeNull();
    expect(P.parseLastSyncAction('recovery')).toBe('recover');
    expect(P.parseSyncCompleted('delayed')).toEqual({ kind: 'delayed' });
    expect(P.parseSyncCompleted('8192 / 129024')).toEqual({ kind: 'progress', progress: { doneSectors: 8192, totalSectors: 129024 } });
    expect(P.parseSlot('journal')).toBeNull();
    expect(P.parseMemberState('in_sync,write_mostly,failfast,future_flag')).toEqual(['in_sync', 'write_mostly', 'failfast']);
    expect(P.parseArrayUuid('00000000-0000-0000-0000-000000000000', '1.2')).toBeNull();
    // 0.90 keeps the uuid as host-order words: mdadm prints them byte-swapped (case 82).
    expect(P.parseArrayUuid('4123a804-5a6a-34a4-0013-6a842667c344', '0.90')).toBe('04a82341:a4346a5a:846a1300:44c36726');
    expect(P.parseBitmapLocation('-16')).toEqual({ kind: 'internal', offsetSectors: -16 });
  });
});

describe('mdstat extract', () => {
  it('finds bitmap lines and resync waits where mdstat shows them', () => {
    let bitmaps = 0;
    let waits = 0;
    for (const c of caseNames()) {
      const text = readCaseFile(c, 'mdstat.txt') ?? '';
      for (const a of caseArrays(c)) {
        const x = extractFromMdstat(text, a);
        const block = text.split(/\n(?=md)/).find((b) => b.startsWith(`${a} :`))!;
        expect(x.bitmap !== null, `${c} ${a}`).toBe(block.includes('bitmap:'));
        expect(x.waiting !== null, `${c} ${a}`).toBe(/resync=(PENDING|DELAYED)/.test(block));
        if (x.bitmap) bitmaps++;
        if (x.waiting) waits++;
      }
    }
    expect(bitmaps).toBeGreaterThanOrEqual(8);
    expect(waits).toBeGreaterThanOrEqual(5);
    const x = extractFromMdstat(readCaseFile('66-large-raid5-3x1TiB-check-midway', 'mdstat.txt')!, 'md0');
    expect(x.bitmap).toEqual({ pagesUsed: 8, pagesTotal: 8, pagesKiB: 32, chunkKiB: 65536, file: null });
    expect(extractFromMdstat('garbage', 'md0')).toEqual({ bitmap: null, waiting: null, memberOrder: null, progressDoneKiB: null });
  });

  it('reads the members\' list order and the live progress position where mdstat shows them', () => {
    let progress = 0;
    for (const c of caseNames()) {
      const text = readCaseFile(c, 'mdstat.txt') ?? '';
      for (const a of caseArrays(c)) {
        const x = extractFromMdstat(text, a);
        const block = text.split(/\n(?=md)/).find((b) => b.startsWith(`${a} :`))!;
        const header = block.split('\n', 1)[0];
        expect(x.memberOrder, `${c} ${a}`).toEqual([...header.matchAll(/\[(\d+)\]/g)].map((m) => Number(m[1])));
        const done = /\((\d+)\/\d+\) finish=/.exec(block);
        expect(x.progressDoneKiB, `${c} ${a}`).toBe(done === null ? null : Number(done[1]));
        if (done !== null) progress++;
      }
    }
    expect(progress).toBeGreaterThanOrEqual(5);
  });
});

function detailField(detail: string, key: string): string | undefined {
  return new RegExp(`^\\s*${key} : (.*)$`, 'm').exec(detail)?.[1].trim();
}

describe('readArray over every capture, checked against mdadm', () => {
  for (const c of caseNames()) {
    const arrays = [...loadSysfs(c).keys()];
    if (arrays.length === 0) continue;
    it(c, async () => {
      const driver = driverFor(c);
      expect(await driver.listArrays()).toEqual([...arrays].sort((a, b) => a.localeCompare(b, 'en', { numeric: true })));
      const exports = loadExport(c);
      const details = loadDetail(c);
      for (const array of arrays) {
        const exp = exports.get(array)!;
        const detail = details.get(array)!;
        const level = exp.get('MD_LEVEL');
        const s = await driver.readArray(array);
        // External metadata (case 63): the UUIDs mdadm derives from the DDF GUIDs.
        if ((exp.has('MD_METADATA') || exp.has('MD_CONTAINER')) && s.metadataVersion !== 'none') {
          expect(s.uuid, 'uuid').toBe(exp.get('MD_UUID'));
        }
        if (level !== undefined) expect(s.level, 'level').toBe(level);
        else expect(s.level).toBe(detailField(detail, 'Raid Level')); // inactive: from the superblock
        if (exp.has('MD_NAME')) expect(s.name, 'name').toBe(exp.get('MD_NAME'));
        if (exp.has('MD_METADATA')) expect(s.metadataVersion.replace(/^external:/, '')).toBe(exp.get('MD_METADATA') || 'none'); // mdadm --build: empty
        if (s.arrayState !== 'inactive') expect(s.raidDisks, 'raid disks').toBe(Number(detailField(detail, 'Raid Devices')));
        const used = detailField(detail, 'Used Dev Size');
        if (used !== undefined) expect(s.componentSizeKiB, 'component size').toBe(Number(used.split(' ')[0]));
        const chunk = detailField(detail, 'Chunk Size');
        if (chunk !== undefined) expect(s.chunkSizeBytes, 'chunk').toBe(Number(chunk.replace('K', '')) * 1024);
        const policy = detailField(detail, 'Consistency Policy');
        if (policy !== undefined) expect(s.consistencyPolicy).toBe(policy);
        expect(s.bitmap !== null, 'bitmap').toBe(detailField(detail, 'Intent Bitmap') === 'Internal');
        const state = detailField(detail, 'State') ?? '';
        expect(s.degraded > 0, `degraded (${state})`).toBe(/degraded/.test(state));
        // mdadm shows "(DELAYED)"/"(PENDING)" in State except for read-auto arrays; mdstat always does.
        const block = (readCaseFile(c, 'mdstat.txt') ?? '').split(/\n(?=md)/).find((b) => b.startsWith(`${array} :`)) ?? '';
        const waiting = /\((DELAYED|PENDING)\)/.exec(state)?.[1] ?? /resync=(DELAYED|PENDING)/.exec(block)?.[1] ?? null;
        expect(s.syncWaiting, 'sync waiting').toBe(waiting);
        const events = detailField(detail, 'Events');
        // Events move while a sync runs (the capture took seconds): compare only idle arrays.
        const idle = s.syncAction === 'idle' || s.syncAction === 'frozen';
        if (events !== undefined && idle && s.metadataVersion.startsWith('1.')) expect(s.events, 'events').toBe(Number(events));
        // 0.90: mdadm prints "hi.lo" (case 84: 0.19).
        if (events !== undefined && idle && s.metadataVersion === '0.90') expect(`${Math.floor(s.events / 2 ** 32)}.${s.events % 2 ** 32}`, 'events').toBe(events);
        for (const m of s.members) {
          const role = exp.get(`MD_DEVICE_dev_${m.name}_ROLE`);
          if (role === undefined) continue;
          expect(m.slot, `${m.name} slot`).toBe(/^\d+$/.test(role) ? Number(role) : null);
          expect(m.devPath.endsWith(`/dev/${m.name}`)).toBe(true);
          const row = new RegExp(`^\\s+(\\d+|-)\\s+(\\d+)\\s+(\\d+)\\s+.*/dev/${m.name}$`, 'm').exec(detail);
          if (row && row[1] !== '-') expect(m.descNumber, `${m.name} number`).toBe(Number(row[1]));
          if (row) expect(`${m.major}:${m.minor}`).toBe(`${row[2]}:${row[3]}`);
          if (s.metadataVersion.startsWith('1.') && /^\/dev\/vd/.test(`/dev/${m.name}`)) expect(m.deviceUuid).toMatch(/^[0-9a-f]{8}(:[0-9a-f]{8}){3}$/);
        }
      }
    });
  }
});

describe('readArray input and failures', () => {
  it('validates names before touching the file system and reports missing arrays', async () => {
    const calls: string[] = [];
    const driver = driverFor('01-raid1-clean', calls);
    for (const bad of ['../md0', 'md0/../../etc', 'sda', '', 'md0 ', '/dev/md0/../sda', '/dev/md0'] as string[]) {
      await expect(driver.readArray(bad)).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' });
    }
    await expect(driver.readArray(42 as unknown as string)).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' });
    await expect(driver.readArray('md7')).rejects.toMatchObject({ code: 'E_NO_SUCH_ARRAY' });
    expect(calls).toEqual([]);
    const s = await driver.readArray('md0');
    // The kernel's list order, as /proc/mdstat prints it ("vdb[1] vda[0]"), not desc order.
    expect(s.members.map((m) => m.name)).toEqual(['vdb', 'vda']);
  });

  it('turns an unparseable kernel value into E_KERNEL_FORMAT, and a vanished member into a skip', async () => {
    const paths = tree('01-raid1-clean');
    const md = join(paths.sysRoot, 'block/md0/md');
    writeFileSync(join(md, 'sync_action'), 'confused\n');
    const driver = new KernelMdDriver({ paths, readPorts: samplePorts('01-raid1-clean') });
    await expect(driver.readArray('md0')).rejects.toMatchObject({ code: 'E_KERNEL_FORMAT', details: { attribute: 'sync_action' } });
    writeFileSync(join(md, 'sync_action'), 'idle\n');
    mkdirSync(join(md, 'dev-vdz'));
    const s = await driver.readArray(`${paths.devRoot}/md0`);
    expect(s.members.map((m) => m.name)).toEqual(['vdb', 'vda']);
    expect(snapshotFromRaw(paths, readRawArray(paths, 'md0')).members).toHaveLength(2);
  });

  it('readMdstat returns the kernel text, and E_NOT_SUPPORTED without md', async () => {
    const driver = driverFor('61-multi-delayed-three-arrays-on-partitions');
    expect(await driver.readMdstat()).toBe(readCaseFile('61-multi-delayed-three-arrays-on-partitions', 'mdstat.txt'));
    const none = new KernelMdDriver({ paths: { sysRoot: '/nonexistent/sys', procRoot: '/nonexistent/proc', devRoot: '/nonexistent/dev' } });
    await expect(none.readMdstat()).rejects.toBeInstanceOf(OpError);
    expect(await none.listArrays()).toEqual([]);
  });

  it('reports reshape facts from "new (old)" sysfs values', async () => {
    const s = await driverFor('88-raid6-reshape-grow-midway').readArray('md0');
    expect(s.raidDisks).toBe(5);
    expect(s.reshape).toEqual({ positionSectors: 16896, deltaDisks: 1, newLevel: 'raid6', newLayout: 2, newChunkSizeBytes: 65536 });
    expect(s.syncAction).toBe('reshape');
  });
});
