#!/usr/bin/env node
// mdclusterd's entry point: `mdclusterd [--config PATH] [--pid-file PATH]`,
// `mdclusterd gen-certs ...`, `--version`, `--help`. Owns: argument parsing, start-up errors
// (`mdclusterd: <message>`, exit 2 for usage/config, 1 otherwise) and process signals.
import { parseArgs } from 'node:util';
import { DEFAULT_CONFIG_PATH, loadConfig } from './config/load.js';
import { OpError } from './common/errors.js';
import { createPinoLogger } from './log/pino-logger.js';

const USAGE = `usage: mdclusterd [--config PATH] [--pid-file PATH]
       mdclusterd gen-certs --dir DIR --nodes ID,ID,... [--hosts ...]
       mdclusterd demote-all [--config PATH]   (switch the arrays this node left writable read-only)
       mdclusterd --version | --help
Runs the cluster-aware md state daemon for one node (default config ${DEFAULT_CONFIG_PATH}).
`;

async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'gen-certs') return (await import('./transport/gen-certs-cli.js')).runGenCerts(argv.slice(1), (l) => process.stdout.write(l + '\n'), (l) => process.stderr.write(l + '\n'));
  if (argv[0] === 'demote-all') return (await import('./demote-all.js')).demoteAll(argv.slice(1));
  let values: { config?: string; 'pid-file'?: string; version?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({ args: argv, options: { config: { type: 'string', short: 'c' }, 'pid-file': { type: 'string' }, version: { type: 'boolean', short: 'V' }, help: { type: 'boolean', short: 'h' } }, strict: true }));
  } catch (e) {
    process.stderr.write(`mdclusterd: ${(e as Error).message.split('.')[0]}\n${USAGE}`);
    return 2;
  }
  if (values.help) { process.stdout.write(USAGE); return 0; }
  if (values.version) { process.stdout.write('mdclusterd 0.1.0\n'); return 0; }
  let config;
  try {
    config = loadConfig(values.config ?? DEFAULT_CONFIG_PATH);
  } catch (e) {
    process.stderr.write(`mdclusterd: ${(e as Error).message}\n`);
    return 2;
  }
  const logger = createPinoLogger({ level: config.log.level, journalPrefix: config.log.journalPrefix, base: { node: config.nodeId } });
  const { startDaemon } = await import('./daemon.js');
  let d;
  try {
    d = await startDaemon(config, logger, { pidFile: values['pid-file'] });
  } catch (e) {
    const msg = e instanceof OpError ? `${e.message} [${e.code}]` : (e as Error).stack ?? String(e);
    logger.error({ err: msg }, 'start-up failed');
    process.stderr.write(`mdclusterd: start-up failed: ${msg}\n`);
    return 1;
  }
  const daemon = d;
  return new Promise<number>((resolve) => {
    const onSignal = (sig: string) => { void daemon.stop(sig).then(() => resolve(0), () => resolve(1)); };
    process.once('SIGTERM', () => onSignal('SIGTERM'));
    process.once('SIGINT', () => onSignal('SIGINT'));
    process.on('uncaughtException', (e) => {
      logger.error({ err: e.stack }, 'uncaught exception: stopping');
      process.exit(70);
    });
  });
}

main(process.argv.slice(2)).then((code) => process.exit(code), (e) => {
  process.stderr.write(`mdclusterd: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
