// The `mdclusterd gen-certs` sub-command: argument parsing and the printed summary.
// Usage: mdclusterd gen-certs --dir D --nodes node1,node2,node3
//          [--hosts node1=10.0.0.1,node1=n1.lan,node2=10.0.0.2 | --hosts 10.0.0.1,10.0.0.2,...]
//          [--days N] [--ca-days N] [--force]
// Owns: the command-line surface; the work is in certs.ts.
// Invariant: every bad argument is OpError('E_USAGE') with a message naming the argument;
// runGenCerts never throws anything else for bad input.
import { resolve } from 'node:path';
import { OpError } from '../common/errors.js';
import { CERT_CLI_MAX_ARG_CHARS } from '../common/limits.js';
import type { NodeId } from '../common/types.js';
import { generateClusterCerts, type GenCertsOptions } from './certs.js';

export const GEN_CERTS_USAGE = 'usage: mdclusterd gen-certs --dir DIR --nodes ID,ID,... [--hosts ID=HOST,... | HOST,HOST,...] [--days N] [--ca-days N] [--force]';

const VALUE_FLAGS = new Set(['--dir', '--nodes', '--hosts', '--days', '--ca-days']);

/** Parses the arguments after "gen-certs". */
export function parseGenCertsArgs(argv: readonly string[]): GenCertsOptions {
  const values = new Map<string, string>();
  let force = false;
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i];
    let value: string | undefined;
    const eq = arg.indexOf('=');
    if (arg.startsWith('--') && eq > 0) {
      value = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
    }
    if (arg === '--force' && value === undefined) {
      force = true;
      continue;
    }
    if (!VALUE_FLAGS.has(arg)) throw new OpError('E_USAGE', `unknown argument ${JSON.stringify(arg)}\n${GEN_CERTS_USAGE}`);
    if (value === undefined) {
      if (i + 1 >= argv.length) throw new OpError('E_USAGE', `${arg} needs a value\n${GEN_CERTS_USAGE}`);
      value = argv[++i];
    }
    if (values.has(arg)) throw new OpError('E_USAGE', `${arg} given twice`);
    if (value.length > CERT_CLI_MAX_ARG_CHARS) throw new OpError('E_USAGE', `${arg} is too long`);
    values.set(arg, value);
  }
  const dir = values.get('--dir');
  const nodesText = values.get('--nodes');
  if (dir === undefined || dir === '') throw new OpError('E_USAGE', `--dir is required\n${GEN_CERTS_USAGE}`);
  if (nodesText === undefined) throw new OpError('E_USAGE', `--nodes is required\n${GEN_CERTS_USAGE}`);
  const nodes = splitList(nodesText) as NodeId[];
  return {
    dir: resolve(dir),
    nodes,
    hosts: parseHosts(values.get('--hosts'), nodes),
    nodeDays: parseDays('--days', values.get('--days')),
    caDays: parseDays('--ca-days', values.get('--ca-days')),
    force,
  };
}

function splitList(s: string): string[] {
  return s.split(',').map((x) => x.trim()).filter((x) => x !== '');
}

/** "id=host,id=host" (repeat an id for several names), or "host,host" aligned with --nodes. */
function parseHosts(text: string | undefined, nodes: readonly NodeId[]): Map<NodeId, string[]> {
  const hosts = new Map<NodeId, string[]>();
  if (text === undefined) return hosts;
  const items = splitList(text);
  const paired = items.filter((x) => x.includes('='));
  if (paired.length === 0) {
    if (items.length !== nodes.length) {
      throw new OpError('E_USAGE', `--hosts without ID= prefixes must list one host per node (${nodes.length}), got ${items.length}`);
    }
    items.forEach((h, i) => hosts.set(nodes[i], [h]));
    return hosts;
  }
  if (paired.length !== items.length) throw new OpError('E_USAGE', '--hosts must use ID=HOST for every entry or for none');
  for (const item of items) {
    const eq = item.indexOf('=');
    const id = item.slice(0, eq) as NodeId;
    const host = item.slice(eq + 1);
    if (host === '') throw new OpError('E_USAGE', `--hosts entry ${JSON.stringify(item)} has no host`);
    const list = hosts.get(id) ?? [];
    list.push(host);
    hosts.set(id, list);
  }
  return hosts;
}

function parseDays(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^[0-9]{1,6}$/.test(text)) throw new OpError('E_USAGE', `${flag} expects a whole number of days, got ${JSON.stringify(text)}`);
  return Number(text);
}

/** Runs the sub-command; returns the exit status. Messages go to `out` / `err`. */
export async function runGenCerts(argv: readonly string[], out: (line: string) => void, err: (line: string) => void): Promise<number> {
  try {
    const opts = parseGenCertsArgs(argv);
    const result = await generateClusterCerts(opts);
    out(result.caReused ? `reused the CA in ${opts.dir}` : `created a new cluster CA in ${opts.dir}`);
    for (const f of result.written) out(`wrote ${f}`);
    out('copy ca.crt and each node\'s own .crt/.key to that node (keys stay mode 0600); keep ca.key offline');
    return 0;
  } catch (e) {
    if (e instanceof OpError) {
      err(`mdclusterd gen-certs: ${e.code}: ${e.message}`);
      return 2;
    }
    throw e;
  }
}
