// The system's mdadm as the metadata writer (create, assemble, and adding a blank component to
// a v1.x array). Owns: argument building from validated specs, running mdadm, and its errors.
// Invariants:
// - mdadm runs through child_process.execFile with an argument array: never a shell. Every value
//   placed in an argument is validated first (array names, absolute member paths, enumerated
//   levels/metadata, bounded integers), and no member argument can start with '-'.
// - ENOENT starting mdadm -> E_MDADM_MISSING; a non-zero exit -> E_MDADM_FAILED with the first
//   stderr line as the message; a run past MDADM_TIMEOUT_MS is killed -> E_MDADM_FAILED
//   {timedOut: true}.
// - stdin is empty: a prompt (mdadm asks before overwriting) reads EOF and mdadm refuses; --run
//   is passed where mdadm would otherwise ask.
// - A run that may leave a child behind (`leavesChild`: mdadm --grow forks a process that
//   follows a reshape needing a backup, holding mdadm's stdout/stderr until the reshape ends)
//   is over when mdadm itself exits: its output goes to files read at its exit, never to pipes
//   the child would keep open (a pipe would hold the answer, and the array's lock, for the
//   whole reshape, and the time bound would then call a running reshape a failure).
import { execFile, spawn } from 'node:child_process';
import { closeSync, fstatSync, mkdtempSync, openSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OpError } from '../../common/errors.js';
import { MDADM_MAX_OUTPUT_BYTES, MDADM_TIMEOUT_MS, MD_KERNEL_MAX_DEVICES_PER_ARRAY } from '../../common/limits.js';
import type { AssembleSpec, CreateSpec, MdLevel } from '../types.js';
import { validateMemberPath } from './members.js';
import { isArrayName, type KernelPaths } from './paths.js';

export interface MdadmResult {
  stdout: string;
  stderr: string;
}

export interface MdadmRunner {
  run(args: readonly string[], opts?: { leavesChild?: boolean }): Promise<MdadmResult>;
}

function firstLine(text: string): string {
  return text.split('\n').map((l) => l.trim()).find((l) => l.length > 0) ?? '';
}

const MDADM_ENV = (): NodeJS.ProcessEnv => ({ ...process.env, MDADM_NO_SYSTEMCTL: '1' });

function failure(args: readonly string[], stdout: string, stderr: string, e: { message: string; code?: unknown; signal?: string | null; killed?: boolean }): OpError {
  const line = firstLine(stderr) || firstLine(stdout) || e.message;
  return new OpError('E_MDADM_FAILED', line, {
    args: [...args], exitCode: typeof e.code === 'number' ? e.code : null, signal: e.signal ?? null,
    timedOut: e.killed === true, stderr: stderr.slice(0, 4096),
  });
}

/** A run whose answer is mdadm's own exit (see the header): output through files, not pipes. */
function runLeavingChild(mdadmPath: string, args: readonly string[]): Promise<MdadmResult> {
  const dir = mkdtempSync(join(tmpdir(), 'mdclusterd-mdadm-'));
  const outFd = openSync(join(dir, 'out'), 'w+');
  const errFd = openSync(join(dir, 'err'), 'w+');
  const read = (fd: number): string => {
    const size = Math.min(fstatSync(fd).size, MDADM_MAX_OUTPUT_BYTES);
    const buf = Buffer.alloc(size);
    readSync(fd, buf, 0, size, 0);
    return buf.toString('utf8');
  };
  return new Promise<MdadmResult>((resolve, reject) => {
    const child = spawn(mdadmPath, [...args], { stdio: ['ignore', outFd, errFd], env: MDADM_ENV() });
    let timedOut = false;
    let settled = false;
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, MDADM_TIMEOUT_MS);
    const done = (code: number | null, signal: NodeJS.Signals | null, spawnError?: NodeJS.ErrnoException): void => {
      if (settled) return; // 'error' and 'exit' may both come
      settled = true;
      clearTimeout(timer);
      const stdout = read(outFd);
      const stderr = read(errFd);
      closeSync(outFd);
      closeSync(errFd);
      rmSync(dir, { recursive: true, force: true });
      if (spawnError?.code === 'ENOENT') reject(new OpError('E_MDADM_MISSING', `mdadm not found: ${mdadmPath}`, { path: mdadmPath }));
      else if (spawnError !== undefined) reject(failure(args, stdout, stderr, spawnError));
      else if (code === 0) resolve({ stdout, stderr });
      else reject(failure(args, stdout, stderr, { message: `mdadm exited with ${code ?? signal}`, code, signal, killed: timedOut }));
    };
    child.once('error', (e) => done(null, null, e));
    child.once('exit', (code, signal) => done(code, signal));
  });
}

