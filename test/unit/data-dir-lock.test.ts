// One daemon per data directory (storage/data-dir-lock.ts) against real processes: a lock held
// by another process (util-linux flock(1), the same flock(2) lock) refuses us with its pid
// named; after that process is killed with kill -9 the lock is free at once (no stale lock);
// two locks in one process conflict too (a second daemon in a test harness).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { OpError } from '../../daemon/src/common/errors.js';
import { DATA_DIR_LOCK_FILE, lockDataDir } from '../../daemon/src/storage/data-dir-lock.js';

const children: ChildProcess[] = [];
afterEach(() => { for (const c of children.splice(0)) c.kill('SIGKILL'); });

function lockedError(dir: string): OpError {
  try {
    lockDataDir(dir).release();
  } catch (e) {
    expect(e).toBeInstanceOf(OpError);
    return e as OpError;
  }
  throw new Error('the lock was granted');
}

/** Starts `flock -x FILE sh -c 'echo $$ > FILE; echo locked; sleep 60'` and waits until it holds the lock. */
async function holdWithFlock(file: string): Promise<ChildProcess> {
  const c = spawn('flock', ['-x', file, 'sh', '-c', `echo $$ > '${file}'; echo locked; exec sleep 60`], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(c);
  await new Promise<void>((resolve, reject) => {
    c.stdout!.on('data', (d: Buffer) => { if (d.toString().includes('locked')) resolve(); });
    c.on('exit', (code) => reject(new Error(`flock exited ${code}`)));
  });
  return c;
}

describe('data directory lock', () => {
  it('refuses a second holder in the same process, naming our pid; free again after release', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mdlock-'));
    const first = lockDataDir(dir);
    expect(readFileSync(join(dir, DATA_DIR_LOCK_FILE), 'utf8')).toBe(`${process.pid}\n`);
    const e = lockedError(dir);
    expect(e.code).toBe('E_DATA_DIR_LOCKED');
    expect(e.message).toContain(`${dir} is in use by another mdclusterd (pid ${process.pid})`);
    first.release();
    first.release();
    const again = lockDataDir(dir);
    again.release();
  });

  it('is refused while another process holds it, and free at once after that process is killed with kill -9', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mdlock-'));
    const file = join(dir, DATA_DIR_LOCK_FILE);
    writeFileSync(file, '');
    const holder = await holdWithFlock(file);
    const shPid = Number(readFileSync(file, 'utf8').trim());
    const e = lockedError(dir);
    expect(e.code).toBe('E_DATA_DIR_LOCKED');
    expect(e.details.holderPid).toBe(shPid);
    expect(e.message).toContain(`(pid ${shPid})`);
    // The holder's file contents are left alone by the refused attempt.
    expect(readFileSync(file, 'utf8')).toBe(`${shPid}\n`);
    const exited = new Promise((r) => holder.on('exit', r));
    holder.kill('SIGKILL');
    await exited;
    // flock(1) held the lock on its own fd; the sleep child inherited it. Wait until both are gone.
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        const l = lockDataDir(dir);
        expect(readFileSync(file, 'utf8')).toBe(`${process.pid}\n`);
        l.release();
        break;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        try { process.kill(shPid, 'SIGKILL'); } catch { /* gone */ }
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    expect(existsSync(file)).toBe(true);
  });
});
