// Loading mdclusterd.toml: read (size-bounded), parse TOML, validate, build the typed Config.
// Owns: turning every way a config can be wrong into one OpError('E_BAD_CONFIG') whose message
// names the file, the key path and what is allowed (one line per problem), and whose details
// carry {file, issues: [{path, message}]} for programs.
// Invariant: loadConfig/parseConfigText either return a Config that satisfies every invariant
// in config.ts, or throw OpError('E_BAD_CONFIG'); they never throw anything else.
import { openSync, closeSync, fstatSync, readSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseToml, TomlError } from 'smol-toml';
import type { z } from 'zod';
import { OpError } from '../common/errors.js';
import { CONFIG_MAX_BYTES } from '../common/limits.js';
import { allowedKeysAt, rawConfigSchema } from './schema.js';
import { buildConfig, type Config, type ConfigIssue } from './config.js';

export const DEFAULT_CONFIG_PATH = '/etc/mdclusterd/mdclusterd.toml';

/** Reads and validates the config file at `file`. Throws OpError('E_BAD_CONFIG'). */
export function loadConfig(file: string): Config {
  const absFile = resolve(file);
  return parseConfigText(readBounded(absFile), absFile);
}

/** Validates config text as if read from `file` (relative paths resolve against its directory). */
export function parseConfigText(text: string, file: string): Config {
  const absFile = resolve(file);
  let doc: unknown;
  try {
    doc = parseToml(text);
  } catch (e) {
    const where = e instanceof TomlError ? `:${e.line}:${e.column}` : '';
    const what = e instanceof Error ? e.message.split('\n')[0] : String(e);
    throw new OpError('E_BAD_CONFIG', `${absFile}${where}: not valid TOML: ${what}`, { file: absFile, issues: [{ path: [], message: what }] });
  }
  const parsed = rawConfigSchema.safeParse(doc);
  if (!parsed.success) throw configError(absFile, parsed.error.issues.map((i) => describeIssue(i, doc)));
  const built = buildConfig(parsed.data, absFile);
  if (!built.ok) throw configError(absFile, built.issues);
  return built.config;
}

function readBounded(file: string): string {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    throw new OpError('E_BAD_CONFIG', `${file}: cannot read the config file: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { file, issues: [] });
  }
  try {
    const size = fstatSync(fd).size;
    if (size > CONFIG_MAX_BYTES) {
      throw new OpError('E_BAD_CONFIG', `${file}: the config file is ${size} bytes; at most ${CONFIG_MAX_BYTES} are allowed`, { file, issues: [] });
    }
    const buf = Buffer.alloc(CONFIG_MAX_BYTES + 1);
    let len = 0;
    for (;;) {
      const n = readSync(fd, buf, len, buf.length - len, null);
      if (n === 0) break;
      len += n;
      if (len > CONFIG_MAX_BYTES) {
        throw new OpError('E_BAD_CONFIG', `${file}: the config file exceeds ${CONFIG_MAX_BYTES} bytes`, { file, issues: [] });
      }
    }
    return buf.toString('utf8', 0, len);
  } catch (e) {
    if (e instanceof OpError) throw e;
    throw new OpError('E_BAD_CONFIG', `${file}: cannot read the config file: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { file, issues: [] });
  } finally {
    closeSync(fd);
  }
}

function configError(file: string, issues: ConfigIssue[]): OpError {
  const lines = issues.map((i) => `${file}: ${formatPath(i.path)}: ${i.message}`);
  return new OpError('E_BAD_CONFIG', lines.join('\n'), { file, issues });
}

/** "timing.lease-ticks", "master.fence-command[0]", "(top level)". */
export function formatPath(path: readonly (string | number)[]): string {
  if (path.length === 0) return '(top level)';
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += (out === '' ? '' : '.') + (/^[A-Za-z0-9_-]+$/.test(p) ? p : JSON.stringify(p));
  }
  return out;
}

function describeIssue(issue: z.core.$ZodIssue, doc: unknown): ConfigIssue {
  const path = issue.path.map((p) => (typeof p === 'number' ? p : String(p)));
  if (issue.code === 'unrecognized_keys') {
    const allowed = allowedKeysAt(issue.path);
    const where = allowed === null ? '' : ` (allowed here: ${allowed.join(', ')})`;
    return { path: [...path, issue.keys[0]], message: `unknown key${issue.keys.length > 1 ? `s ${issue.keys.join(', ')}` : ''}${where}` };
  }
  const got = valueAt(doc, issue.path);
  if (got.found) return { path, message: `${issue.message}, got ${describeValue(got.value)}` };
  return { path, message: `missing: ${issue.message}` };
}

function valueAt(doc: unknown, path: readonly PropertyKey[]): { found: boolean; value?: unknown } {
  let cur: unknown = doc;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object' || !Object.prototype.hasOwnProperty.call(cur, key)) return { found: false };
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return { found: true, value: cur };
}

function describeValue(v: unknown): string {
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (v !== null && typeof v === 'object') return v instanceof Date ? 'a date' : 'a table';
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
