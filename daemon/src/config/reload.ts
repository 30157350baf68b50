// What a SIGHUP reload may change in a running daemon, and what needs a restart.
// Owns: the classification of every config key as run-time changeable or restart-only, and the
// diff of two Configs in the file's key names ("timing.lease-ticks", "peers.node2").
// Invariants: every key that differs between the two configs is reported in exactly one of
// `applied` and `needsRestart`; a key is run-time changeable only if it is listed in
// RUNTIME_KEYS (an unknown or new key is restart-only, the safe default); tls.* paths are
// reported as applied because the daemon re-reads the files on every reload anyway.
import type { Config } from './config.js';
import { formatHostPort } from './hostport.js';

/**
 * Keys a reload applies: the log level, the [alerts] section (used by mdctl --monitor and the
 * alert program, read from the running config), the fence command and its timeout (read at
 * each fence), and the TLS files (used for connections made after the reload).
 */
const RUNTIME_KEYS: readonly RegExp[] = [/^log\.level$/, /^alerts\./, /^master\.fence-command$/, /^master\.fence-timeout-ms$/, /^tls\./];

/** Config field names whose file key is not their kebab-case form. */
const FILE_KEY: Readonly<Record<string, string>> = { controlSocketPath: 'control-socket', caPath: 'ca', certPath: 'cert', keyPath: 'key' };

export interface ConfigDiff {
  /** Changed keys a reload applies. */
  applied: string[];
  /** Changed keys that take effect only after a restart. */
  needsRestart: string[];
}

export function isRuntimeKey(key: string): boolean {
  return RUNTIME_KEYS.some((r) => r.test(key));
}

export function diffConfigs(running: Config, next: Config): ConfigDiff {
  const a = flatten(running);
  const b = flatten(next);
  const keys = [...new Set([...a.keys(), ...b.keys()])].filter((k) => k !== 'file' && a.get(k) !== b.get(k)).sort();
  return { applied: keys.filter(isRuntimeKey), needsRestart: keys.filter((k) => !isRuntimeKey(k)) };
}

function fileKey(name: string): string {
  return FILE_KEY[name] ?? name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** Leaf key path -> canonical text of its value. */
function flatten(config: Config): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (prefix: string, v: unknown): void => {
    if (v instanceof Map) {
      for (const [k, x] of v) walk(`${prefix}.${String(k)}`, x);
    } else if (v !== null && typeof v === 'object' && !Array.isArray(v) && 'host' in v && 'port' in v) {
      out.set(prefix, formatHostPort(v as { host: string; port: number }));
    } else if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      for (const [k, x] of Object.entries(v)) walk(prefix === '' ? fileKey(k) : `${prefix}.${fileKey(k)}`, x);
    } else {
      out.set(prefix, JSON.stringify(v));
    }
  };
  walk('', config);
  return out;
}
