// Property test: random sequences of save / snapshot / compact / reopen / crash against an
// in-memory model of what storage must return. Neither what must survive nor what may be lost
// comes from the storage's own counters:
// - what must survive (the oracle) is decided from what storage acknowledged: a save with
//   mustSync whose promise resolved makes every state before it durable (and close(), which
//   the contract says syncs);
// - what a crash may lose is decided by the test from the file system calls themselves: every
//   fdatasync/fsync is intercepted (FileHandle.prototype) and records the file's size at that
//   moment; a crash cuts every WAL segment anywhere after the size of its last sync (a segment
//   never synced, anywhere at all), and may add a zero or garbage tail to the newest.
// Recovery must then return one of the states the model passed through since the last
// acknowledgement (commit may be anywhere between that state's and the newest, since the
// hard-state checkpoint can carry a newer commit). A save acknowledged without its fdatasync
// fails here.
import { readlinkSync } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { logIndex, nodeId, term } from '../../daemon/src/common/types.js';
import type { Entry, HardState, Snapshot } from '../../daemon/src/raft/types.js';
import { DiskStorage, type DiskStorageOptions, type RecoveredState } from '../../daemon/src/storage/disk-storage.js';
import { join } from 'node:path';
import { appendBytes, CaptureLogger, cleanupTempDirs, cutFile, ent, segmentFiles, snap, tempDir } from './storage-fixtures.js';

afterAll(cleanupTempDirs);

/** Path -> file size at its last fdatasync/fsync (what a crash cannot take back). */
const syncedBytes = new Map<string, number>();
let restoreSyncs: (() => void) | null = null;

/** Intercepts FileHandle.datasync/sync to record what each call made durable. */
async function interceptSyncs(dir: string): Promise<void> {
  const probe = await open(join(dir, 'probe'), 'w');
  const proto = Object.getPrototypeOf(probe) as FileHandle;
  await probe.close();
  const orig = { datasync: proto.datasync, sync: proto.sync };
  const wrap = (f: () => Promise<void>) => async function (this: FileHandle): Promise<void> {
    const path = readlinkSync(`/proc/self/fd/${this.fd}`);
    const size = (await this.stat()).size;
    await f.call(this);
    syncedBytes.set(path, size);
  };
  proto.datasync = wrap(orig.datasync);
  proto.sync = wrap(orig.sync);
  restoreSyncs = () => { proto.datasync = orig.datasync; proto.sync = orig.sync; };
}
afterAll(() => restoreSyncs?.());

/** After a (re)open the files as they are are the durable starting point. */
async function markAllDurable(dir: string): Promise<void> {
  for (const f of await segmentFiles(dir)) syncedBytes.set(f, (await stat(f)).size);
}

