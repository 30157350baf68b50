// The kernel driver over the captures of the less common formats (issue #17 item 3): 0.90
// metadata (cases 82, 84), the multipath personality (case 58) and a DDF container with its
// volume (case 63: DDF read by native/src/ddf-format.ts from an image built from the record), read through readArray() and
// readSuperblock090() and rendered by the mdadm renderers, compared with what mdadm 4.2 printed
// (and the kernel wrote to /proc/mdstat) for the same state. faulty has no capture: its level
// is checked through the same parser and renderers.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KernelMdDriver } from '../../daemon/src/md/kernel/driver.js';
import type { KernelPaths } from '../../daemon/src/md/kernel/paths.js';
import { renderDetail } from '../../daemon/src/md/format/detail.js';
import { renderExport } from '../../daemon/src/md/format/export.js';
import { renderScan } from '../../daemon/src/md/format/scan.js';
import { splitSections } from './format-sample-loader.js';
import { examine, makeHandler, refuseExternal } from '../../daemon/src/control/handlers.js';
import type { ClusterNode } from '../../daemon/src/node/node.js';
import { buildCreate } from '../../mdctl/src/create.js';
import { parse } from '../../mdctl/src/args.js';
import { externalMetadataNote } from '../../mdctl/src/state.js';
import type { Ctx } from '../../mdctl/src/context.js';
import { mdstatFromArrays, renderMdstat } from '../../daemon/src/md/format/mdstat.js';
import { levelNumber } from '../../daemon/src/md/format/levels.js';
import { parseLevel } from '../../daemon/src/md/kernel/sysfs-parse.js';
import { arrayUsable } from '../../daemon/src/cluster/redundancy.js';
import { renderExamine090 } from '../../mdctl/src/examine-format-090.js';
import { buildTree, loadDetail, loadExport, loadIoctl, readCaseFile } from './native-samples.js';
import { samplePorts } from './native-kernel-fakes.js';
import { records } from './sb090-encode.js';

const roots: string[] = [];
afterAll(() => { for (const r of roots) rmSync(r, { recursive: true, force: true }); });

/** The case's sysfs tree plus /sys/dev/block/MAJ:MIN links for every disk the ioctls named. */
function driverFor(caseName: string): { driver: KernelMdDriver; paths: KernelPaths } {
  const root = buildTree(caseName);
  roots.push(root);
  const paths = { sysRoot: join(root, 'sys'), procRoot: join(root, 'proc'), devRoot: join(root, 'dev') };
  mkdirSync(join(paths.sysRoot, 'dev/block'), { recursive: true });
  const seen = new Set<string>();
  for (const cap of loadIoctl(caseName).values()) {
    for (const d of cap.disks) {
      const key = `${d.major}:${d.minor}`;
      if (d.dev === null || seen.has(key)) continue;
      seen.add(key);
      symlinkSync(`../../devices/virtual/block/${d.dev}`, join(paths.sysRoot, 'dev/block', key));
    }
  }
  return { driver: new KernelMdDriver({ paths, readPorts: samplePorts(caseName) }), paths };
}

const eventsLine = (text: string) => /^ {12}Events : (.*)$/m.exec(text)?.[1];

describe('0.90 metadata through the kernel driver', () => {
  for (const c of ['82-raid1-meta-0.90-recovery-midway', '84-raid5-meta-0.90-4disk-spare']) {
    it(`${c}: Events, UUID and level as mdadm --detail printed them`, async () => {
      const { driver } = driverFor(c);
      const s = await driver.readArray('md0');
      const want = loadDetail(c).get('md0')!;
      expect(s.metadataVersion).toBe('0.90');
      expect(s.events).toBeGreaterThan(0);
      const got = renderDetail(s, { homehost: 'labhost' });
      expect(eventsLine(got)).toBe(eventsLine(want));
      expect(/UUID : .*/.exec(got)?.[0]).toBe(/UUID : .*/.exec(want)?.[0]);
      expect(/Raid Level : .*/.exec(got)?.[0]).toBe(/Raid Level : .*/.exec(want)?.[0]);
    });
    it(`${c}: --examine of each member through readSuperblock090 equals mdadm's`, async () => {
      const { driver, paths } = driverFor(c);
      for (const r of records(readCaseFile(c, 'examine.txt')!)) {
        const name = r.device.replace('/dev/', '');
        const sb = await driver.readSuperblock090(`${paths.devRoot}/${name}`);
        // The tree's /dev is a temporary directory: name the devices as the guest did.
        for (const d of [sb.thisDisk, ...sb.disks]) if (d.devPath !== null) d.devPath = d.devPath.replace(paths.devRoot, '/dev');
        expect(renderExamine090(r.device, sb, { homehost: 'labhost' })).toBe(r.text);
      }
    });
  }
});

