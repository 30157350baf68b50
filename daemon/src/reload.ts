// SIGHUP: re-reading mdclusterd.toml in a running daemon.
// Owns: what a reload applies (config/reload.ts decides which keys may change at run time) and
// what it logs. Applied: log.level (every logger at once), [alerts], master.fence-command and
// fence-timeout-ms (used from the next fence on), and the TLS files (re-read and checked like
// at start-up, used for connections made after the reload; open links keep theirs).
// Invariants: a reload never stops the daemon and never throws; an invalid file or invalid TLS
// files change nothing (the error is logged with its code and the running config stays); every
// changed key that needs a restart is logged by name; fence-required keeps a non-empty fence
// command (a reload that would empty it is refused for that key).
import { OpError } from './common/errors.js';
import type { Config } from './config/config.js';
import { loadConfig } from './config/load.js';
import { diffConfigs } from './config/reload.js';
import type { Logger } from './log/logger.js';
import type { ClusterNode } from './node/node.js';
import { loadTlsMaterial, type TlsMaterial } from './transport/tls-material.js';
import type { Transport } from './transport/transport.js';

export interface ReloadOutcome {
  ok: boolean;
  applied: string[];
  needsRestart: string[];
  error: string | null;
}

export interface ReloadDeps {
  logger: Logger;
  node: Pick<ClusterNode, 'setFenceCommand'>;
  transport: Pick<Transport, 'reloadTls'>;
  setLogLevel(level: Config['log']['level']): void;
  onTls(tls: TlsMaterial): void;
  /** The new configuration's [alerts] (the daemon's alert delivery, daemon/src/alerts.ts). */
  onAlerts?(next: Config): void;
}

export function makeReloader(initial: Config, deps: ReloadDeps): { reload(): ReloadOutcome; running(): Config } {
  let running = initial;
  const failed = (what: string, e: unknown): ReloadOutcome => {
    const code = e instanceof OpError ? e.code : 'E_INTERNAL';
    const msg = (e as Error).message;
    deps.logger.error({ code, err: msg, file: running.file }, `reload (SIGHUP) refused: ${what}; the running configuration is unchanged`);
    return { ok: false, applied: [], needsRestart: [], error: `${msg} [${code}]` };
  };
  const reload = (): ReloadOutcome => {
    let next: Config;
    try {
      next = loadConfig(running.file);
    } catch (e) {
      return failed('the config file is invalid', e);
    }
    let tls: TlsMaterial;
    try {
      tls = loadTlsMaterial(next.tls, running.nodeId, Date.now());
    } catch (e) {
      return failed('the TLS files are invalid', e);
    }
    const { applied, needsRestart } = diffConfigs(running, next);
    let master = running.master;
    const fenceChanged = applied.includes('master.fence-command') || applied.includes('master.fence-timeout-ms');
    if (fenceChanged && running.master.fenceRequired && next.master.fenceCommand.length === 0) {
      applied.splice(applied.indexOf('master.fence-command'), 1);
      needsRestart.push('master.fence-command (empty while the running fence-required = true)');
    } else if (fenceChanged) {
      deps.node.setFenceCommand(next.master.fenceCommand, next.master.fenceTimeoutMs);
      master = { ...running.master, fenceCommand: next.master.fenceCommand, fenceTimeoutMs: next.master.fenceTimeoutMs };
    }
    if (next.log.level !== running.log.level) deps.setLogLevel(next.log.level);
    deps.transport.reloadTls(tls);
    deps.onTls(tls);
    deps.onAlerts?.(next);
    running = { ...running, master, alerts: next.alerts, tls: next.tls, log: { ...running.log, level: next.log.level } };
    deps.logger.info({ applied, file: running.file }, 'configuration reloaded (SIGHUP); TLS files re-read for new connections');
    if (needsRestart.length > 0) {
      deps.logger.warn({ keys: needsRestart }, `changed keys not applied, they need a restart (systemctl restart mdclusterd): ${needsRestart.join(', ')}`);
    }
    return { ok: true, applied, needsRestart, error: null };
  };
  return { reload, running: () => running };
}
