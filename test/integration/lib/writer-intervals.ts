// Merging the nodes' writer logs (<data-dir>/writer.log) into one timeline and checking the
// cluster's central safety property: no two nodes ever had the same array writable at once.
// Owns: cutting each node's log into incarnations (a kill -9 leaves an interval open; it ends
// at the observed death of that process) and the overlap check.
// Invariant: intervals are only ever extended, never shortened (an open one ends at the
// observed exit, which is at or after the real death), so the check errs towards reporting
// an overlap, never towards hiding one.
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

/** Every interval of every node, per incarnation, sorted by start. */
export function mergeWriterLogs(logs: readonly NodeWriterLog[], nowWallMs: number): WriterInterval[] {
  const out: WriterInterval[] = [];
  for (const l of logs) {
    if (!existsSync(l.file)) continue;
    const bytes = readFileSync(l.file);
    l.incarnations.forEach((inc, i) => {
      const end = i + 1 < l.incarnations.length ? l.incarnations[i + 1].writerLogOffset : bytes.length;
      const text = bytes.subarray(inc.writerLogOffset, end).toString('utf8');
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