/** Runs `mdadmPath` with `args`; never through a shell. */
export function realMdadm(mdadmPath = 'mdadm'): MdadmRunner {
  return {
    run: (args, opts) => opts?.leavesChild === true ? runLeavingChild(mdadmPath, args) : new Promise((resolve, reject) => {
      execFile(mdadmPath, [...args], {
        timeout: MDADM_TIMEOUT_MS, maxBuffer: MDADM_MAX_OUTPUT_BYTES, encoding: 'utf8',
        env: MDADM_ENV(),
      }, (err, stdout, stderr) => {
        if (err === null) { resolve({ stdout, stderr }); return; }
        const e = err as NodeJS.ErrnoException & { code?: unknown; killed?: boolean; signal?: string | null };
        if (e.code === 'ENOENT') { reject(new OpError('E_MDADM_MISSING', `mdadm not found: ${mdadmPath}`, { path: mdadmPath })); return; }
        reject(failure(args, stdout, stderr, e));
      });
    }),
  };
}

/** Levels this driver creates with --level (a container is made by --metadata=ddf/imsm: not here). */
const LEVEL_ARG: Readonly<Record<Exclude<MdLevel, 'container'>, string>> = {
  linear: 'linear', raid0: 'raid0', raid1: 'raid1', raid4: 'raid4', raid5: 'raid5', raid6: 'raid6', raid10: 'raid10',
  multipath: 'multipath', faulty: 'faulty',
};
const METADATA_RE = /^(?:0\.90|1|1\.[012]|default)$/;
const LAYOUT_RE = /^[a-z0-9-]{1,32}$/;
const NAME_RE = /^[A-Za-z0-9_.:-]{1,32}$/;
const UUID_RE = /^[0-9a-fA-F]{8}(?::[0-9a-fA-F]{8}){3}$/;
const MAX_CHUNK_KIB = 1 << 21;

function bad(message: string, details: Record<string, unknown>): OpError {
  return new OpError('E_INVALID_ARGUMENT', message, details);
}

function intIn(value: unknown, min: number, max: number, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw bad(`${what} must be an integer in [${min}, ${max}]`, { [what]: value });
  }
  return value;
}

function validUuid(uuid: unknown): string {
  if (typeof uuid !== 'string' || !UUID_RE.test(uuid)) throw bad(`invalid uuid ${JSON.stringify(uuid)}`, { uuid });
  return uuid;
}

/** "md0" or "<devRoot>/md0" -> "md0"; an array that need not exist yet. */
export function newArrayName(device: unknown, paths: KernelPaths): string {
  const s = typeof device === 'string' ? device : '';
  const name = s.startsWith(`${paths.devRoot}/`) ? s.slice(paths.devRoot.length + 1) : s;
  if (!isArrayName(name)) throw bad(`not an md array name: ${JSON.stringify(device)}`, { device });
  return name;
}

function validateMembers(members: unknown, count: number, allowMissing: boolean): string[] {
  if (!Array.isArray(members) || members.length !== count) throw bad(`expected ${count} member(s)`, { members });
  const seen = new Set<string>();
  return members.map((m: unknown) => {
    if (allowMissing && m === 'missing') return 'missing';
    const path = validateMemberPath(m);
    if (seen.has(path)) throw bad(`member listed twice: ${path}`, { member: path });
    seen.add(path);
    return path;
  });
}

