// `npm run fuzz`: fuzzes every outside-input surface (test/fuzz/surfaces/), one child process
// per surface, one surface at a time, and prints per surface the inputs run, crashes, hangs,
// peak RSS and wall time. Exit status 1 on any crash, hang or child that died.
// Usage: npm run fuzz -- [--runs N] [--seed S] [--surface peer,control,...] [--max-seconds T]
//        (--max-seconds: stop each surface after T s of wall time and report what ran)
//        npm run fuzz -- --surface S --replay FILE|DIR    (one saved input, or a directory of them
//        in name order, in this process)
// Owns: the parent/child protocol (child stdout lines "progress <n>" and "result <json>") and
// the watchdog: a child silent for longer than its surface's hang bound plus WATCHDOG_SLACK_MS
// (one input that never returns, even a synchronous one) is killed and counted as a hang.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { fuzzSurface, type RunResult } from './engine.js';
import { SURFACES, surfaceNamed } from './surfaces/index.js';

const DEFAULT_RUNS = 100_000;
const WATCHDOG_SLACK_MS = 60_000;
/** Child progress lines are at most this often. */
const PROGRESS_EVERY_MS = 2000;

const { values } = parseArgs({
  options: {
    runs: { type: 'string' }, seed: { type: 'string' }, 'max-seconds': { type: 'string' }, surface: { type: 'string' }, replay: { type: 'string' }, child: { type: 'boolean' },
  },
});
const runs = values.runs === undefined ? DEFAULT_RUNS : Number(values.runs);
const seed = values.seed === undefined ? 1 : Number(values.seed);
const maxSeconds = values['max-seconds'] === undefined ? undefined : Number(values['max-seconds']);
if (!Number.isSafeInteger(runs) || runs < 0 || !Number.isSafeInteger(seed) || (maxSeconds !== undefined && !(maxSeconds > 0))) {
  process.stderr.write('fuzz: --runs and --seed take integers, --max-seconds a positive number\n');
  process.exit(2);
}

async function child(name: string): Promise<void> {
  let last = 0;
  const result = await fuzzSurface(surfaceNamed(name), {
    runs, seed, replayCorpus: true, saveCrashes: true, maxMs: maxSeconds === undefined ? undefined : maxSeconds * 1000,
    progress: (n) => {
      const now = Date.now();
      if (now - last >= PROGRESS_EVERY_MS) { last = now; process.stdout.write(`progress ${n}\n`); }
    },
  });
  process.stdout.write(`result ${JSON.stringify(result)}\n`);
  process.exit(0);
}

/** One saved input, or a directory of them (a dying process's last inputs) replayed in name order on one target. */
async function replay(name: string, path: string): Promise<void> {
  const surface = surfaceNamed(name);
  const target = await surface.setup(1);
  try {
    const files = statSync(path).isDirectory() ? readdirSync(path).sort().map((f) => join(path, f)) : [path];
    for (const file of files) {
      const input = readFileSync(file);
      const t0 = performance.now();
      await target.run(input);
      const boundMs = surface.hangBoundMs + (surface.hangBoundPerKiBMs ?? 0) * (input.length / 1024);
      process.stdout.write(`fuzz: ${file}: no crash on ${name}; ${Math.round(performance.now() - t0)} ms (hang bound ${Math.round(boundMs)} ms)\n`);
    }
  } finally {
    await target.close();
  }
}

function runChild(name: string): Promise<RunResult> {
  const surface = surfaceNamed(name);
  const t0 = Date.now();
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [fileURLToPath(import.meta.url), '--child', '--surface', name, '--runs', String(runs), '--seed', String(seed), ...(maxSeconds === undefined ? [] : ['--max-seconds', String(maxSeconds)])], { stdio: ['ignore', 'pipe', 'inherit'] });
    let result: RunResult | null = null;
    let progress = 0;
    let hung = false;
    let watchdog: NodeJS.Timeout;
    const arm = (): void => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => { hung = true; p.kill('SIGKILL'); }, surface.hangBoundMs + WATCHDOG_SLACK_MS);
    };
    arm();
    let buf = '';
    p.stdout.setEncoding('utf8');
    p.stdout.on('data', (chunk: string) => {
      buf += chunk;
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        arm();
        if (line.startsWith('progress ')) progress = Number(line.slice(9));
        else if (line.startsWith('result ')) result = JSON.parse(line.slice(7)) as RunResult;
        else process.stdout.write(`[${name}] ${line}\n`);
      }
    });
    p.on('exit', (code, signal) => {
      clearTimeout(watchdog);
      if (result !== null && code === 0) { resolve(result); return; }
      const why = hung ? `no progress for ${surface.hangBoundMs + WATCHDOG_SLACK_MS} ms: killed` : `the fuzz process died (exit ${code}, signal ${signal})`;
      resolve({ surface: name, inputs: progress, crashes: hung ? 0 : 1, hangs: hung ? 1 : 0, peakRssMiB: NaN, wallMs: Date.now() - t0, examples: [why] });
    });
  });
}

async function parent(): Promise<void> {
  const names = values.surface === undefined ? SURFACES.map((s) => s.name) : values.surface.split(',');
  for (const n of names) surfaceNamed(n);
  process.stdout.write(`fuzz: ${runs} generated inputs per surface after its corpus, seed ${seed}${maxSeconds === undefined ? '' : `, at most ${maxSeconds} s each`}\n`);
  const results: RunResult[] = [];
  for (const n of names) {
    process.stdout.write(`fuzz: ${n}: ${surfaceNamed(n).description}\n`);
    const r = await runChild(n);
    results.push(r);
    process.stdout.write(`fuzz: ${n}: ${r.inputs} inputs, ${r.crashes} crashes, ${r.hangs} hangs, peak RSS ${r.peakRssMiB} MiB, ${(r.wallMs / 1000).toFixed(1)} s\n`);
    for (const e of r.examples) process.stdout.write(`  ${e.replace(/\n/g, '\n  ')}\n`);
  }
  process.stdout.write('\nsurface   inputs      crashes  hangs  peak-RSS-MiB  wall-s\n');
  for (const r of results) {
    process.stdout.write(`${r.surface.padEnd(9)} ${String(r.inputs).padEnd(11)} ${String(r.crashes).padEnd(8)} ${String(r.hangs).padEnd(6)} ${String(r.peakRssMiB).padEnd(13)} ${(r.wallMs / 1000).toFixed(1)}\n`);
  }
  const bad = results.filter((r) => r.crashes > 0 || r.hangs > 0);
  process.stdout.write(bad.length === 0 ? 'fuzz: 0 crashes, 0 hangs\n' : `fuzz: FAILED on ${bad.map((r) => r.surface).join(', ')}\n`);
  process.exitCode = bad.length === 0 ? 0 : 1;
}

if (values.child) await child(values.surface!);
else if (values.replay !== undefined) await replay(values.surface ?? '', values.replay);
else await parent();
