// Flag parsing of the simulator CLI (main.ts). Owns: turning argv into the list of seeds and
// run options. Invariant: never exits or prints; bad input throws UsageError with the message
// main.ts prints as `sim: <message>` (exit 2).
import { parseArgs } from 'node:util';
import { SIM_MAX_SEEDS, SIM_MAX_STEPS } from '../lib/limits.js';
import type { RaftFaults } from '../../daemon/src/raft/types.js';
import type { Profile } from './scenario.js';

const DEFAULT_SEEDS = 100;

export interface Cli {
  seeds: number[];
  steps: number | undefined;
  verbose: boolean;
  /** --profile mixed|churn: pin the fault profile (default: drawn per seed). */
  profile: Profile | undefined;
  /** --fault NAME (repeatable): run a TEST-ONLY broken core variant, to see the checkers bite. */
  faults: RaftFaults | undefined;
}

const PROFILES: readonly Profile[] = ['mixed', 'churn'];
const FAULTS: readonly (keyof RaftFaults)[] = ['grantVoteWithoutLogCheck', 'commitPreviousTermByCounting', 'ignoreLease'];

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
        profile: { type: 'string' }, fault: { type: 'string', multiple: true },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e));
  }
  const one = positiveInt('seed', values.seed);
  const count = positiveInt('seeds', values.seeds, SIM_MAX_SEEDS);
  const from = positiveInt('from', values.from);
  const steps = positiveInt('steps', values.steps, SIM_MAX_STEPS);
  if (one !== undefined && (count !== undefined || from !== undefined)) throw new UsageError('--seed cannot be combined with --seeds or --from');
  const first = one ?? from ?? 1;
  const n = one !== undefined ? 1 : count ?? DEFAULT_SEEDS;
  if (!Number.isSafeInteger(first + n)) throw new UsageError('seed range out of bounds');
  const profile = values.profile;
  if (profile !== undefined && !PROFILES.includes(profile as Profile)) throw new UsageError(`--profile must be one of ${PROFILES.join(', ')}`);
  let faults: RaftFaults | undefined;
  for (const f of values.fault ?? []) {
    if (!FAULTS.includes(f as keyof RaftFaults)) throw new UsageError(`--fault must be one of ${FAULTS.join(', ')}`);
    faults = { ...faults, [f]: true };
  }
  return {
    seeds: Array.from({ length: n }, (_, i) => first + i), steps, verbose: values.verbose ?? false,
    profile: profile as Profile | undefined, faults,
  };
}
