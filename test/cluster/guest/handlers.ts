// Inside a cluster-lane guest: carrying out one agent request (exec, http, wait-file, clock,
// daemon, unit). Owns: the bounded execution of each request kind and the shape of its result.
// Invariants: every handler resolves within its request's timeoutMs (plus a small grace) and
// never throws for an operating failure of the command it runs: a non-zero exit is a result
// (code), not an error; only a request that cannot run at all rejects (the agent then answers
// ok=false with the message).
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { CLUSTER_LANE_MAX_OUTPUT_BYTES } from '../../lib/limits.js';
import type { AgentRequest, ClockResult, DaemonAction, DaemonResult, ExecResult, HttpResult, UnitRecord, WaitFileResult } from './protocol.js';
import type { UnitRunner } from './unit-runner.js';

export interface HandlerContext {
  /** The installed mdclusterd.service, run by the unit runner. */
  daemon: UnitRunner;
  statusPort: number;
  /** Ids of running wait-file requests; a 'cancel' removes one and its loop then stops. */
  waiting: Set<string>;
}

export function runExec(argv: string[], timeoutMs: number): Promise<ExecResult> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    execFile(argv[0]!, argv.slice(1), { timeout: timeoutMs, maxBuffer: CLUSTER_LANE_MAX_OUTPUT_BYTES, encoding: 'utf8' }, (err, stdout, stderr) => {
      const wallMs = Math.round(performance.now() - t0);
      if (err === null) { resolve({ code: 0, stdout, stderr, wallMs }); return; }
      const e = err as NodeJS.ErrnoException & { code?: unknown; killed?: boolean; signal?: string | null };
      const code = typeof e.code === 'number' ? e.code : -1;
      const why = typeof e.code === 'number' ? '' : `agent: ${e.killed ? `killed after ${timeoutMs} ms` : e.message}\n`;
      resolve({ code, stdout: String(stdout ?? ''), stderr: String(stderr ?? '') + why, wallMs });
    });
  });
}

function runHttp(port: number, path: string, timeoutMs: number): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method: 'GET', timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      let bytes = 0;
      res.on('data', (c: Buffer) => {
        bytes += c.length;
        if (bytes > CLUSTER_LANE_MAX_OUTPUT_BYTES) { req.destroy(new Error('status reply too large')); return; }
        chunks.push(c);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path} timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

function readTrimmed(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (e) {
    return `<${(e as NodeJS.ErrnoException).code ?? 'error'}>`;
  }
}

async function waitFile(ctx: HandlerContext, id: string, path: string, pattern: string, intervalMs: number, timeoutMs: number): Promise<WaitFileResult> {
  const re = new RegExp(pattern);
  const deadline = performance.now() + timeoutMs;
  let polls = 0;
  ctx.waiting.add(id);
  try {
    for (;;) {
      const value = readTrimmed(path);
      polls += 1;
      if (re.test(value)) return { value, matchedGuestWallMs: Date.now(), polls };
      if (!ctx.waiting.has(id)) throw new Error(`cancelled after ${polls} polls (last: ${JSON.stringify(value)})`);
      if (performance.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${path} to match /${pattern}/ (last: ${JSON.stringify(value)})`);
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  } finally {
    ctx.waiting.delete(id);
  }
}

async function daemonAction(ctx: HandlerContext, action: DaemonAction): Promise<DaemonResult> {
  if (action === 'reload') return { pid: ctx.daemon.pid, running: ctx.daemon.running, reloadCode: await ctx.daemon.reload() };
  if (action === 'start') await ctx.daemon.start();
  else if (action === 'stop') await ctx.daemon.stop();
  else await ctx.daemon.kill();
  return { pid: ctx.daemon.pid, running: ctx.daemon.running };
}

/** Carries out one request; 'exit' and 'crash' are handled by the agent loop itself. */
export async function handle(ctx: HandlerContext, req: Exclude<AgentRequest, { kind: 'exit' | 'crash' }>): Promise<unknown> {
  switch (req.kind) {
    case 'exec': return runExec(req.argv, req.timeoutMs);
    case 'http': return runHttp(ctx.statusPort, req.path, req.timeoutMs);
    case 'wait-file': return waitFile(ctx, req.id, req.path, req.pattern, req.intervalMs, req.timeoutMs);
    case 'cancel': return { cancelled: ctx.waiting.delete(req.target) };
    case 'clock': return { guestWallMs: Date.now() } satisfies ClockResult;
    case 'daemon': return daemonAction(ctx, req.action);
    case 'unit': return ctx.daemon.record() satisfies UnitRecord;
  }
}
