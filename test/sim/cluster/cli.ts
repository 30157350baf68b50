// Flag parsing of the cluster-simulator CLI (main.ts). Owns: argv -> the seeds and run options.
// Invariant: never exits or prints; bad input throws UsageError, which main.ts prints as
// `cluster-sim: <message>` with exit status 2.
import { parseArgs } from 'node:util';
import { CLUSTER_SIM_MAX_SEEDS } from '../../lib/limits.js';
import { FAULT_KINDS, OPT_IN_FAULTS, WORLD_PROFILES, type FaultKind, type WorldProfile } from './world.js';

const DEFAULT_SEEDS = 20;
const MAX_CHAOS_MS = 600_000;

export interface ClusterCli {
  seeds: number[];
  verbose: boolean;
  nodes: number | undefined;
  chaosMs: number | undefined;
  /** Fault kinds never drawn (--without=a,b). */
  without: FaultKind[];
  /** Opt-in fault kinds drawn too (--with=stall). */
  with: FaultKind[];
  /** --profile=NAME: every seed runs in this world profile (default: the seed's). */
  profile: WorldProfile | undefined;
  /** --clients=on|off: sim clients with sessions and the history checker (default: DEFAULT_CLIENTS). */
  clients: boolean;
}

/** Whether runs have sim clients unless told otherwise (the CLI's and the vitest sweep's default). */
export const DEFAULT_CLIENTS = true;

export class UsageError extends Error {}

function positiveInt(name: string, v: string | undefined, max: number): number | undefined {
  if (v === undefined) return undefined;
  if (!/^[0-9]+$/.test(v)) throw new UsageError(`--${name} must be a positive integer, got ${JSON.stringify(v)}`);
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 1 || n > max) throw new UsageError(`--${name} must be in [1, ${max}], got ${v}`);
  return n;
}

/** A comma-separated list of fault kinds (empty when the flag is absent). */
function faultKinds(flag: string, v: string | undefined): FaultKind[] {
  const kinds = v === undefined ? [] : v.split(',').filter((k) => k !== '');
  const unknown = kinds.filter((k) => !(FAULT_KINDS as readonly string[]).includes(k));
  if (unknown.length > 0) throw new UsageError(`--${flag}: unknown fault kind ${unknown.join(', ')} (kinds: ${FAULT_KINDS.join(', ')})`);
  return kinds as FaultKind[];
}

export function parseClusterCli(argv: string[]): ClusterCli {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        seeds: { type: 'string' }, seed: { type: 'string' }, from: { type: 'string' },
        nodes: { type: 'string' }, 'chaos-ms': { type: 'string' }, without: { type: 'string' }, with: { type: 'string' },
        profile: { type: 'string' }, clients: { type: 'string' },
        verbose: { type: 'boolean', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e));
  }
  const one = positiveInt('seed', values.seed, Number.MAX_SAFE_INTEGER);
  const count = positiveInt('seeds', values.seeds, CLUSTER_SIM_MAX_SEEDS);
  const from = positiveInt('from', values.from, Number.MAX_SAFE_INTEGER);
  const nodes = positiveInt('nodes', values.nodes, 9);
  if (nodes !== undefined && nodes !== 3 && nodes !== 5) throw new UsageError('--nodes must be 3 or 5');
  const chaosMs = positiveInt('chaos-ms', values['chaos-ms'], MAX_CHAOS_MS);
  const without = faultKinds('without', values.without);
  const withKinds = faultKinds('with', values.with);
  const notOptIn = withKinds.filter((k) => !OPT_IN_FAULTS.includes(k));
  if (notOptIn.length > 0) throw new UsageError(`--with: ${notOptIn.join(', ')} is drawn anyway (opt-in kinds: ${OPT_IN_FAULTS.join(', ')})`);
  const profile = values.profile as string | undefined;
  if (profile !== undefined && !(WORLD_PROFILES as readonly string[]).includes(profile)) {
    throw new UsageError(`--profile: unknown profile ${profile} (profiles: ${WORLD_PROFILES.join(', ')})`);
  }
  const clientsFlag = values.clients as string | undefined;
  if (clientsFlag !== undefined && clientsFlag !== 'on' && clientsFlag !== 'off') throw new UsageError('--clients must be on or off');
  if (one !== undefined && (count !== undefined || from !== undefined)) throw new UsageError('--seed cannot be combined with --seeds or --from');
  const first = one ?? from ?? 1;
  const n = one !== undefined ? 1 : count ?? DEFAULT_SEEDS;
  if (!Number.isSafeInteger(first + n)) throw new UsageError('seed range out of bounds');
  return { seeds: Array.from({ length: n }, (_, i) => first + i), verbose: values.verbose ?? false, nodes, chaosMs,
    without, with: withKinds, profile: profile as WorldProfile | undefined,
    clients: clientsFlag === undefined ? DEFAULT_CLIENTS : clientsFlag === 'on' };
}
