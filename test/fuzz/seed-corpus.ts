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

/** mdadm-style command lines of every mode (README.md and mdadm's manual). */
const MDCTL_LINES: string[][] = [
  ['/dev/md0', '--fail', '/dev/sdb', '--remove', '/dev/sdb', '--add', '/dev/sdd'],
  ['--create', '/dev/md0', '--level=1', '--raid-devices=2', '/dev/sda', '/dev/sdb', '--spare-devices=1', '/dev/sdc'],
  ['-C', '/dev/md1', '-l', '10', '-n', '4', '-p', 'f2', '-c', '64', '--bitmap=internal', '/dev/sda', '/dev/sdb', '/dev/sdc', 'missing'],
  ['--assemble', '/dev/md0', '/dev/sda', '/dev/sdb'], ['--assemble', '--scan'],
  ['--detail', '/dev/md0'], ['--detail', '--scan', '--brief'], ['-D', '--export', '/dev/md0'], ['--examine', '/dev/sda'],
  ['--query', '/dev/md0'], ['--wait', '/dev/md0'], ['--action=check', '/dev/md0'], ['--detail', '--test', '/dev/md0'],
  ['--monitor', '--scan', '--oneshot', '--syslog'], ['--monitor', '--mail=root@localhost', '--delay=60', '/dev/md0'],
  ['--cluster', 'status'], ['--cluster', 'step-down', '--to', 'node2'], ['--cluster', 'add-node', 'node4=10.0.0.4:8401'],
  ['--cluster', 'remove-node', 'node3', '--force'], ['--cluster', 'confirm', '/dev/sdd'],
  ['/dev/md0', '--replace', '/dev/sda', '--with', '/dev/sdc'], ['/dev/md0', '--readonly'], ['/dev/md0', '--stop'],
  ['/dev/md0', '--re-add', '/dev/sdb', '--timeout=30'], ['--version'], ['--help'], ['--manage', '--help'],
];

function fileSeeds(): void {
  put('config', 'shipped-0', readFileSync(join(ROOT, 'etc/mdclusterd.toml')));
  MDCTL_LINES.forEach((l, i) => put('mdctl', `line-${i}`, Buffer.from(l.join('\0'))));
}

async function main(): Promise<void> {
  rmSync(CORPUS_DIR, { recursive: true, force: true });
  kernelSeeds();
  fileSeeds();
  for (const s of SURFACES) {
    const target = await s.setup();
    try {
      fc.sample(target.structured, { seed: 19, numRuns: SAMPLED_PER_SURFACE }).forEach((b, i) => put(s.name, `gen-${i}`, b));
    } finally {
      await target.close();
    }
  }
  process.stdout.write(`seed corpus written to ${CORPUS_DIR}\n`);
}

await main();