describe('multipath and faulty are read as what they are, not as raid1', () => {
  const c = '58-multipath-2disk';
  it(`${c}: level, members and the mdstat line as the kernel and mdadm showed them`, async () => {
    const { driver, paths } = driverFor(c);
    const s = await driver.readArray('md0');
    expect(s.level).toBe('multipath');
    const detail = renderDetail(s, { homehost: 'labhost' }).replaceAll(paths.devRoot, '/dev'); // the tree's /dev is a temporary directory
    const want = loadDetail(c).get('md0')!;
    expect(/Raid Level : .*/.exec(detail)?.[0]).toBe('Raid Level : multipath');
    expect(detail).not.toContain('Used Dev Size'); // mdadm prints it for levels >= 1 only
    expect(detail.slice(detail.indexOf('    Number'))).toBe(want.slice(want.indexOf('    Number')));
    const exp = renderExport(s, { mapPath: '/dev/md0' });
    expect(exp.split('\n')[0]).toBe(`MD_LEVEL=${loadExport(c).get('md0')!.get('MD_LEVEL')}`);
    const mdstat = renderMdstat(mdstatFromArrays([{ ...s, arraySizeKiB: 64512 }], { personalities: ['multipath'] }));
    expect(mdstat).toBe(readCaseFile(c, 'mdstat.txt'));
  });
  it('faulty: parsed, numbered -5 as md does, and rendered with its own name', () => {
    expect(parseLevel('faulty')).toBe('faulty');
    expect(parseLevel('multipath')).toBe('multipath');
    expect(levelNumber('faulty')).toBe(-5);
    expect(levelNumber('multipath')).toBe(-4);
  });
  it('usable: multipath with any one path, faulty (one device) only whole', () => {
    expect(arrayUsable('multipath', 2, null, new Set([1]))).toBe(true);
    expect(arrayUsable('multipath', 2, null, new Set())).toBe(false);
    expect(arrayUsable('faulty', 1, null, new Set([0]))).toBe(true);
    expect(arrayUsable('faulty', 1, null, new Set())).toBe(false);
  });
});

describe('DDF container and member through the kernel driver (case 63)', () => {
  const c = '63-ddf-container-mdmon-resync-midway';
  it('container: level, UUID, --detail, --export and its scan line as mdadm printed them', async () => {
    const { driver, paths } = driverFor(c);
    const container = await driver.readArray('md127');
    const vol = await driver.readArray('md126');
    expect(container.level).toBe('container');
    expect(container.external).toMatchObject({ format: 'ddf', container: null, ddf: { seq: 6, virtualDisks: 1 } });
    expect(vol.external).toMatchObject({ format: 'ddf', container: 'md127', member: '0' });
    const detail = renderDetail(container, { homehost: 'labhost', memberArrays: ['/dev/md/vol'] }).replaceAll(paths.devRoot, '/dev');
    expect(detail).toBe(loadDetail(c).get('md127'));
    const exports = splitSections(readCaseFile(c, 'export.txt')!);
    expect(renderExport(container, { mapPath: '/dev/md/ddf' }).replaceAll(paths.devRoot, '/dev')).toBe(exports.get('/dev/md127'));
    expect(renderExport(vol, { mapPath: '/dev/md/vol', containerPath: '/dev/md/ddf' }).replaceAll(paths.devRoot, '/dev')).toBe(exports.get('/dev/md126'));
    const mapPaths = new Map([['md127', '/dev/md/ddf'], ['md126', '/dev/md/vol']]);
    const scan = splitSections(readCaseFile(c, 'scan.txt')!);
    expect(renderScan([vol, container], { mapPaths })).toBe(scan.get('mdadm --detail --scan'));
  });
});

