// The fuzz engine behind `npm run fuzz` and the unit lane's short fuzz runs
// (test/unit/fuzz-surfaces.test.ts). Owns: the seeded PRNG, the byte mutator, the corpus files
// (test/fuzz/corpus/<surface>/), the input loop with its hang bound, and the per-surface result.
// Invariants:
// - Every input is bytes (a surface decodes them into its own shape), so every corpus entry and
//   every saved crash replays exactly with `npm run fuzz -- --replay FILE`.
// - A surface's run() resolves for an accepted input and for the surface's documented refusal;
//   anything it throws is a crash (a surface turns "wrong answer shape" into a throw itself).
// - A hang is one input whose run() took longer than the surface's hangBoundMs (plus
//   hangBoundPerKiBMs per KiB of input, where the surface's work is linear in it): async surfaces
//   are raced against the bound in wall time; sync ones are measured in this process's CPU time
//   (load on the machine does not count), and the child process watchdog in main.ts catches one
//   that never returns.
// - Same seed, same corpus, same surface state: same inputs (no Math.random, no clock in
//   generation).
// Not coverage-guided: @jazzer.js/core 4.0.0 installs from npm, but its prebuilt libFuzzer
// addon needs glibc 2.38 (Debian 12 has 2.36: ERR_DLOPEN_FAILED) and the npm package ships no
// sources to build it from. Structure-aware fast-check generators plus byte mutation of the
// corpus stand in.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';

/** The repository root, from the source file (vitest) or its compiled copy under dist/. */
const ROOT = fileURLToPath(new URL(import.meta.url.includes('/dist/test/') ? '../../../' : '../../', import.meta.url));
export const CORPUS_DIR = join(ROOT, 'test/fuzz/corpus/');
/** Where crashing inputs are written (gitignored). */
export const CRASH_DIR = join(ROOT, 'test/fuzz/crashes/');
/** Inputs drawn from one fast-check sample call (a batch keeps fc's set-up cost small). */
const STRUCTURED_BATCH = 256;
/** Longest input the mutator produces: larger than every surface's own size limit matters little. */
const MAX_MUTATED_BYTES = 256 * 1024;
/** Distinct crash kinds (message + first frames) reported and saved per run; the counts are exact. */
const MAX_CRASH_EXAMPLES = 20;

/** xorshift32: small, seeded, fast; quality is ample for choosing mutations. */
export class Rng {
  private s: number;
  constructor(seed: number) { this.s = (seed >>> 0) || 0x9e3779b9; }
  u32(): number {
    let x = this.s;
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    this.s = x;
    return x;
  }
  below(n: number): number { return n <= 1 ? 0 : this.u32() % n; }
  chance(p: number): boolean { return this.u32() / 0x1_0000_0000 < p; }
  pick<T>(xs: readonly T[]): T { return xs[this.below(xs.length)]!; }
}

/** What a surface's setup returns: a live target (a server, a node) and how to feed it. */
export interface Target {
  /** A structure-aware input (valid or nearly valid for the surface), as bytes. */
  structured: fc.Arbitrary<Uint8Array>;
  /** Runs one input. Resolves on acceptance or the documented refusal; throws on anything else. */
  run(input: Uint8Array): Promise<void> | void;
  /** Releases servers, sockets and temp dirs. */
  close(): Promise<void>;
}

/**
 * Thrown by a surface that bounds its own wait (a request whose documented wait is its
 * timeoutMs): counted as a hang, not a crash.
 */
export class Hang extends Error {
  override name = 'Hang';
}

export interface Surface {
  name: string;
  /** One line: what is fed and what counts as the documented refusal. */
  description: string;
  /** One input may take this long before it counts as a hang... */
  hangBoundMs: number;
  /** ...plus this much per KiB of input, for a surface whose work is linear in its input. */
  hangBoundPerKiBMs?: number;
  /** hangScale multiplies every hang bound the surface enforces itself (see RunOptions). */
  setup(hangScale: number): Promise<Target>;
}

export interface RunResult {
  surface: string;
  inputs: number;
  crashes: number;
  hangs: number;
  peakRssMiB: number;
  wallMs: number;
  examples: string[];
}

const INTERESTING_U8 = [0, 1, 0x7f, 0x80, 0xff, 0x0a, 0x20, 0x22, 0x2c, 0x3a, 0x3d, 0x5b, 0x5d, 0x7b, 0x7d, 0x2d, 0x30, 0x39];
const INTERESTING_U32 = [0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0xffff, 0x10000, 4096, 4097, 65535];

