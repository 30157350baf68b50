// Watching the nodes' writer logs for the moment an array becomes writable somewhere: the
// precise end of a failover (the daemon logs the wall time just before it switches the array
// read-write). Owns: per-file read offsets. Invariants: only bytes appended after mark() are
// looked at, so events of earlier rounds are never mistaken for this one; mark() throws if a
// watched node's log is missing or has no start record (its daemon runs, so it wrote one).
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { INTEG_MAX_REPLY_BYTES } from '../../lib/limits.js';
import { sleep } from './wait.js';
import type { WriterEvent } from './writer-events.js';
import { readRanWriterLog } from './writer-intervals.js';

export class WriterWatch {
  private readonly offsets = new Map<string, number>();

  constructor(private readonly files: ReadonlyMap<string, string>) {}

  /** Remembers the current end of every log. */
  mark(): void {
    for (const [node, file] of this.files) this.offsets.set(node, readRanWriterLog(node, file).length);
  }

  /** Events appended since mark(), per node. */
  newEvents(): { node: string; ev: WriterEvent }[] {
    const out: { node: string; ev: WriterEvent }[] = [];
    for (const [node, file] of this.files) {
      if (!existsSync(file)) throw new Error(`writer log of ${node} vanished (${file})`);
      const from = this.offsets.get(node) ?? 0;
      const size = statSync(file).size;
      if (size <= from) continue;
      const len = Math.min(size - from, INTEG_MAX_REPLY_BYTES);
      const buf = Buffer.alloc(len);
      const fd = openSync(file, 'r');
      try { readSync(fd, buf, 0, len, from); } finally { closeSync(fd); }
      for (const line of buf.toString('utf8').split('\n')) {
        try {
          const r = JSON.parse(line) as WriterEvent;
          if ((r.event === 'writable' || r.event === 'read-only') && typeof r.wallMs === 'number') out.push({ node, ev: r });
        } catch { /* partial or torn line */ }
      }
    }
    return out;
  }

  /** Polls every `everyMs` until an event matches; returns it, or throws after timeoutMs. */
  async waitFor(match: (node: string, ev: WriterEvent) => boolean, timeoutMs: number, everyMs = 2): Promise<{ node: string; ev: WriterEvent }> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const hit = this.newEvents().find((x) => match(x.node, x.ev));
      if (hit) return hit;
      if (performance.now() > deadline) throw new Error(`no matching writer-log event within ${timeoutMs} ms`);
      await sleep(everyMs);
    }
  }
}