describe('cluster commands on external-metadata arrays are refused (E_EXTERNAL_METADATA)', () => {
  it('a command naming the DDF container or its volume, not managed by the cluster, is refused with a clear message', async () => {
    const { driver } = driverFor('63-ddf-container-mdmon-resync-midway');
    await expect(refuseExternal([], driver, 'md127')).rejects.toMatchObject({
      code: 'E_EXTERNAL_METADATA', message: expect.stringMatching(/^\/dev\/md127 is a ddf container \(metadata external:ddf\): cluster operations on external-metadata \(DDF\/IMSM\) arrays are not supported yet$/),
    });
    await expect(refuseExternal([], driver, 'md126')).rejects.toMatchObject({ code: 'E_EXTERNAL_METADATA', message: expect.stringContaining('/dev/md126 is a volume in /dev/md127') });
  });
  it('the control socket checks before proposing: a stop of the DDF volume never reaches the log', async () => {
    const { driver } = driverFor('63-ddf-container-mdmon-resync-midway');
    const proposed: unknown[] = [];
    const node = { view: () => ({ state: { arrays: [] } }), deps: { driver }, propose: async (c: unknown) => { proposed.push(c); return { ok: true, index: 1 }; } };
    const handler = makeHandler({ node: node as unknown as ClusterNode, seesDevice: async () => true });
    const conn = { push: () => false, onClose: () => {} };
    await expect(handler({ type: 'propose', id: 1, command: { op: 'stop', device: 'md126' } }, conn)).rejects.toMatchObject({ code: 'E_EXTERNAL_METADATA' });
    await expect(handler({ type: 'propose', id: 2, command: { op: 'grow-bitmap', device: 'md127', bitmap: 'internal' } }, conn)).rejects.toMatchObject({ code: 'E_EXTERNAL_METADATA' });
    expect(proposed).toEqual([]);
    await handler({ type: 'propose', id: 3, command: { op: 'stop', device: 'md9' } }, conn);
    expect(proposed).toHaveLength(1);
  });
  it('mdctl: --create of a DDF/IMSM container is refused with the code; manage/grow name the metadata', async () => {
    for (const e of ['ddf', 'imsm', 'IMSM']) {
      expect(() => buildCreate(parse(['-C', '/dev/md/c', '-e', e, '-n2', '/dev/a', '/dev/b']), 'h'))
        .toThrow(expect.objectContaining({ code: 'E_EXTERNAL_METADATA', message: expect.stringContaining('not supported on a cluster yet') }));
    }
    const { driver } = driverFor('63-ddf-container-mdmon-resync-midway');
    const ctx = { daemon: async () => ({ request: async (_t: string, b: { device: string }) => ({ arrays: [await driver.readArray(b.device)] }) }) } as unknown as Ctx;
    expect(await externalMetadataNote(ctx, 'md126')).toBe('/dev/md126 has external metadata (external:/md127/0): cluster operations on external-metadata (DDF/IMSM) arrays are not supported yet [E_EXTERNAL_METADATA]');
    const plain = { daemon: async () => ({ request: async () => ({ arrays: [await driverFor('01-raid1-clean').driver.readArray('md0')] }) }) } as unknown as Ctx;
    expect(await externalMetadataNote(plain, 'md0')).toBeNull();
  });
  it('md-native arrays, arrays the cluster manages and unknown names pass to the usual validation', async () => {
    await expect(refuseExternal([], driverFor('01-raid1-clean').driver, 'md0')).resolves.toBeUndefined();
    const { driver } = driverFor('63-ddf-container-mdmon-resync-midway');
    await expect(refuseExternal([{ device: 'md126' }], driver, 'md126')).resolves.toBeUndefined();
    await expect(refuseExternal([], driver, 'md5')).resolves.toBeUndefined();
  });
});

describe('the examine request: v1.x, else 0.90, else a DDF disk refused by name', () => {
  it('a 0.90 member answers {superblock090}; a DDF member E_EXTERNAL_METADATA naming the container UUID; a blank disk E_NO_SUPERBLOCK', async () => {
    const old = driverFor('84-raid5-meta-0.90-4disk-spare');
    writeFileSync(join(old.paths.devRoot, 'vda'), ''); // no v1.x superblock on it (size 0)
    const r = await examine(old.driver, join(old.paths.devRoot, 'vda')) as { superblock090?: { events: number } };
    expect(r.superblock090?.events).toBe(19);
    const ddf = driverFor('63-ddf-container-mdmon-resync-midway');
    writeFileSync(join(ddf.paths.devRoot, 'vda'), '');
    writeFileSync(join(ddf.paths.devRoot, 'vdz'), '');
    await expect(examine(ddf.driver, join(ddf.paths.devRoot, 'vda'))).rejects.toMatchObject({
      code: 'E_EXTERNAL_METADATA', message: expect.stringContaining('carries DDF metadata (container UUID add6b0fe:70b29a75:7f40f44f:768d2cdf)'),
    });
    await expect(examine(ddf.driver, join(ddf.paths.devRoot, 'vdz'))).rejects.toMatchObject({ code: 'E_NO_SUPERBLOCK' });
  });
});