/** One random mutation (or a few stacked) of `input`; `other` is a second corpus entry to splice. */
export function mutate(rng: Rng, input: Uint8Array, other: Uint8Array): Uint8Array {
  let b = Buffer.from(input);
  const rounds = 1 + rng.below(rng.chance(0.2) ? 16 : 4);
  for (let r = 0; r < rounds; r++) {
    const at = b.length === 0 ? 0 : rng.below(b.length);
    switch (rng.below(10)) {
      case 0: if (b.length > 0) b[at] = b[at]! ^ (1 << rng.below(8)); break;
      case 1: if (b.length > 0) b[at] = rng.pick(INTERESTING_U8); break;
      case 2: if (b.length > 0) b[at] = rng.below(256); break;
      case 3: { // delete a run
        const n = 1 + rng.below(Math.min(64, b.length + 1));
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + n)]);
        break;
      }
      case 4: { // insert random bytes
        const ins = Buffer.alloc(1 + rng.below(16));
        for (let i = 0; i < ins.length; i++) ins[i] = rng.chance(0.5) ? rng.pick(INTERESTING_U8) : rng.below(256);
        b = Buffer.concat([b.subarray(0, at), ins, b.subarray(at)]);
        break;
      }
      case 5: { // duplicate a chunk (repetition grows lists and nesting)
        const n = 1 + rng.below(Math.min(256, b.length + 1));
        const chunk = b.subarray(at, at + n);
        const times = 1 + rng.below(rng.chance(0.1) ? 200 : 4);
        b = Buffer.concat([b.subarray(0, at), ...Array<Buffer>(times).fill(chunk), b.subarray(at)]);
        break;
      }
      case 6: { // splice with another input
        const cut = other.length === 0 ? 0 : rng.below(other.length);
        b = Buffer.concat([b.subarray(0, at), Buffer.from(other.subarray(cut))]);
        break;
      }
      case 7: // 32-bit boundary value, either byte order
        if (b.length >= 4) {
          const off = rng.below(b.length - 3);
          const v = rng.pick(INTERESTING_U32);
          if (rng.chance(0.5)) b.writeUInt32BE(v, off); else b.writeUInt32LE(v, off);
        }
        break;
      case 8: // truncate
        b = b.subarray(0, at);
        break;
      default: // ASCII digit runs (numbers in text formats)
        b = Buffer.concat([b.subarray(0, at), Buffer.from(String(rng.pick([0, 1, -1, 2 ** 31, 2 ** 53, 2 ** 64, 1e308, 0.5]))), b.subarray(at)]);
    }
    if (b.length > MAX_MUTATED_BYTES) b = b.subarray(0, MAX_MUTATED_BYTES);
  }
  return b;
}

export function loadCorpus(surface: string): Uint8Array[] {
  const dir = join(CORPUS_DIR, surface);
  if (!existsSync(dir)) return [];
  return readdirSync(dir).sort().map((f) => readFileSync(join(dir, f)));
}

/**
 * Inputs kept for a process that dies inside an input (a daemon's fatal exit, not a throw):
 * the one running and those before it, since a state reached by several inputs may be the cause.
 */
const DYING_INPUTS_KEPT = 64;

/** Writes the last inputs, oldest first, when the process exits abnormally; returns the remover. */
function saveInputsOnDeath(surface: string, last: Uint8Array[]): () => void {
  // Installed only while inputs run: any exit then is a death inside an input or the close
  // (an unsettled await ends the process with status 13 while 'exit' still reports 0).
  const onExit = (code: number): void => {
    if (last.length === 0) return;
    const dir = join(CRASH_DIR, `${surface}-died-${process.pid}`);
    mkdirSync(dir, { recursive: true });
    last.forEach((input, i) => writeFileSync(join(dir, String(i).padStart(3, '0')), input));
    process.stderr.write(`fuzz: the process is exiting (status ${code}, 13 if an await never settled) inside an input or the surface's close: the last ${last.length} inputs saved to ${dir}\n`);
  };
  process.on('exit', onExit);
  return () => process.off('exit', onExit);
}

function saveCrash(surface: string, input: Uint8Array): string {
  const dir = join(CRASH_DIR, surface);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, createHash('sha1').update(input).digest('hex').slice(0, 16));
  writeFileSync(file, input);
  return file;
}

export interface RunOptions {
  runs: number;
  seed: number;
  /** Replay the corpus first (counted in inputs). */
  replayCorpus: boolean;
  /** Write crashing inputs under test/fuzz/crashes/ (off in the unit lane). */
  saveCrashes: boolean;
  /**
   * Multiplies every hang bound (default 1). The unit lane uses a large factor: there a "hang"
   * means "does not terminate", never "was slow on a loaded machine" (no timed assertions).
   */
  hangScale?: number;
  /** Stop generating after this much wall time (the inputs run are reported); no limit if unset. */
  maxMs?: number;
  /** Called every so often with the inputs run so far (main.ts's watchdog heartbeat). */
  progress?: (inputs: number) => void;
}

const HANG = Symbol('hang');

