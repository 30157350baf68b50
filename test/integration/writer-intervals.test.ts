// The harness's own safety checker must be able to fail: merged writer logs with overlapping
// intervals are reported, incarnations are cut at the observed death of a killed process,
// torn lines after a kill -9 are tolerated, and a missing or empty log throws (never "no
// overlap" from no data). Pure (temp files only, no daemons).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import type { Incarnation } from './lib/daemon-proc.js';
import { readWriterEvents } from './lib/writer-events.js';
import { findOverlaps, mergeWriterLogs } from './lib/writer-intervals.js';
import { WriterWatch } from './lib/writer-watch.js';

const line = (event: 'writable' | 'read-only', wallMs: number, device = 'md0', term = 1): string =>
  JSON.stringify({ event, device, term, wallMs, monoMs: wallMs, reason: 'test' }) + '\n';

/** The record each daemon run appends first (node/writer-log.ts). */
const start = (wallMs: number): string => JSON.stringify({ event: 'start', wallMs, monoMs: wallMs }) + '\n';

function inc(offset: number, endWallMs: number | null): Incarnation {
  return { pid: 1, startWallMs: 0, writerLogOffset: offset, endWallMs, exitCode: null, signal: endWallMs === null ? null : 'SIGKILL' };
}

const dirs: string[] = [];
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'mdci-wl-'));
  dirs.push(d);
  return d;
};
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

describe('writer interval merging', () => {
  test('disjoint intervals on two nodes pass; an overlap of 1 ms is reported', () => {
    const a = [{ node: 'n1', device: 'md0', startWallMs: 0, endWallMs: 100 }];
    expect(findOverlaps([...a, { node: 'n2', device: 'md0', startWallMs: 100, endWallMs: 200 }])).toEqual([]);
    const o = findOverlaps([...a, { node: 'n2', device: 'md0', startWallMs: 99, endWallMs: 200 }]);
    expect(o.map((x) => [x.a.node, x.b.node, x.overlapMs])).toEqual([['n1', 'n2', 1]]);
  });

  test('an overlap hidden behind a long interval of a third node is still found', () => {
    const o = findOverlaps([
      { node: 'n1', device: 'md0', startWallMs: 0, endWallMs: 1000 },
      { node: 'n2', device: 'md0', startWallMs: 10, endWallMs: 20 },
      { node: 'n3', device: 'md0', startWallMs: 15, endWallMs: 30 },
    ]);
    expect(o.map((x) => `${x.a.node}/${x.b.node}`).sort()).toEqual(['n1/n2', 'n1/n3', 'n2/n3']);
  });

  test('different devices never conflict; one node with itself never conflicts', () => {
    expect(findOverlaps([
      { node: 'n1', device: 'md0', startWallMs: 0, endWallMs: 100 },
      { node: 'n2', device: 'md1', startWallMs: 0, endWallMs: 100 },
      { node: 'n1', device: 'md1', startWallMs: 50, endWallMs: 60 },
    ]).map((x) => x.device)).toEqual(['md1']);
  });

  test('a kill -9 leaves an interval open: it ends at that incarnation\'s observed death, not at the next start', () => {
    const dir = tempDir();
    const first = start(50) + line('writable', 100);
    const torn = '{"event":"read-on';
    const second = start(850) + line('writable', 900) + line('read-only', 950);
    const file = join(dir, 'writer.log');
    writeFileSync(file, first + torn + '\n' + second);
    const merged = mergeWriterLogs([{ node: 'n1', file, incarnations: [inc(0, 300), inc(first.length + torn.length + 1, null)] }], 10_000);
    expect(merged.map((i) => [i.startWallMs, i.endWallMs])).toEqual([[100, 300], [900, 950]]);
    // Another node writable between 300 and 900 is fine; at 299 it overlaps the killed incarnation.
    const other = { node: 'n2', device: 'md0', startWallMs: 300, endWallMs: 800 };
    expect(findOverlaps([...merged, other])).toEqual([]);
    expect(findOverlaps([...merged, { ...other, startWallMs: 299 }]).length).toBe(1);
  });

  test('a still-running incarnation\'s open interval ends now', () => {
    const dir = tempDir();
    const file = join(dir, 'writer.log');
    writeFileSync(file, start(400) + line('writable', 500));
    expect(mergeWriterLogs([{ node: 'n1', file, incarnations: [inc(0, null)] }], 1234)).toEqual([{ node: 'n1', device: 'md0', startWallMs: 500, endWallMs: 1234 }]);
  });

  test('a missing log, an empty one, or an incarnation that left no start record throws instead of passing with no data', () => {
    const dir = tempDir();
    const missing = join(dir, 'missing.log');
    expect(() => mergeWriterLogs([{ node: 'n1', file: missing, incarnations: [inc(0, null)] }], 1)).toThrow(/writer log of n1 is missing/);
    expect(() => readWriterEvents(missing)).toThrow(/is missing/);
    expect(() => new WriterWatch(new Map([['n1', missing]])).mark()).toThrow(/is missing/);
    const empty = join(dir, 'empty.log');
    writeFileSync(empty, '');
    expect(() => mergeWriterLogs([{ node: 'n1', file: empty, incarnations: [inc(0, null)] }], 1)).toThrow(/empty or has no start record/);
    expect(() => readWriterEvents(empty)).toThrow(/empty or has no start record/);
    const one = join(dir, 'one.log');
    const firstRun = start(1) + line('writable', 2);
    writeFileSync(one, firstRun);
    // A second incarnation was spawned (offset at the end) but its daemon never wrote.
    expect(() => mergeWriterLogs([{ node: 'n1', file: one, incarnations: [inc(0, 5), inc(firstRun.length, null)] }], 10)).toThrow(/incarnation 1 .* no start record/);
    expect(() => mergeWriterLogs([], 1)).toThrow(/no node ran/);
    expect(() => mergeWriterLogs([{ node: 'n9', file: missing, incarnations: [] }], 1)).toThrow(/no node ran/);
  });
});
