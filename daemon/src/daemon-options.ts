// mdclusterd's own command-line options and sub-commands: the one table main.ts parses with and
// the manual page and bash completion (pkg/) are generated from. Owns: names, types, one-line
// descriptions. Invariant: main.ts passes exactly these options to parseArgs.
import { DEFAULT_CONFIG_PATH } from './config/load.js';

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** The value's name in usage text (string options). */
  arg?: string;
  description: string;
}

export const DAEMON_OPTIONS = {
  config: { type: 'string', short: 'c', arg: 'PATH', description: `the configuration file (default ${DEFAULT_CONFIG_PATH})` },
  'pid-file': { type: 'string', arg: 'PATH', description: 'write the daemon\'s pid there once it runs; removed on a clean stop' },
  'check-config': { type: 'boolean', description: 'validate the configuration and the TLS files it names, print the result and exit (0 or 78)' },
  version: { type: 'boolean', short: 'V', description: 'print the version and exit' },
  help: { type: 'boolean', short: 'h', description: 'print the usage and exit' },
} as const satisfies Record<string, OptionSpec>;

export const DAEMON_SUBCOMMANDS = [
  { name: 'init', summary: 'write this node\'s configuration and TLS files; on the first node also the cluster CA and one bundle per other node' },
  { name: 'gen-certs', summary: 'make a cluster CA and per-node certificates for mutual TLS' },
  { name: 'demote-all', summary: 'switch the arrays this node left writable read-only (systemd ExecStopPost=)' },
] as const;

/** DAEMON_OPTIONS as node:util parseArgs wants them. */
export function parseArgsOptions(): Record<string, { type: 'string' | 'boolean'; short?: string }> {
  return Object.fromEntries(Object.entries(DAEMON_OPTIONS).map(([k, v]) => [k, 'short' in v ? { type: v.type, short: v.short } : { type: v.type }]));
}
