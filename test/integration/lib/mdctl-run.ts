// Running the built mdctl (dist/mdctl/src/main.js) as a separate process against one daemon's
// control socket, as an admin would. Owns: the child process and its bounded output.
// Invariant: every run ends within MDCTL_RUN_TIMEOUT_MS (killed after) and never throws for
// a non-zero exit: the exit code is part of the result.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { INTEG_MAX_REPLY_BYTES } from '../../lib/limits.js';
import { repoRoot } from './daemon-proc.js';

const MDCTL_RUN_TIMEOUT_MS = 30_000;

export interface MdctlResult {
  code: number;
  stdout: string;
  stderr: string;
  wallMs: number;
}

export function mdctlMainJs(): string {
  const p = resolve(repoRoot(), 'dist/mdctl/src/main.js');
  if (!existsSync(p)) throw new Error(`${p} does not exist: run \`npm run build\` first`);
  return p;
}

/** `mainJs`: another build of mdctl's entry point (the mdctl benchmark's A/B runs); default this tree's dist/. */
export function runMdctl(socketPath: string | null, args: string[], mainJs = mdctlMainJs()): Promise<MdctlResult> {
  const argv = [mainJs, ...(socketPath ? ['--socket', socketPath] : []), ...args];
  const t0 = performance.now();
  return new Promise((resolveRun) => {
    execFile(process.execPath, argv, { timeout: MDCTL_RUN_TIMEOUT_MS, maxBuffer: INTEG_MAX_REPLY_BYTES, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1;
      resolveRun({ code, stdout, stderr, wallMs: performance.now() - t0 });
    });
  });
}
