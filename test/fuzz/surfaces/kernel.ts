// Fuzz surface (e): what the kernel driver reads from the kernel and from disks: /proc/mdstat,
// mdadm's --detail --export and --examine text, md's sysfs attribute files, and v1.x
// superblocks. Owns: the input layout below and the fake sysfs tree the full reader runs over.
// Input layout: byte 0 picks the reader, the rest is its input:
//   0 parseMdstat, 1 parseExport, 2 parseExamine (ParseResult: must never throw);
//   3 extractFromMdstat (documented never to throw);
//   4 each "attr=value" line through its attribute's sysfs-parse function (refusal: OpError
//     E_KERNEL_FORMAT);
//   5 parseSuperblockV1 (byte 1: minor; byte 2 bit 0: expect the offset the block claims),
//     never throws;
//   6 readArrayState over a real directory tree under /dev/shm built from "attr=value" lines,
//     then "\n=== mdstat\n" and /proc/mdstat text, then "\n=== sb\n" and one superblock
//     (refusal: any OpError).
// Invariant: the fake tree is written only below its own temp dir (names are checked against
// a strict pattern; ".." never appears).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { OpError } from '../../../daemon/src/common/errors.js';
import { parseMdstat } from '../../../daemon/src/md/format/mdstat.js';
import { parseExport } from '../../../daemon/src/md/format/export.js';
import { parseExamine } from '../../../daemon/src/md/format/examine.js';
import { extractFromMdstat } from '../../../daemon/src/md/kernel/mdstat-extract.js';
import * as sp from '../../../daemon/src/md/kernel/sysfs-parse.js';
import { readArrayState } from '../../../daemon/src/md/kernel/read-array.js';
import type { ReadPorts } from '../../../daemon/src/md/kernel/ports.js';
import { computeSbCsum, MD_SB_MAGIC, parseSuperblockV1, SB, SB_READ_BYTES } from '../../../native/src/superblock-format.js';
import { parseSuperblock090, SB090_BYTES } from '../../../native/src/superblock090-format.js';
import { loadCorpus, type Surface, type Target } from '../engine.js';

export const KernelReader = { mdstat: 0, export: 1, examine: 2, extract: 3, sysfs: 4, superblock: 5, readArray: 6 } as const;
const READERS = 7;
const SAFE_NAME = /^[A-Za-z0-9_.:+-]{1,64}(\/[A-Za-z0-9_.:+-]{1,64}){0,2}$/;
const DEVICE = 'md0';

function kernelFormatOnly(fn: () => unknown): void {
  try { fn(); } catch (e) {
    if (e instanceof OpError && e.code === 'E_KERNEL_FORMAT') return;
    throw e;
  }
}

function mustNotThrowResult(r: { ok: boolean; error?: unknown }): void {
  if (!r.ok && !(r.error instanceof OpError)) throw new Error('a parser refused without an OpError');
}

function parseLines(text: string): [string, string][] {
  const out: [string, string][] = [];
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) out.push([line.slice(0, eq), line.slice(eq + 1)]);
  }
  return out;
}

/** Each sysfs parser with the attribute it reads (readArrayState's pairing). */
const SYSFS_PARSERS: [string, (v: string | undefined) => unknown][] = [
  ['array_state', sp.parseArrayState], ['level', sp.parseLevel], ['raid_disks', sp.parseRaidDisks],
  ['layout', (v) => sp.parseNewOld('layout', v)], ['chunk_size', (v) => sp.parseNewOld('chunk_size', v)],
  ['component_size', (v) => sp.parseCount('component_size', v)], ['degraded', (v) => sp.parseCount('degraded', v)],
  ['sync_action', sp.parseSyncAction], ['last_sync_action', sp.parseLastSyncAction], ['sync_completed', sp.parseSyncCompleted],
  ['sync_speed', sp.parseSyncSpeed], ['resync_start', (v) => sp.parseSectorsOrNone('resync_start', v)], ['sync_max', sp.parseSyncMax],
  ['uuid', (v) => sp.parseArrayUuid(v, '1.2')], ['bitmap/location', sp.parseBitmapLocation], ['state', sp.parseMemberState],
  ['slot', sp.parseSlot], ['block/dev', sp.parseDevNumber], ['recovery_start', (v) => sp.parseSectorsOrNone('recovery_start', v)],
  ['offset', (v) => sp.parseCount('offset', v)], ['dir', (v) => sp.memberNameFromDir(v ?? '')],
];

