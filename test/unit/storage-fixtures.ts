// Shared fixtures for the storage tests: temp directories, a capturing logger, entry and
// snapshot builders, and file helpers. Owns nothing in production.
// Invariant: every directory made by tempDir() is removed by cleanupTempDirs().
import { cp, mkdtemp, readdir, rm, stat, truncate, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { logIndex, nodeId, term } from '../../daemon/src/common/types.js';
import type { Entry, HardState, Snapshot } from '../../daemon/src/raft/types.js';
import type { StorageLogger } from '../../daemon/src/storage/logger.js';

const made: string[] = [];

export async function tempDir(tag = 'storage'): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), `mdc-${tag}-`));
  made.push(d);
  return d;
}

export async function cleanupTempDirs(): Promise<void> {
  while (made.length > 0) await rm(made.pop()!, { recursive: true, force: true });
}

/** A copy of `dir` in a fresh temp directory. */
export async function copyDir(dir: string): Promise<string> {
  const d = await tempDir('copy');
  await cp(dir, d, { recursive: true });
  return d;
}

export interface LogLine {
  level: 'warn' | 'info';
  fields: Record<string, unknown>;
  msg: string;
}

export class CaptureLogger implements StorageLogger {
  readonly lines: LogLine[] = [];
  warn(fields: Record<string, unknown>, msg: string): void {
    this.lines.push({ level: 'warn', fields, msg });
  }
  info(fields: Record<string, unknown>, msg: string): void {
    this.lines.push({ level: 'info', fields, msg });
  }
  warnings(): LogLine[] {
    return this.lines.filter((l) => l.level === 'warn');
  }
}

export function ent(index: number, t: number, data = `e${index}t${t}`, type: Entry['type'] = 'normal'): Entry {
  return { index: logIndex(index), term: term(t), type, data: new TextEncoder().encode(data) };
}

export function range(from: number, to: number, t: number, pad = ''): Entry[] {
  const out: Entry[] = [];
  for (let i = from; i <= to; i++) out.push(ent(i, t, `e${i}t${t}${pad}`));
  return out;
}

export function hs(t: number, commit: number, vote: string | null = null): HardState {
  return { term: term(t), commit: logIndex(commit), vote: vote === null ? null : nodeId(vote) };
}

export function snap(index: number, t: number, data = `snapshot@${index}`): Snapshot {
  return { meta: { index: logIndex(index), term: term(t), conf: { voters: [nodeId('n1'), nodeId('n2'), nodeId('n3')], learners: [] } },
    data: new TextEncoder().encode(data) };
}

export async function segmentFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((n) => n.startsWith('wal-')).sort().map((n) => join(dir, n));
}

export async function fileSize(path: string): Promise<number> {
  return (await stat(path)).size;
}

export async function cutFile(path: string, lengthBytes: number): Promise<void> {
  await truncate(path, lengthBytes);
}

export async function flipByte(path: string, offset: number, mask = 0xff): Promise<void> {
  const b = await readFile(path);
  b[offset] ^= mask;
  await writeFile(path, b);
}

export async function appendBytes(path: string, bytes: Uint8Array): Promise<void> {
  await writeFile(path, bytes, { flag: 'a' });
}
