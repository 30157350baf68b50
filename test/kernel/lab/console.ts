// Kernel lab: the guest's serial console as the host sees it. Owns: keeping a bounded tail
// of the console, splitting it into lines and recognising the LAB- marker lines /init and
// guest/lib.sh print (job start/end, init failure, marks), and waking waiters on them.
// Invariants: memory stays within LAB_MAX_CONSOLE_BYTES + LAB_MAX_CONSOLE_LINE_BYTES; a line
// longer than LAB_MAX_CONSOLE_LINE_BYTES is cut (never buffered without bound); markers are
// only recognised at the start of a line (after optional CRs).
import { LAB_MAX_CONSOLE_BYTES, LAB_MAX_CONSOLE_LINE_BYTES, LAB_MAX_MARKS } from '../../lib/limits.js';

export interface ConsoleMarkers {
  jobStartUptimeSec: number | null;
  jobEndExitCode: number | null;
  initFailure: string | null;
  marks: string[];
}

type Waiter = { test: (line: string) => boolean; resolve: (line: string) => void; reject: (err: Error) => void };

export class ConsoleLog {
  /** Invariant: chunks' total length <= LAB_MAX_CONSOLE_BYTES after every append. */
  private chunks: string[] = [];
  private keptBytes = 0;
  private partialLine = '';
  private waiters: Waiter[] = [];
  readonly markers: ConsoleMarkers = { jobStartUptimeSec: null, jobEndExitCode: null, initFailure: null, marks: [] };
  /** Called once per marker line, e.g. to time the job start. */
  onJobStart: (() => void) | null = null;

  append(text: string): void {
    this.keep(text);
    const parts = (this.partialLine + text).split('\n');
    this.partialLine = parts.pop() ?? '';
    if (this.partialLine.length > LAB_MAX_CONSOLE_LINE_BYTES) {
      parts.push(this.partialLine.slice(0, LAB_MAX_CONSOLE_LINE_BYTES));
      this.partialLine = '';
    }
    for (const line of parts) this.scanLine(line.replace(/\r+$/, '').replace(/^\r+/, ''));
  }

  text(): string {
    return this.chunks.join('');
  }

  /** Resolves with the first later console line matching `re`; bounded by timeoutMs. */
  waitForLine(re: RegExp, timeoutMs: number): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`kernel lab: no console line matching ${re} within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter: Waiter = {
        test: (line) => re.test(line),
        resolve: (line) => { clearTimeout(timer); resolve(line); },
        reject: (err) => { clearTimeout(timer); reject(err); },
      };
      this.waiters.push(waiter);
    });
  }

  /** Rejects every pending waiter (the guest is gone). */
  closeWaiters(why: string): void {
    const pending = this.waiters;
    this.waiters = [];
    for (const w of pending) w.reject(new Error(`kernel lab: guest ended (${why}) before the awaited console line`));
  }

  private keep(text: string): void {
    this.chunks.push(text);
    this.keptBytes += text.length;
    while (this.keptBytes > LAB_MAX_CONSOLE_BYTES && this.chunks.length > 1) {
      this.keptBytes -= this.chunks.shift()!.length;
    }
    if (this.keptBytes > LAB_MAX_CONSOLE_BYTES) {
      const only = this.chunks[0]!;
      this.chunks[0] = only.slice(only.length - LAB_MAX_CONSOLE_BYTES);
      this.keptBytes = this.chunks[0].length;
    }
  }

  private scanLine(line: string): void {
    let m: RegExpExecArray | null;
    if ((m = /^LAB-JOB-START uptime=([0-9.]+)/.exec(line)) !== null) {
      this.markers.jobStartUptimeSec = Number(m[1]);
      this.onJobStart?.();
    } else if ((m = /^LAB-JOB-END rc=([0-9]+)/.exec(line)) !== null) {
      this.markers.jobEndExitCode = Number(m[1]);
    } else if ((m = /^LAB-INIT-FAILED: (.*)$/.exec(line)) !== null) {
      this.markers.initFailure = m[1]!;
    } else if ((m = /^LAB-MARK (.*)$/.exec(line)) !== null) {
      if (this.markers.marks.length >= LAB_MAX_MARKS) this.markers.marks.shift();
      this.markers.marks.push(m[1]!);
    }
    if (this.waiters.length === 0) return;
    const still: Waiter[] = [];
    for (const w of this.waiters) {
      if (w.test(line)) w.resolve(line);
      else still.push(w);
    }
    this.waiters = still;
  }
}
