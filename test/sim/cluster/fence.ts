// The fence command in the cluster simulator. The writer role (daemon/src/node/writer.ts) runs
// the configured fence command with child_process.execFile; in a simulated world that command is
// SIM_FENCE_COMMAND, and this file answers it in simulated time instead of spawning a process:
// after a seeded run time it powers the old master off (a STONITH fence: its daemon and its
// kernel vanish, as in a crash) and reports success, or it fails (the writer retries).
// Owns: swapping node:child_process's execFile for the duration of one run (syncBuiltinESMExports
// makes the ES-module binding the writer imported follow the swap), and routing each simulated
// fence call to the run that configured it.
// Invariants:
// - Only calls whose command is SIM_FENCE_COMMAND are simulated; any other command goes to the
//   real execFile unchanged.
// - At most one run is installed at a time (runs are sequential within a process); install()
//   returns the undo, which the run calls in a finally block.
// - The callback runs as daemon code of the calling incarnation (frozen: later; dead: never),
//   and a successful fence powers the target off before the caller hears of it.
import type * as ChildProcess from 'node:child_process';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { assert } from '../../../daemon/src/common/assert.js';

/** argv[0] of the simulated fence command: `sim-fence <caller> <old master>`. */
export const SIM_FENCE_COMMAND = 'sim-fence';

/** What a run does with one fence call; `done` must be called at most once. */
export type FenceHandler = (caller: string, target: string, done: (err: Error | null) => void) => void;

const childProcess = createRequire(import.meta.url)('node:child_process') as typeof ChildProcess;

let active: FenceHandler | null = null;

type ExecFileCallback = (err: Error | null, stdout: string, stderr: string) => void;

/** Routes simulated fence calls to `handler` until the returned undo runs. */
export function installFence(handler: FenceHandler): () => void {
  assert(active === null, 'a simulated fence is already installed (two cluster-simulator runs at once?)');
  const real = childProcess.execFile;
  const fake = function (this: unknown, ...args: unknown[]): unknown {
    if (args[0] !== SIM_FENCE_COMMAND || active === null) return (real as (...a: unknown[]) => unknown).apply(this, args);
    const argv = args[1] as string[];
    const cb = args.find((a, i) => i > 0 && typeof a === 'function') as ExecFileCallback | undefined;
    const h = active;
    h(argv[0], argv[1], (err) => cb?.(err, '', ''));
    return { stdin: null }; // a child with nothing to write to (deps.ts systemCommands)
  };
  active = handler;
  childProcess.execFile = fake as unknown as typeof ChildProcess.execFile;
  syncBuiltinESMExports();
  return () => {
    childProcess.execFile = real;
    syncBuiltinESMExports();
    active = null;
  };
}