/** Each "attr=value" line through the parser of its attribute (unknown names: one picked by the name). */
function sysfsEach(text: string): void {
  for (const [k, v] of parseLines(text)) {
    const attr = k.replace(/^dev-[^/]*\//, '');
    const known = SYSFS_PARSERS.find(([a]) => a === attr);
    let h = 0;
    for (let i = 0; i < k.length; i++) h = (h * 31 + k.charCodeAt(i)) >>> 0;
    const [, parse] = known ?? SYSFS_PARSERS[h % SYSFS_PARSERS.length]!;
    kernelFormatOnly(() => parse(v));
    kernelFormatOnly(() => sp.parseArrayUuid(v, '0.90'));
  }
  kernelFormatOnly(() => SYSFS_PARSERS[text.length % SYSFS_PARSERS.length]![1](undefined));
}

function superblock(bytes: Uint8Array): void {
  const minor = ((bytes[0] ?? 2) % 3) as 0 | 1 | 2;
  const buf = Buffer.alloc(Math.max(SB_READ_BYTES, bytes.length - 2));
  Buffer.from(bytes.subarray(2)).copy(buf);
  const claimed = buf.length >= SB.superOffset + 8 ? buf.readBigUInt64LE(SB.superOffset) : 0n;
  const expected = ((bytes[1] ?? 0) & 1) === 1 && claimed <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(claimed) : 8;
  const r = parseSuperblockV1(buf, minor, expected);
  if (!r.ok && typeof r.reason !== 'string') throw new Error('superblock refusal without a reason');
}

/**
 * One sysfs tree, updated per input: only files whose content changed are written, files the
 * input lacks are deleted (a directory left empty reads as a member removed mid-scan, which
 * readRawArray skips, as a fresh tree would lack it). Any write error rebuilds it from scratch.
 */
class FakeSysfs {
  readonly root = mkdtempSync(join(existsShm() ? '/dev/shm' : tmpdir(), 'mdfuzz-'));
  private readonly files = new Map<string, string>();

  get sysRoot(): string { return join(this.root, 'sys'); }

  /** Makes the tree hold exactly `attrs` under md/ (and block/mdX/size). */
  build(attrs: [string, string][], size: string | undefined): void {
    const want = new Map<string, string>();
    const md = join(this.sysRoot, 'block', DEVICE, 'md');
    if (size !== undefined) want.set(join(this.sysRoot, 'block', DEVICE, 'size'), size);
    for (const [k, v] of attrs) {
      if (!SAFE_NAME.test(k) || k.split('/').some((p) => p === '.' || p === '..')) continue;
      want.set(join(md, k), v + '\n');
    }
    try {
      this.apply(md, want);
    } catch {
      rmSync(this.sysRoot, { recursive: true, force: true });
      this.files.clear();
      try { this.apply(md, want); } catch { /* a name that is a file and a directory both: the kernel has neither */ }
    }
  }

  private apply(md: string, want: Map<string, string>): void {
    mkdirSync(md, { recursive: true });
    for (const f of this.files.keys()) if (!want.has(f)) { rmSync(f, { force: true }); this.files.delete(f); }
    for (const [f, v] of want) {
      if (this.files.get(f) === v) continue;
      try { writeFileSync(f, v); } catch { mkdirSync(join(f, '..'), { recursive: true }); writeFileSync(f, v); }
      this.files.set(f, v);
    }
  }

  close(): void { rmSync(this.root, { recursive: true, force: true }); }
}

function existsShm(): boolean {
  try { mkdirSync('/dev/shm', { recursive: true }); return true; } catch { return false; }
}

async function readArrayFromTree(fake: FakeSysfs, text: string): Promise<void> {
  const [sysfs = '', rest = ''] = text.split('\n=== mdstat\n', 2);
  const [mdstat, sbText] = rest.split('\n=== sb\n', 2);
  const attrs = parseLines(sysfs);
  const size = attrs.find(([k]) => k === 'size')?.[1];
  fake.build(attrs.filter(([k]) => k !== 'size'), size);
  const sysRoot = fake.sysRoot;
  const sbBytes = sbText === undefined ? null : Buffer.from(sbText, 'latin1');
  const ports: ReadPorts = {
    ioctlFacts: () => Promise.resolve({ arrayInfo: null, descNumbers: new Map(), bitmapFile: null }),
    superblock: (_path, minor) => {
      if (sbBytes === null) return Promise.reject(new OpError('E_NO_SUPERBLOCK', 'none'));
      const buf = Buffer.alloc(SB_READ_BYTES);
      sbBytes.copy(buf);
      const r = parseSuperblockV1(buf, minor ?? 2, 8);
      return r.ok ? Promise.resolve(r.sb) : Promise.reject(new OpError('E_NO_SUPERBLOCK', r.reason));
    },
    superblock090: () => {
      if (sbBytes === null) return Promise.reject(new OpError('E_NO_SUPERBLOCK', 'none'));
      const buf = Buffer.alloc(SB090_BYTES);
      sbBytes.copy(buf);
      const r = parseSuperblock090(buf);
      return r.ok ? Promise.resolve(r.sb) : Promise.reject(new OpError('E_NO_SUPERBLOCK', r.reason));
    },
    ddf: () => Promise.reject(new OpError('E_NO_SUPERBLOCK', 'none')),
    mdstatText: () => mdstat,
  };
  try {
    await readArrayState({ sysRoot, procRoot: join(sysRoot, 'proc'), devRoot: join(sysRoot, 'dev') }, ports, DEVICE);
  } catch (e) {
    if (e instanceof OpError) return;
    throw e;
  }
}

/** A v1.x superblock with in-range fields and a correct checksum. */
const superblockArb = fc.record({
  level: fc.constantFrom(-1, 0, 1, 4, 5, 6, 10, 7, -4),
  raidDisks: fc.integer({ min: 0, max: 40 }),
  maxDev: fc.integer({ min: 0, max: 2000 }),
  devNumber: fc.integer({ min: 0, max: 3000 }),
  events: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  superOffset: fc.constantFrom(0n, 8n, 1000n),
  roles: fc.array(fc.constantFrom(0, 1, 2, 0xffff, 0xfffe, 0xfffd), { maxLength: 16 }),
  featureMap: fc.integer({ min: 0, max: 0xffff }),
}).map((s) => {
  const b = Buffer.alloc(SB_READ_BYTES);
  b.writeUInt32LE(MD_SB_MAGIC, SB.magic);
  b.writeUInt32LE(1, SB.majorVersion);
  b.writeUInt32LE(s.featureMap, SB.featureMap);
  b.write('host:name', SB.setName);
  b.writeInt32LE(s.level, SB.level);
  b.writeUInt32LE(s.raidDisks, SB.raidDisks);
  b.writeBigUInt64LE(s.superOffset, SB.superOffset);
  b.writeUInt32LE(s.devNumber, SB.devNumber);
  b.writeBigUInt64LE(s.events, SB.events);
  b.writeBigUInt64LE(0xffffffffffffffffn, SB.resyncOffset);
  b.writeUInt32LE(s.maxDev, SB.maxDev);
  for (let i = 0; i < Math.min(s.maxDev, s.roles.length); i++) b.writeUInt16LE(s.roles[i]!, SB.devRoles + 2 * i);
  b.writeUInt32LE(computeSbCsum(b, Math.min(s.maxDev, 1920)), SB.sbCsum);
  return b;
});

/** Line-level edits of a seed text: drop, duplicate, swap or renumber lines. */
function lineEdits(seeds: string[]): fc.Arbitrary<string> {
  const base = seeds.length > 0 ? fc.constantFrom(...seeds) : fc.constant('');
  return fc.tuple(base, fc.array(fc.tuple(fc.nat(), fc.constantFrom('drop', 'dup', 'num', 'space', 'cut')), { maxLength: 4 }), fc.integer({ min: -1, max: 2 ** 54 }))
    .map(([text, edits, n]) => {
      const lines = text.split('\n');
      for (const [at, op] of edits) {
        const i = lines.length === 0 ? 0 : at % lines.length;
        const l = lines[i] ?? '';
        if (op === 'drop') lines.splice(i, 1);
        else if (op === 'dup') lines.splice(i, 0, l);
        else if (op === 'num') lines[i] = l.replace(/\d+/, String(n));
        else if (op === 'space') lines[i] = ' ' + l + ' ';
        else lines[i] = l.slice(0, at % (l.length + 1));
      }
      return lines.join('\n');
    });
}

export const kernelSurface: Surface = {
  name: 'kernel',
  description: 'mdstat/export/examine text, sysfs attributes, superblocks, readArrayState over a fake sysfs tree; refusal: ParseResult / OpError',
  hangBoundMs: 1000,
  setup(): Promise<Target> {
    const fake = new FakeSysfs();
    const seedsBy = new Map<number, string[]>();
    for (const c of loadCorpus('kernel')) {
      const list = seedsBy.get(c[0]! % READERS) ?? [];
      list.push(Buffer.from(c.subarray(1)).toString('latin1'));
      seedsBy.set(c[0]! % READERS, list);
    }
    const textOf = (r: number): fc.Arbitrary<Uint8Array> => lineEdits(seedsBy.get(r) ?? []).map((t) => Buffer.concat([Buffer.from([r]), Buffer.from(t, 'latin1')]));
    const structured = fc.oneof(
      ...[0, 1, 2, 3, 4, 6].map(textOf),
      fc.tuple(fc.nat(255), fc.nat(255), superblockArb).map(([minor, flag, sb]) => Buffer.concat([Buffer.from([KernelReader.superblock, minor, flag | 1]), sb])),
    );
    return Promise.resolve({
      structured,
      run: (input: Uint8Array): Promise<void> | void => {
        if (input.length === 0) return;
        const body = Buffer.from(input.subarray(1));
        const text = body.toString('latin1');
        switch (input[0]! % READERS) {
          case KernelReader.mdstat: return mustNotThrowResult(parseMdstat(text));
          case KernelReader.export: return mustNotThrowResult(parseExport(text));
          case KernelReader.examine: return mustNotThrowResult(parseExamine(text));
          case KernelReader.extract: { extractFromMdstat(text, DEVICE); extractFromMdstat(text, 'md127'); return; }
          case KernelReader.sysfs: return sysfsEach(text);
          case KernelReader.superblock: return superblock(body);
          default: return readArrayFromTree(fake, text);
        }
      },
      close: () => { fake.close(); return Promise.resolve(); },
    });
  },
};