/** This process's CPU time (user + system) in ms. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

async function runOne(target: Target, input: Uint8Array, boundMs: number): Promise<{ hang: boolean; error: unknown }> {
  const cpu0 = cpuMs();
  let timer: NodeJS.Timeout | undefined;
  try {
    const out = target.run(input);
    if (out instanceof Promise) {
      // Async surfaces wait on sockets and a daemon's timers: wall time, with bounds far above a
      // loaded machine's stalls (control 700 s, status its long-poll + 1 s).
      const raced = await Promise.race([out, new Promise<typeof HANG>((resolve) => { timer = setTimeout(() => resolve(HANG), boundMs); })]);
      return { hang: raced === HANG, error: null };
    }
    // A synchronous input's work is this process's CPU time: other jobs on the machine cannot
    // stretch it into a "hang" (a wall-clock bound did, at load 15).
    return { hang: cpuMs() - cpu0 > boundMs, error: null };
  } catch (e) {
    if (e instanceof Hang) return { hang: true, error: e };
    return { hang: false, error: e ?? new Error('thrown undefined') };
  } finally {
    if (timer) clearTimeout(timer);
  }
}

/** Runs `opts.runs` generated inputs (after the corpus, when asked) against one surface. */
export async function fuzzSurface(surface: Surface, opts: RunOptions): Promise<RunResult> {
  const t0 = performance.now();
  const rng = new Rng(opts.seed);
  const corpus = loadCorpus(surface.name);
  const hangScale = opts.hangScale ?? 1;
  const target = await surface.setup(hangScale);
  const result: RunResult = { surface: surface.name, inputs: 0, crashes: 0, hangs: 0, peakRssMiB: 0, wallMs: 0, examples: [] };
  const recent: Uint8Array[] = [];
  /** Crash kinds already reported: one example (and one saved input) per kind. */
  const seen = new Set<string>();
  let batch: Uint8Array[] = [];
  // An exception nobody awaited (a server's request handler that rejects) would end the
  // daemon: it is a crash of the input that was running when it surfaced.
  let escaped: unknown = null;
  const onEscape = (e: unknown): void => { escaped ??= e ?? new Error('unhandled undefined'); };
  process.on('unhandledRejection', onEscape);
  process.on('uncaughtException', onEscape);
  const lastInputs: Uint8Array[] = [];
  const stopSavingOnDeath = opts.saveCrashes ? saveInputsOnDeath(surface.name, lastInputs) : () => {};
  const feed = async (input: Uint8Array): Promise<void> => {
    if (lastInputs.push(input) > DYING_INPUTS_KEPT) lastInputs.shift();
    const boundMs = (surface.hangBoundMs + (surface.hangBoundPerKiBMs ?? 0) * (input.length / 1024)) * hangScale;
    const one = await runOne(target, input, boundMs);
    const hang = one.hang;
    const error = one.error ?? escaped;
    escaped = null;
    result.inputs++;
    if (hang) result.hangs++;
    else if (error !== null) result.crashes++;
    const signature = hang ? `hang ${Math.min(result.hangs, 5)}` : error instanceof Error ? (error.stack ?? error.message).split('\n').slice(0, 3).join('|').replace(/\d+/g, 'N') : String(error);
    if ((hang || error !== null) && result.examples.length < MAX_CRASH_EXAMPLES && !seen.has(signature)) {
      seen.add(signature);
      const where = opts.saveCrashes ? ` (input saved to ${saveCrash(surface.name, input)})` : ` (input ${Buffer.from(input.subarray(0, 200)).toString('base64')})`;
      const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
      const what = hang ? `hang: ${error instanceof Hang ? error.message : `over ${Math.round(boundMs)} ms`}` : `crash: ${message}`;
      result.examples.push(what.split('\n').slice(0, 6).join('\n') + where);
    }
    if (result.inputs % 1000 === 0) opts.progress?.(result.inputs);
  };
  try {
    if (opts.replayCorpus) for (const c of corpus) await feed(c);
    for (let i = 0; i < opts.runs; i++) {
      if (opts.maxMs !== undefined && i % 100 === 0 && performance.now() - t0 > opts.maxMs) break;
      let input: Uint8Array;
      const pool = corpus.length > 0 && rng.chance(0.5) ? corpus : recent;
      if (pool.length > 0 && rng.chance(0.6)) {
        input = mutate(rng, rng.pick(pool), rng.pick(pool));
      } else {
        if (batch.length === 0) batch = fc.sample(target.structured, { seed: rng.u32() | 0, numRuns: STRUCTURED_BATCH });
        input = batch.pop()!;
        if (recent.length < 64) recent.push(input); else recent[rng.below(64)] = input;
      }
      await feed(input);
    }
  } finally {
    await target.close();
    stopSavingOnDeath();
    process.off('unhandledRejection', onEscape);
    process.off('uncaughtException', onEscape);
  }
  result.wallMs = Math.round(performance.now() - t0);
  result.peakRssMiB = Math.round(process.resourceUsage().maxRSS / 1024);
  return result;
}
