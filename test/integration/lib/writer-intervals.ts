// Merging the nodes' writer logs (<data-dir>/writer.log) into one timeline and checking the
// cluster's central safety property: no two nodes ever had the same array writable at once.
// Owns: cutting each node's log into incarnations (a kill -9 leaves an interval open; it ends
// at the observed death of that process) and the overlap check.
// Invariants: intervals are only ever extended, never shortened (an open one ends at the
// observed exit, which is at or after the real death), so the check errs towards reporting
// an overlap, never towards hiding one. A log that is missing, or an incarnation whose part of
// it lacks the daemon's "start" record, throws: "no overlap" is never concluded from no data.
import { existsSync, readFileSync } from 'node:fs';
import { parseWriterLog } from '../../../daemon/src/node/writer-log.js';
import type { Incarnation } from './daemon-proc.js';

export interface WriterInterval {
  node: string;
  device: string;
  startWallMs: number;
  endWallMs: number;
}

export interface NodeWriterLog {
  node: string;
  file: string;
  incarnations: readonly Incarnation[];
  /** Wall times at which a fence confirmed this node's daemon dead (logged after the death). */
  confirmedDeathsWallMs?: readonly number[];
}

/** True if `text` holds a daemon's "start" record (every run of a daemon appends one first). */
export function hasStartRecord(text: string): boolean {
  return text.split('\n').some((line) => {
    try { return (JSON.parse(line) as { event?: unknown }).event === 'start'; } catch { return false; }
  });
}

/** The writer log of a node that ran; throws if it is missing or holds no start record. */
export function readRanWriterLog(node: string, file: string): Buffer {
  if (!existsSync(file)) throw new Error(`writer log of ${node} is missing (${file}): the node ran, so its daemon must have written one`);
  const bytes = readFileSync(file);
  if (!hasStartRecord(bytes.toString('utf8'))) throw new Error(`writer log of ${node} (${file}) is empty or has no start record`);
  return bytes;
}

/** Every interval of every node, per incarnation, sorted by start. Throws on a missing or empty log (see above). */
export function mergeWriterLogs(logs: readonly NodeWriterLog[], nowWallMs: number): WriterInterval[] {
  const out: WriterInterval[] = [];
  const ran = logs.filter((l) => l.incarnations.length > 0); // a node never started has no log
  if (ran.length === 0) throw new Error('no writer logs to merge: no node ran');
  for (const l of ran) {
    const bytes = readRanWriterLog(l.node, l.file);
    l.incarnations.forEach((inc, i) => {
      const end = i + 1 < l.incarnations.length ? l.incarnations[i + 1].writerLogOffset : bytes.length;
      const text = bytes.subarray(inc.writerLogOffset, end).toString('utf8');
      if (!hasStartRecord(text)) throw new Error(`writer log of ${l.node}: incarnation ${i} (pid ${inc.pid}) left no start record at offset ${inc.writerLogOffset}`);
      const observedEnd = inc.endWallMs ?? nowWallMs;
      const fenced = (l.confirmedDeathsWallMs ?? []).filter((t) => t >= inc.startWallMs && t <= observedEnd);
      out.push(...parseWriterLog(text, l.node, fenced.length > 0 ? Math.min(...fenced) : observedEnd));
    });
  }
  return out.sort((a, b) => a.startWallMs - b.startWallMs || a.endWallMs - b.endWallMs);
}

export interface Overlap {
  device: string;
  a: WriterInterval;
  b: WriterInterval;
  overlapMs: number;
}

/** Pairs of intervals of one device on different nodes that intersect (touching ends are fine). */
export function findOverlaps(intervals: readonly WriterInterval[]): Overlap[] {
  const byDevice = new Map<string, WriterInterval[]>();
  for (const i of intervals) {
    const list = byDevice.get(i.device) ?? [];
    list.push(i);
    byDevice.set(i.device, list);
  }
  const overlaps: Overlap[] = [];
  for (const [device, list] of byDevice) {
    list.sort((x, y) => x.startWallMs - y.startWallMs);
    for (let i = 0; i < list.length; i++) {
      const a = list[i];
      for (let j = i + 1; j < list.length && list[j].startWallMs < a.endWallMs; j++) {
        const b = list[j];
        if (b.node !== a.node) overlaps.push({ device, a, b, overlapMs: Math.min(a.endWallMs, b.endWallMs) - b.startWallMs });
      }
    }
  }
  return overlaps;
}

export function describeOverlaps(overlaps: readonly Overlap[]): string {
  return overlaps.map((o) => `${o.device}: ${o.a.node} [${o.a.startWallMs}, ${o.a.endWallMs}] and ${o.b.node} [${o.b.startWallMs}, ${o.b.endWallMs}] overlap by ${o.overlapMs} ms`).join('\n');
}
