// Kernel lab: private network namespaces for guests with a NIC. Owns: creating a netns whose
// loopback carries the guests' multicast segment, and deleting it.
// Invariants: a lab netns is named mdlab-<owner pid>-<n> so run.sh can delete ones whose owner
// died; nothing in it routes outside (only lo exists), so guest traffic cannot leave the
// machine; every netns created here is deleted by deleteNetns or at process exit.
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { HOST_COMMAND_TIMEOUT_MS } from './config.js';

const run = promisify(execFile);
const live = new Set<string>();
let counter = 0;
let exitHookInstalled = false;

async function ip(args: string[]): Promise<void> {
  await run('ip', args, { timeout: HOST_COMMAND_TIMEOUT_MS });
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const name of live) {
      try { execFileSync('ip', ['netns', 'del', name], { stdio: 'ignore', timeout: 10_000 }); } catch { /* best effort at exit */ }
    }
  });
}

export async function createNetns(): Promise<string> {
  installExitHook();
  counter += 1;
  const name = `mdlab-${process.pid}-${counter}`;
  await ip(['netns', 'add', name]);
  live.add(name);
  try {
    await ip(['-n', name, 'link', 'set', 'lo', 'up']);
    await ip(['-n', name, 'link', 'set', 'lo', 'multicast', 'on']);
    await ip(['-n', name, 'route', 'add', '224.0.0.0/4', 'dev', 'lo']);
  } catch (e) {
    await deleteNetns(name);
    throw e;
  }
  return name;
}

export async function deleteNetns(name: string): Promise<void> {
  if (!live.has(name)) return;
  live.delete(name);
  await ip(['netns', 'del', name]);
}
