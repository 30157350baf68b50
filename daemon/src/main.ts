#!/usr/bin/env -S node --max-semi-space-size=4
// mdclusterd's entry point: `mdclusterd [--config PATH] [--pid-file PATH]`, `--check-config`,
// `mdclusterd init ...`, `mdclusterd gen-certs ...`, `demote-all`, `--version`, `--help`.
// Owns: argument parsing, start-up errors (`mdclusterd: <message>`, printed once, on stderr)
// with the exit statuses of exit-status.ts, and process signals: SIGTERM/SIGINT stop (a master
// hands leadership over first: daemon.ts), SIGHUP reloads the config (reload.ts; one that
// arrives during start-up is carried out once start-up finished, never kills the process).
import { parseArgs } from 'node:util';
import { DEFAULT_CONFIG_PATH, loadConfig } from './config/load.js';
import { OpError } from './common/errors.js';
import { productVersion } from './common/version.js';
import type { Config } from './config/config.js';
import { EXIT_BUG, EXIT_CONFIG, EXIT_DATA_DIR_LOCKED, EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from './exit-status.js';
import { createPinoLogger } from './log/pino-logger.js';
import { parseArgsOptions } from './daemon-options.js';
import { loadTlsMaterial } from './transport/tls-material.js';

const USAGE = `usage: mdclusterd [--config PATH] [--pid-file PATH]
       mdclusterd --check-config [--config PATH]   (validate the config and the TLS files, then exit)
       mdclusterd init --node ID --peers ID=HOST:PORT,... [--dir DIR] ...   (see mdclusterd init --help)
       mdclusterd gen-certs --dir DIR --nodes ID,ID,... [--hosts ...]
       mdclusterd demote-all [--config PATH]   (switch the arrays this node left writable read-only)
       mdclusterd --version | --help
Runs the cluster-aware md state daemon for one node (default config ${DEFAULT_CONFIG_PATH}).
SIGHUP re-reads the config: log.level, [alerts], master.fence-command, master.fence-timeout-ms
and the TLS files take effect; other changes are logged as needing a restart.
`;

const say = (line: string): void => { process.stderr.write(`mdclusterd: ${line}\n`); };

function exitFor(e: unknown): number {
  if (!(e instanceof OpError)) return EXIT_FAILURE;
  if (e.code === 'E_BAD_CONFIG') return EXIT_CONFIG;
  if (e.code === 'E_DATA_DIR_LOCKED') return EXIT_DATA_DIR_LOCKED;
  return EXIT_FAILURE;
}

/** Validates the config file and the TLS files it names; prints what it found. */
function checkConfig(file: string): number {
  let config: Config;
  try {
    config = loadConfig(file);
    loadTlsMaterial(config.tls, config.nodeId, Date.now());
  } catch (e) {
    say((e as Error).message);
    return exitFor(e);
  }
  process.stdout.write(`mdclusterd: ${config.file}: configuration OK (node ${config.nodeId}, ${config.peers.size} members, md.driver ${config.md.driver}${config.cluster.join ? ', joining' : ''})\n`);
  return EXIT_OK;
}

async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'gen-certs') return (await import('./transport/gen-certs-cli.js')).runGenCerts(argv.slice(1), (l) => process.stdout.write(l + '\n'), (l) => process.stderr.write(l + '\n'));
  if (argv[0] === 'demote-all') return (await import('./demote-all.js')).demoteAll(argv.slice(1));
  if (argv[0] === 'init') return (await import('./init-cli.js')).runInit(argv.slice(1), (l) => process.stdout.write(l + '\n'), (l) => process.stderr.write(l + '\n'));
  let values: { config?: string; 'pid-file'?: string; 'check-config'?: boolean; version?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({ args: argv, options: parseArgsOptions(), strict: true }) as { values: typeof values });
  } catch (e) {
    process.stderr.write(`mdclusterd: ${(e as Error).message.split('.')[0]}\n${USAGE}`);
    return EXIT_USAGE;
  }
  if (values.help) { process.stdout.write(USAGE); return EXIT_OK; }
  if (values.version) { process.stdout.write(`mdclusterd ${productVersion()}\n`); return EXIT_OK; }
  const file = values.config ?? DEFAULT_CONFIG_PATH;
  if (values['check-config']) return checkConfig(file);
  let config: Config;
  try {
    config = loadConfig(file);
  } catch (e) {
    say((e as Error).message);
    return exitFor(e);
  }
  // Until the daemon runs, a SIGHUP is remembered (its default action would kill us).
  let reloadPending = false;
  let reload: (() => void) | null = null;
  process.on('SIGHUP', () => { if (reload) reload(); else reloadPending = true; });
  const logger = createPinoLogger({ level: config.log.level, journalPrefix: config.log.journalPrefix, base: { node: config.nodeId } });
  const { startDaemon } = await import('./daemon.js');
  let d;
  try {
    d = await startDaemon(config, logger, { pidFile: values['pid-file'], setLogLevel: (l) => logger.setLevel(l) });
  } catch (e) {
    say(`start-up failed: ${e instanceof OpError ? `${e.message} [${e.code}]` : (e as Error).stack ?? String(e)}`);
    return exitFor(e);
  }
  const daemon = d;
  reload = () => { daemon.reload(); };
  if (reloadPending) reload();
  return new Promise<number>((resolve) => {
    const onSignal = (sig: string) => { void daemon.stop(sig).then(() => resolve(EXIT_OK), () => resolve(EXIT_FAILURE)); };
    process.once('SIGTERM', () => onSignal('SIGTERM'));
    process.once('SIGINT', () => onSignal('SIGINT'));
    process.on('uncaughtException', (e) => {
      logger.error({ err: e.stack }, 'uncaught exception: stopping');
      process.exit(EXIT_BUG);
    });
  });
}

main(process.argv.slice(2)).then((code) => process.exit(code), (e) => {
  process.stderr.write(`mdclusterd: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(EXIT_FAILURE);
});