function optionalArgs(spec: CreateSpec): string[] {
  const args: string[] = [];
  if (spec.metadata !== undefined) {
    if (!METADATA_RE.test(spec.metadata)) throw bad(`unsupported metadata ${JSON.stringify(spec.metadata)}`, { metadata: spec.metadata });
    args.push(`--metadata=${spec.metadata}`);
  }
  if (spec.bitmap !== undefined) {
    if (spec.bitmap !== 'internal' && spec.bitmap !== 'none') throw bad('bitmap must be internal or none', { bitmap: spec.bitmap });
    // mdadm 4.2 refuses any --bitmap (even "none") for raid0/linear ("bitmaps not meaningful
    // with level raid0"); without redundancy "none" is the only bitmap there is.
    if (!(spec.bitmap === 'none' && (spec.level === 'raid0' || spec.level === 'linear'))) args.push(`--bitmap=${spec.bitmap}`);
  }
  if (spec.chunkKiB !== undefined) args.push(`--chunk=${intIn(spec.chunkKiB, 4, MAX_CHUNK_KIB, 'chunkKiB')}`);
  if (spec.layout !== undefined) {
    if (!LAYOUT_RE.test(spec.layout)) throw bad(`invalid layout ${JSON.stringify(spec.layout)}`, { layout: spec.layout });
    args.push(`--layout=${spec.layout}`);
  }
  if (spec.name !== undefined) {
    if (!NAME_RE.test(spec.name)) throw bad(`invalid array name ${JSON.stringify(spec.name)}`, { name: spec.name });
    args.push(`--name=${spec.name}`);
  }
  if (spec.assumeClean === true) args.push('--assume-clean');
  if (spec.sizeKiB !== undefined) args.push(`--size=${intIn(spec.sizeKiB, 1, Number.MAX_SAFE_INTEGER, 'sizeKiB')}`);
  return args;
}

export function createArgs(spec: CreateSpec, paths: KernelPaths): string[] {
  const name = newArrayName(spec.device, paths);
  const level = spec.level === 'container' ? undefined : LEVEL_ARG[spec.level];
  if (level === undefined || !Object.prototype.hasOwnProperty.call(LEVEL_ARG, spec.level)) {
    throw bad(`unsupported level ${JSON.stringify(spec.level)}`, { level: spec.level });
  }
  const raid = intIn(spec.raidDevices, 1, MD_KERNEL_MAX_DEVICES_PER_ARRAY, 'raidDevices');
  const spares = intIn(spec.spareDevices, 0, MD_KERNEL_MAX_DEVICES_PER_ARRAY - raid, 'spareDevices');
  const members = validateMembers(spec.members, raid + spares, true);
  const args = ['--create', `${paths.devRoot}/${name}`, '--run', `--level=${level}`, `--raid-devices=${raid}`];
  if (spares > 0) args.push(`--spare-devices=${spares}`);
  // The cluster record names the array by the UUID its proposer chose; without --uuid mdadm
  // picks a random one and every later `--assemble --uuid=` of that record fails ("wrong uuid").
  if (spec.uuid !== undefined) args.push(`--uuid=${validUuid(spec.uuid)}`);
  return [...args, ...optionalArgs(spec), ...members];
}

export function assembleArgs(spec: AssembleSpec, paths: KernelPaths): string[] {
  const name = newArrayName(spec.device, paths);
  const args = ['--assemble', `${paths.devRoot}/${name}`];
  if (spec.uuid !== undefined) args.push(`--uuid=${validUuid(spec.uuid)}`);
  if (spec.readOnly === true) args.push('--readonly');
  if (spec.run === true) args.push('--run');
  const count = Array.isArray(spec.members) ? spec.members.length : -1;
  intIn(count, 1, MD_KERNEL_MAX_DEVICES_PER_ARRAY, 'members.length');
  return [...args, ...validateMembers(spec.members, count, false)];
}

/** Adding a component that has no superblock of this array: mdadm writes one, then adds it. */
export function addArgs(array: string, member: string, paths: KernelPaths): string[] {
  if (!isArrayName(array)) throw bad(`not an md array name: ${JSON.stringify(array)}`, { device: array });
  return ['--manage', `${paths.devRoot}/${array}`, '--add', validateMemberPath(member)];
}
