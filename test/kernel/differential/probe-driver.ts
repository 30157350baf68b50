// Guest side of the differential lane (runs INSIDE a kernel-lab guest): an MdDriver that
// forwards every call to the kernel driver and, whenever the scenario reads state (listArrays,
// readArray), also probes /proc/mdstat against the driver: kernel text, then the driver's
// readArray of every array, then the kernel text again, judged by mdstat-judge.ts.
// Owns: the probe bookkeeping (counts per verdict, the kept samples and mismatches).
// Invariants:
// - The wrapper changes nothing the scenario sees: results and errors are the kernel driver's.
// - A probe whose kernel reads disagree (the state moved) is retried at most
//   DIFF_PROBE_MAX_RETRIES times, then counted 'unstable' (never as a match).
// - At most DIFF_MAX_KEPT_PROBES samples and as many mismatches are kept.
// - "Personalities :" is a node fact (modules registered since boot), not array state: the
//   rendered text takes it from the kernel's own header, and the guess from the arrays
//   (defaultPersonalities) is only counted.
import { readFileSync } from 'node:fs';
import { DIFF_MAX_KEPT_PROBES, DIFF_PROBE_MAX_RETRIES } from '../../lib/limits.js';
import type { Sectors } from '../../../daemon/src/common/types.js';
import type { MdDriver, SpeedLimits, WatchHandle } from '../../../daemon/src/md/driver.js';
import { defaultPersonalities, mdstatFromArrays, renderMdstat } from '../../../daemon/src/md/format/mdstat.js';
import type { ArrayState, AssembleSpec, CreateSpec, DdfFacts, MdEvent, Superblock090Info, SuperblockInfo, SyncAction } from '../../../daemon/src/md/types.js';
import { OpError } from '../../../daemon/src/common/errors.js';
import { judgeMdstat, lineDiff, personalitiesOf, type MdstatMaskLevel } from './mdstat-judge.js';

export interface ProbeSample {
  /** Scenario and the last operation before the probe. */
  where: string;
  verdict: 'match' | 'mismatch' | 'unstable';
  level: MdstatMaskLevel | null;
  kernel: string;
  rendered: string;
  diff: string[];
}

export interface ProbeStats {
  probes: number;
  matchExact: number;
  matchFinishSpeedMasked: number;
  matchProgressMasked: number;
  mismatches: number;
  unstable: number;
  retries: number;
  /** Probes whose personalities guessed from the arrays equal the kernel's header. */
  personalitiesGuessed: number;
  /** Distinct kernel texts (finish/speed/progress masked) seen and matched. */
  distinctStates: number;
  samples: ProbeSample[];
  mismatchSamples: ProbeSample[];
}

function readProcMdstat(): string {
  return readFileSync('/proc/mdstat', 'utf8');
}

export class ProbeDriver implements MdDriver {
  readonly kind = 'kernel' as const;
  /** Invariant: counts only; samples bounded by DIFF_MAX_KEPT_PROBES. */
  readonly stats: ProbeStats = {
    probes: 0, matchExact: 0, matchFinishSpeedMasked: 0, matchProgressMasked: 0, mismatches: 0, unstable: 0, retries: 0,
    personalitiesGuessed: 0, distinctStates: 0, samples: [], mismatchSamples: [],
  };
  private readonly seen = new Set<string>();
  /** The scenario being run and its last operation (labels samples). */
  scenario = '';
  private lastOp = 'start';

  constructor(private readonly inner: MdDriver) {}

  /** One probe: kernel text, driver state, kernel text; retried while the state moves. */
  async probe(): Promise<void> {
    this.stats.probes++;
    for (let attempt = 0; ; attempt++) {
      const before = readProcMdstat();
      const arrays: ArrayState[] = [];
      for (const name of await this.inner.listArrays()) arrays.push(await this.inner.readArray(name));
      const after = readProcMdstat();
      const rendered = renderMdstat(mdstatFromArrays(arrays, { personalities: personalitiesOf(before) }));
      const verdict = judgeMdstat(before, rendered, after);
      if (verdict.kind === 'unstable' && attempt < DIFF_PROBE_MAX_RETRIES) {
        this.stats.retries++;
        continue;
      }
      if (defaultPersonalities(arrays).join(' ') === personalitiesOf(before).join(' ')) this.stats.personalitiesGuessed++;
      this.record(verdict.kind, verdict.kind === 'unstable' ? null : verdict.level, before, rendered);
      return;
    }
  }

