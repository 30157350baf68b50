// Reading one node's writer.log as raw events (for timing: when an array became writable or
// read-only on that node). Owns: tolerant parsing of the daemon's JSON lines.
// Invariant: a torn or foreign line is skipped, never thrown on (a kill -9 can tear the last one).
import { existsSync, readFileSync } from 'node:fs';

export interface WriterEvent {
  event: 'writable' | 'read-only';
  device: string;
  term: number;
  wallMs: number;
  reason: string;
}

export function readWriterEvents(file: string): WriterEvent[] {
  if (!existsSync(file)) return [];
  const out: WriterEvent[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
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
