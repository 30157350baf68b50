// The writer log: when each array was writable on this node, with monotonic and wall-clock
// times. Owns: the evidence that writers never overlap. Tests merge the nodes' logs and assert
// that no two intervals overlap; /api/v1/status exposes the recent intervals.
// Invariants: an interval opens BEFORE the call that makes an array writable and closes AFTER
// the call that makes it read-only returned, so the logged interval always covers the real one;
// the file is appended synchronously (Files.appendSync, injected) so a kill -9 loses nothing already logged; the in-memory
// list holds at most WRITER_LOG_MAX_INTERVALS intervals.
import { WRITER_LOG_MAX_INTERVALS } from '../common/limits.js';
import { systemFiles, type Clock, type Files } from './deps.js';

export interface WriterInterval {
  device: string;
  term: number;
  startWallMs: number;
  startMonoMs: number;
  /** null while the array is still writable here. */
  endWallMs: number | null;
  endMonoMs: number | null;
  reason: string;
}

export class WriterLog {
  /** Invariant: at most one open interval per device; length <= WRITER_LOG_MAX_INTERVALS. */
  private readonly intervals: WriterInterval[] = [];
  /** Bumped whenever an interval opens or closes: the set of open devices may have changed. */
  generation = 0;
  /** Appends a "start" record: a node that ran always has a non-empty log (tests refuse a missing one). */
  constructor(private readonly clock: Clock, private readonly file: string | null, private readonly files: Files = systemFiles) {
    this.append({ event: 'start', wallMs: clock.wallMs(), monoMs: clock.monoMs() });
  }

  private append(rec: Record<string, unknown>): void {
    if (this.file) this.files.appendSync(this.file, JSON.stringify(rec) + '\n');
  }
  isOpen(device: string): boolean {
    return this.intervals.some((i) => i.device === device && i.endWallMs === null);
  }
  open(device: string, term: number, reason: string): void {
    if (this.isOpen(device)) return;
    this.generation++;
    const i: WriterInterval = { device, term, startWallMs: this.clock.wallMs(), startMonoMs: this.clock.monoMs(), endWallMs: null, endMonoMs: null, reason };
    this.intervals.push(i);
    if (this.intervals.length > WRITER_LOG_MAX_INTERVALS) {
      const closed = this.intervals.findIndex((x) => x.endWallMs !== null);
      this.intervals.splice(closed >= 0 ? closed : 0, 1);
    }
    this.append({ event: 'writable', device, term, wallMs: i.startWallMs, monoMs: i.startMonoMs, reason });
  }
  close(device: string, reason: string): void {
    const i = this.intervals.find((x) => x.device === device && x.endWallMs === null);
    if (!i) return;
    this.generation++;
    i.endWallMs = this.clock.wallMs();
    i.endMonoMs = this.clock.monoMs();
    this.append({ event: 'read-only', device, term: i.term, wallMs: i.endWallMs, monoMs: i.endMonoMs, reason });
  }
  openDevices(): string[] {
    return this.intervals.filter((i) => i.endWallMs === null).map((i) => i.device);
  }
  recent(): readonly WriterInterval[] {
    return this.intervals;
  }
}

/** Reads a writer log file into intervals (used by tests and tools). Open intervals end at `endWallMs`. */
export function parseWriterLog(text: string, node: string, endWallMs: number): { node: string; device: string; startWallMs: number; endWallMs: number }[] {
  const out: { node: string; device: string; startWallMs: number; endWallMs: number }[] = [];
  const open = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let r: { event?: string; device?: string; wallMs?: number };
    try { r = JSON.parse(line); } catch { continue; } // a torn last line after kill -9
    if (typeof r.device !== 'string' || typeof r.wallMs !== 'number') continue;
    if (r.event === 'writable' && !open.has(r.device)) open.set(r.device, r.wallMs);
    if (r.event === 'read-only' && open.has(r.device)) {
      out.push({ node, device: r.device, startWallMs: open.get(r.device)!, endWallMs: r.wallMs });
      open.delete(r.device);
    }
  }
  for (const [device, start] of open) out.push({ node, device, startWallMs: start, endWallMs });
  return out;
}