  private record(kind: ProbeSample['verdict'], level: MdstatMaskLevel | null, kernel: string, rendered: string): void {
    const s = this.stats;
    if (kind === 'unstable') s.unstable++;
    else if (kind === 'mismatch') s.mismatches++;
    else if (level === 'exact') s.matchExact++;
    else if (level === 'finish-speed') s.matchFinishSpeedMasked++;
    else s.matchProgressMasked++;
    const sample: ProbeSample = { where: `${this.scenario}: after ${this.lastOp}`, verdict: kind, level, kernel, rendered, diff: lineDiff(kernel, rendered) };
    if (kind !== 'match') {
      if (s.mismatchSamples.length < DIFF_MAX_KEPT_PROBES) s.mismatchSamples.push(sample);
      return;
    }
    const key = kernel.replace(/ finish=\S+ speed=\S+$/gm, '').replace(/\[[=>.]+\].*\(\d+\//gm, '(');
    if (this.seen.has(key)) return;
    this.seen.add(key);
    s.distinctStates++;
    if (s.samples.length < DIFF_MAX_KEPT_PROBES) s.samples.push(sample);
  }

  private async op<T>(what: string, fn: () => Promise<T>): Promise<T> {
    this.lastOp = what;
    return fn();
  }

  // ---- read (probed) ----
  async listArrays(): Promise<string[]> {
    const names = await this.inner.listArrays();
    await this.probe();
    return names;
  }
  async readArray(device: string): Promise<ArrayState> {
    const a = await this.inner.readArray(device);
    await this.probe();
    return a;
  }
  readMdstat(): Promise<string> { return this.inner.readMdstat(); }
  readSuperblock(devPath: string): Promise<SuperblockInfo> { return this.inner.readSuperblock(devPath); }
  async readDdf(devPath: string): Promise<DdfFacts> {
    if (this.inner.readDdf === undefined) throw new OpError('E_NOT_SUPPORTED', 'no DDF reader in the inner driver', {});
    return this.inner.readDdf(devPath);
  }
  async readSuperblock090(devPath: string): Promise<Superblock090Info> {
    if (this.inner.readSuperblock090 === undefined) throw new OpError('E_NOT_SUPPORTED', 'no 0.90 reader in the inner driver', {});
    return this.inner.readSuperblock090(devPath);
  }

  // ---- changes (labelled, forwarded) ----
  create(spec: CreateSpec): Promise<void> { return this.op(`create ${spec.level}`, () => this.inner.create(spec)); }
  assemble(spec: AssembleSpec): Promise<void> { return this.op('assemble', () => this.inner.assemble(spec)); }
  run(device: string): Promise<void> { return this.op('run', () => this.inner.run(device)); }
  stop(device: string): Promise<void> { return this.op('stop', () => this.inner.stop(device)); }
  setReadOnly(device: string): Promise<void> { return this.op('read-only', () => this.inner.setReadOnly(device)); }
  setReadWrite(device: string): Promise<void> { return this.op('read-write', () => this.inner.setReadWrite(device)); }
  setFaulty(device: string, member: string): Promise<void> { return this.op(`faulty ${member}`, () => this.inner.setFaulty(device, member)); }
  hotRemove(device: string, member: string): Promise<void> { return this.op(`remove ${member}`, () => this.inner.hotRemove(device, member)); }
  hotAdd(device: string, member: string): Promise<void> { return this.op(`add ${member}`, () => this.inner.hotAdd(device, member)); }
  reAdd(device: string, member: string): Promise<void> { return this.op(`re-add ${member}`, () => this.inner.reAdd(device, member)); }
  setWriteMostly(device: string, member: string, on: boolean): Promise<void> {
    return this.op(`write-mostly ${member} ${on}`, () => this.inner.setWriteMostly(device, member, on));
  }
  replace(device: string, member: string, withMember: string): Promise<void> {
    return this.op(`replace ${member}`, () => this.inner.replace(device, member, withMember));
  }
  setBitmap(device: string, bitmap: 'internal' | 'none'): Promise<void> { return this.op(`bitmap ${bitmap}`, () => this.inner.setBitmap(device, bitmap)); }
  setRaidDisks(device: string, raidDisks: number, opts: { backupFile?: string }): Promise<void> { return this.op(`raid_disks ${raidDisks}`, () => this.inner.setRaidDisks(device, raidDisks, opts)); }
  setChunkSize(device: string, chunkKiB: number, opts: { backupFile?: string }): Promise<void> { return this.op(`chunk_size ${chunkKiB}`, () => this.inner.setChunkSize(device, chunkKiB, opts)); }
  setComponentSize(device: string, sizeKiB: number, assumeClean: boolean): Promise<void> { return this.op(`component_size ${sizeKiB}`, () => this.inner.setComponentSize(device, sizeKiB, assumeClean)); }
  setSyncAction(device: string, action: SyncAction): Promise<void> { return this.op(`sync_action ${action}`, () => this.inner.setSyncAction(device, action)); }
  setSyncMin(device: string, value: Sectors): Promise<void> { return this.op(`sync_min ${value}`, () => this.inner.setSyncMin(device, value)); }
  setSyncMax(device: string, value: Sectors | 'max'): Promise<void> { return this.op(`sync_max ${value}`, () => this.inner.setSyncMax(device, value)); }
  setResyncStart(device: string, value: Sectors | null): Promise<void> {
    return this.op(`resync_start ${value}`, () => this.inner.setResyncStart(device, value));
  }
  setRecoveryStart(device: string, member: string, value: Sectors): Promise<void> {
    return this.op(`recovery_start ${member}`, () => this.inner.setRecoveryStart(device, member, value));
  }
  setSpeedLimits(limits: SpeedLimits): Promise<void> { return this.inner.setSpeedLimits(limits); }

  watch(onEvent: (event: MdEvent) => void): WatchHandle { return this.inner.watch(onEvent); }
  close(): Promise<void> { return this.inner.close(); }
}
