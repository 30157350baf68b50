// Flag parsing of the simulator CLI (main.ts). Owns: turning argv into the list of seeds and
// run options. Invariant: never exits or prints; bad input throws UsageError with the message
// main.ts prints as `sim: <message>` (exit 2).
import { parseArgs } from 'node:util';
import { SIM_MAX_STEPS } from '../../daemon/src/common/limits.js';

const DEFAULT_SEEDS = 100;

export interface Cli {
  seeds: number[];
  steps: number | undefined;
  verbose: boolean;
}

export class UsageError extends Error {}

function positiveInt(name: string, v: string | undefined, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (v === undefined) return undefined;
  if (!/^[0-9]+$/.test(v)) throw new UsageError(`--${name} must be a positive integer, got ${JSON.stringify(v)}`);
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 1 || n > max) throw new UsageError(`--${name} must be in [1, ${max}], got ${v}`);
  return n;
}

export function parseCli(argv: string[]): Cli {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        seeds: { type: 'string' }, seed: { type: 'string' }, from: { type: 'string' },
        steps: { type: 'string' }, verbose: { type: 'boolean', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e));
  }
  const one = positiveInt('seed', values.seed);
  const count = positiveInt('seeds', values.seeds, 10_000_000);
  const from = positiveInt('from', values.from);
  const steps = positiveInt('steps', values.steps, SIM_MAX_STEPS);
  if (one !== undefined && (count !== undefined || from !== undefined)) throw new UsageError('--seed cannot be combined with --seeds or --from');
  const first = one ?? from ?? 1;
  const n = one !== undefined ? 1 : count ?? DEFAULT_SEEDS;
  if (!Number.isSafeInteger(first + n)) throw new UsageError('seed range out of bounds');
  return { seeds: Array.from({ length: n }, (_, i) => first + i), steps, verbose: values.verbose ?? false };
}
