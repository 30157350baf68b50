#!/usr/bin/env node
// mdctl's entry point: parse, dispatch to the mode, map errors to mdadm's exit codes.
// Owns: the process boundary (argv, stdout/stderr, exit code). Invariant: a usage error exits
// 2 before anything is sent to the daemon; every message on stderr starts with "mdctl: ".
// Start-up: mdctl is a short-lived process, and every module it loads costs start-up time (the
// `mdctl` benchmark compares it with `node -e 0`). So this file statically imports only what
// every run needs (argument parsing, the context); each mode, help and --version are loaded
// with import() when that mode runs, and each mode loads its own sub-operations the same way.
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parse, UsageError, type ParsedArgs } from './args.js';
import { ClientError } from './client.js';
import { Ctx, EXIT, type Io } from './context.js';

export async function run(argv: string[], io: Io): Promise<number> {
  let args: ParsedArgs;
  try {
    args = parse(argv);
  } catch (e) {
    if (e instanceof UsageError) { io.err(`mdctl: ${e.message}\n`); return EXIT.USAGE; }
    throw e;
  }
  if (args.mode === 'version') { io.err(`${(await import('./help.js')).versionText()}\n`); return EXIT.OK; }
  if (args.values.help === true) {
    const mode = args.mode === 'help' ? (args.values.manage ? 'manage' : args.values.misc ? 'misc' : null) : args.mode;
    io.out((await import('./help.js')).helpText(mode));
    return EXIT.OK;
  }
  const ctx = new Ctx(args, io);
  try {
    switch (args.mode) {
      case 'create': return await (await import('./create.js')).runCreate(ctx);
      case 'assemble': return await (await import('./assemble.js')).runAssemble(ctx);
      case 'manage': return await (await import('./manage.js')).runManage(ctx);
      case 'misc': return await (await import('./misc.js')).runMisc(ctx);
      case 'monitor': return await (await import('./monitor.js')).runMonitor(ctx);
      case 'cluster': return await (await import('./cluster.js')).runCluster(ctx);
      case 'incremental': return await (await import('./incremental.js')).runIncremental(ctx);
      case 'build': ctx.note('--build makes an array without superblocks, which a cluster cannot identify on other nodes: not supported (use --create)'); return EXIT.FAIL;
      case 'grow': return await (await import('./grow.js')).runGrow(ctx);
      case 'help': io.out((await import('./help.js')).helpText(null)); return EXIT.OK;
    }
    return EXIT.OK;
  } catch (e) {
    if (e instanceof UsageError) { io.err(`mdctl: ${e.message}\n`); return EXIT.USAGE; }
    if (e instanceof ClientError) { io.err(`mdctl: ${e.message} [${e.code}]\n`); return args.values.test === true && args.mode === 'misc' ? EXIT.NO_INFO : EXIT.FAIL; }
    io.err(`mdctl: internal error: ${(e as Error).stack ?? String(e)}\n`);
    return EXIT.FAIL;
  } finally {
    if (args.mode !== 'monitor') ctx.close();
  }
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href;
if (isMain) {
  run(process.argv.slice(2), { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t), env: process.env })
    .then((code) => { process.exitCode = code; }, (e) => { process.stderr.write(`mdctl: ${(e as Error).message}\n`); process.exitCode = 1; });
}
