// Reading one node's writer.log as raw events (for timing: when an array became writable or
// read-only on that node). Owns: tolerant parsing of the daemon's JSON lines.
// Invariants: a torn or foreign line is skipped, never thrown on (a kill -9 can tear the last
// one); a missing log, or one without the daemon's start record, throws (the node ran).
import { readRanWriterLog } from './writer-intervals.js';

export interface WriterEvent {
  event: 'writable' | 'read-only';
  device: string;
  term: number;
  wallMs: number;
  reason: string;
}

export function readWriterEvents(file: string): WriterEvent[] {
  const out: WriterEvent[] = [];
  for (const line of readRanWriterLog(file, file).toString('utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      const r = JSON.parse(line) as Partial<WriterEvent>;
      if ((r.event === 'writable' || r.event === 'read-only') && typeof r.device === 'string' && typeof r.wallMs === 'number') {
        out.push({ event: r.event, device: r.device, term: Number(r.term), wallMs: r.wallMs, reason: String(r.reason ?? '') });
      }
    } catch { /* torn line */ }
  }
  return out;
}