type Op =
  | { kind: 'append'; count: number; back: number; sync: boolean }
  | { kind: 'commit'; advance: number; sync: boolean }
  | { kind: 'term'; vote: number }
  | { kind: 'localSnap'; pick: number }
  | { kind: 'recvSnap'; ahead: number }
  | { kind: 'reopen' }
  | { kind: 'crash'; cutSeed: number; tail: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('append' as const), count: fc.integer({ min: 1, max: 6 }), back: fc.nat(3), sync: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('commit' as const), advance: fc.integer({ min: 1, max: 8 }), sync: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('term' as const), vote: fc.nat(2) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('localSnap' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('recvSnap' as const), ahead: fc.integer({ min: 1, max: 20 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reopen' as const) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('crash' as const), cutSeed: fc.nat(), tail: fc.nat(2) }) },
);

interface WindowState {
  log: Entry[];
  hs: HardState | null;
}

/** What storage must hold. log: the entries after the snapshot. */
class Model {
  snapshot: Snapshot | null = null;
  log: Entry[] = [];
  hs: HardState | null = null;
  /** States since the last point where everything written was durable. Invariant: non-empty. */
  window: WindowState[] = [{ log: [], hs: null }];

  snapIndex(): number {
    return this.snapshot?.meta.index ?? 0;
  }
  lastIndex(): number {
    return this.log.length > 0 ? this.log[this.log.length - 1].index : this.snapIndex();
  }
  commit(): number {
    return this.hs?.commit ?? 0;
  }
  /** Highest commit that every state in the window can hold (commit only covers durable entries). */
  safeCommitMax(): number {
    return Math.min(...this.window.map((w) => (w.log.length > 0 ? w.log[w.log.length - 1].index : this.snapIndex())));
  }
  record(): void {
    this.window.push({ log: [...this.log], hs: this.hs });
  }
  durable(): void {
    this.window = [{ log: [...this.log], hs: this.hs }];
  }
  adopt(r: RecoveredState): void {
    this.snapshot = r.snapshot;
    this.log = r.entries;
    this.hs = r.hardState;
    this.durable();
  }
}

const VOTES = [null, 'n1', 'n2'];

function hsOf(t: number, commit: number, vote: string | null): HardState {
  return { term: term(t), commit: logIndex(commit), vote: vote === null ? null : nodeId(vote) };
}

/** Each op returns true when storage acknowledged durability (a mustSync save resolved). */
async function applyAppend(s: DiskStorage, m: Model, op: Extract<Op, { kind: 'append' }>): Promise<boolean> {
  let hs = m.hs;
  if (hs === null || hs.term === 0) hs = hsOf(1, m.commit(), null);
  const floor = Math.max(m.commit(), m.snapIndex());
  const back = Math.min(op.back, m.lastIndex() - floor);
  const start = m.lastIndex() + 1 - back;
  const entries = Array.from({ length: op.count }, (_, k) => ent(start + k, hs.term, `p${start + k}-${hs.term}-${k}`));
  const termChanged = hs !== m.hs;
  const mustSync = op.sync || termChanged;
  await s.save({ hardState: termChanged ? hs : null, entries, snapshot: null, mustSync });
  for (const e of entries) {
    m.log = m.log.filter((x) => x.index < e.index);
    m.log.push(e);
    m.record();
  }
  if (termChanged) {
    m.hs = hs;
    m.record();
  }
  return mustSync;
}

async function applyOp(s: DiskStorage, m: Model, op: Op): Promise<boolean> {
  switch (op.kind) {
    case 'append':
      return applyAppend(s, m, op);
    case 'commit': {
      if (m.hs === null) return false;
      const commit = Math.min(m.commit() + op.advance, m.safeCommitMax());
      if (commit <= m.commit()) return false;
      m.hs = { ...m.hs, commit: logIndex(commit) };
      await s.save({ hardState: m.hs, entries: [], snapshot: null, mustSync: op.sync });
      m.record();
      return op.sync;
    }
    case 'term': {
      m.hs = hsOf((m.hs?.term ?? 0) + 1, m.commit(), VOTES[op.vote]);
      await s.save({ hardState: m.hs, entries: [], snapshot: null, mustSync: true });
      m.record();
      return true;
    }
    case 'localSnap': {
      const lo = m.snapIndex() + 1;
      const hi = m.commit();
      if (hi < lo) return false;
      const at = lo + (op.pick % (hi - lo + 1));
      const t = m.log.find((e) => e.index === at)!.term;
      const sn = snap(at, t, `local@${at}`);
      await s.saveSnapshot(sn);
      await s.compact(at);
      m.snapshot = sn;
      m.log = m.log.filter((e) => e.index > at);
      return false; // the snapshot file is durable; the log's unsynced tail is not acknowledged
    }
    case 'recvSnap': {
      if (m.hs === null) return false;
      const at = Math.max(m.commit(), m.snapIndex()) + op.ahead;
      const sn = snap(at, m.hs.term, `received@${at}`);
      m.hs = { ...m.hs, commit: logIndex(at) };
      await s.save({ hardState: m.hs, entries: [], snapshot: sn, mustSync: true });
      m.snapshot = sn;
      m.log = [];
      m.record();
      return true;
    }
    case 'reopen':
    case 'crash':
      return false; // handled by the runner (they replace the instance)
  }
}

function view(log: Entry[], snapIndex: number): Entry[] {
  return log.filter((e) => e.index > snapIndex);
}

/** A canonical string for a list of entries (independent of property order). */
function key(entries: Entry[]): string {
  return entries.map((e) => `${e.index}/${e.term}/${e.type}/${Buffer.from(e.data).toString('hex')}`).join(',');
}

/** Checks that a post-crash recovery is one of the window's states. */
function checkCrashRecovery(m: Model, r: RecoveredState): void {
  expect(r.snapshot).toEqual(m.snapshot);
  const si = m.snapIndex();
  const newestCommit = Math.max(m.commit(), si);
  const ok = m.window.some((w) => {
    if (key(view(w.log, si)) !== key(r.entries)) return false;
    if (w.hs === null || r.hardState === null) return w.hs === r.hardState;
    return w.hs.term === r.hardState.term && w.hs.vote === r.hardState.vote
      && r.hardState.commit >= Math.max(w.hs.commit, si) && r.hardState.commit <= newestCommit;
  });
  const got = { entries: key(r.entries), hardState: r.hardState };
  const window = m.window.map((w) => ({ entries: key(view(w.log, si)), hardState: w.hs }));
  expect(ok, `recovered state matches no state since the last sync: ${JSON.stringify({ got, window })}`).toBe(true);
}

function checkExact(m: Model, r: RecoveredState): void {
  expect(r.snapshot).toEqual(m.snapshot);
  expect(r.entries).toEqual(m.log);
  const si = m.snapIndex();
  expect(r.hardState).toEqual(m.hs === null ? null : { ...m.hs, commit: Math.max(m.hs.commit, si) });
}

/**
 * Crash: every segment keeps what its last sync made durable (recorded by the interception,
 * taken before the instance is dropped) and any part of what was written after it.
 */
async function crash(s: DiskStorage, dir: string, opts: DiskStorageOptions, op: Extract<Op, { kind: 'crash' }>): Promise<RecoveredState & { storage: DiskStorage }> {
  const durable = new Map(syncedBytes);
  const sizes = new Map<string, number>();
  for (const f of await segmentFiles(dir)) sizes.set(f, (await stat(f)).size);
  await s.close(); // its syncs are not counted: the sizes before it are cut back below
  const files = [...sizes.keys()];
  for (const [k, f] of files.entries()) {
    const size = sizes.get(f)!;
    const keep = Math.min(durable.get(f) ?? 0, size);
    await cutFile(f, keep + ((op.cutSeed + k * 7919) % (size - keep + 1)));
  }
  const newest = files[files.length - 1];
  if (op.tail === 1) await appendBytes(newest, new Uint8Array(64));
  if (op.tail === 2) await appendBytes(newest, Uint8Array.from({ length: 64 }, (_, i) => (op.cutSeed * 31 + i * 17) & 0xff));
  const { storage, recovered } = await DiskStorage.open(dir, new CaptureLogger(), opts);
  await markAllDurable(dir);
  return { storage, ...recovered };
}

describe('DiskStorage against an in-memory model', () => {
  it('recovers what was written (exactly after close, a state since the last acknowledged sync after a crash)', async () => {
    await interceptSyncs(await tempDir('sync-probe'));
    await fc.assert(fc.asyncProperty(
      fc.array(opArb, { minLength: 1, maxLength: 60, size: 'large' }),
      fc.integer({ min: 128, max: 1024 }),
      fc.integer({ min: 0, max: 8 }),
      async (ops, segmentBytes, keepTrailingEntries) => {
        const dir = await tempDir('prop');
        const opts = { segmentBytes, keepTrailingEntries };
        let { storage } = await DiskStorage.open(dir, new CaptureLogger(), opts);
        await markAllDurable(dir);
        const m = new Model();
        for (const op of ops) {
          if (op.kind === 'reopen') {
            await storage.close();
            const opened = await DiskStorage.open(dir, new CaptureLogger(), opts);
            checkExact(m, opened.recovered);
            storage = opened.storage;
            m.adopt(opened.recovered);
            await markAllDurable(dir);
          } else if (op.kind === 'crash') {
            const r = await crash(storage, dir, opts, op);
            checkCrashRecovery(m, r);
            storage = r.storage;
            m.adopt(r);
          } else if (await applyOp(storage, m, op)) {
            m.durable(); // acknowledged: every state so far must survive a crash
          }
        }
        await storage.close();
        const last = await DiskStorage.open(dir, new CaptureLogger(), opts);
        checkExact(m, last.recovered);
        await last.storage.close();
      },
    ), { numRuns: 60 });
  });
});
