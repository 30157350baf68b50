// Writes the seed corpus (test/fuzz/corpus/<surface>/) from real captures and shipped files:
// the kernel samples (MD_SAMPLES_DIR, default /work/shared/kernel-samples), etc/mdclusterd.toml,
// mdadm-style mdctl command lines, and a few samples of each surface's own generator.
// Run once after changing a generator: node dist/test/fuzz/seed-corpus.js. Owns nothing at
// run time: the fuzzer only reads the files. Invariant: file names are stable (<kind>-<n>), so
// re-running rewrites the same files.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { CORPUS_DIR } from './engine.js';
import { KernelReader } from './surfaces/kernel.js';
import { MDCTL_LINES } from './surfaces/mdctl.js';
import { SURFACES } from './surfaces/index.js';

const SAMPLES = process.env.MD_SAMPLES_DIR ?? '/work/shared/kernel-samples';
const SAMPLED_PER_SURFACE = 12;
const ROOT = join(CORPUS_DIR, '..', '..', '..');

function put(surface: string, name: string, bytes: Uint8Array): void {
  const dir = join(CORPUS_DIR, surface);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, name), bytes);
}

function kernelSeeds(): void {
  if (!existsSync(SAMPLES)) { process.stderr.write(`no kernel samples at ${SAMPLES}: kernel seeds from generators only\n`); return; }
  const cases = readdirSync(SAMPLES).filter((c) => existsSync(join(SAMPLES, c, 'mdstat.txt'))).sort();
  const pick = cases.filter((_, i) => i % 6 === 0);
  const read = (c: string, f: string): string | null => (existsSync(join(SAMPLES, c, f)) ? readFileSync(join(SAMPLES, c, f), 'latin1') : null);
  for (const c of pick) {
    const tag = c.slice(0, 2);
    const withReader = (r: number, text: string): Buffer => Buffer.concat([Buffer.from([r]), Buffer.from(text, 'latin1')]);
    const mdstat = read(c, 'mdstat.txt');
    const sysfs = read(c, 'sysfs.txt');
    if (mdstat !== null) { put('kernel', `mdstat-${tag}`, withReader(KernelReader.mdstat, mdstat)); put('kernel', `extract-${tag}`, withReader(KernelReader.extract, mdstat)); }
    const exp = read(c, 'export.txt'); if (exp !== null) put('kernel', `export-${tag}`, withReader(KernelReader.export, exp));
    const ex = read(c, 'examine.txt'); if (ex !== null) put('kernel', `examine-${tag}`, withReader(KernelReader.examine, ex));
    if (sysfs !== null && !sysfs.includes('===')) {
      put('kernel', `sysfs-${tag}`, withReader(KernelReader.sysfs, sysfs));
      put('kernel', `readarray-${tag}`, withReader(KernelReader.readArray, `${sysfs}\n=== mdstat\n${mdstat ?? ''}`));
    }
  }
}

function fileSeeds(): void {
  put('config', 'shipped-0', readFileSync(join(ROOT, 'etc/mdclusterd.toml')));
  MDCTL_LINES.forEach((l, i) => put('mdctl', `line-${i}`, Buffer.from(l.join('\0'))));
}

async function main(): Promise<void> {
  rmSync(CORPUS_DIR, { recursive: true, force: true });
  kernelSeeds();
  fileSeeds();
  for (const s of SURFACES) {
    const target = await s.setup(1);
    try {
      fc.sample(target.structured, { seed: 19, numRuns: SAMPLED_PER_SURFACE }).forEach((b, i) => put(s.name, `gen-${i}`, b));
    } finally {
      await target.close();
    }
  }
  process.stdout.write(`seed corpus written to ${CORPUS_DIR}\n`);
}

await main();
