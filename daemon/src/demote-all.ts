// `mdclusterd demote-all`: run by systemd's ExecStopPost after the daemon stopped for any reason
// (watchdog kill, crash, normal stop). Owns: switching read-only every array that this node's
// writer log says it left writable, so a killed master's kernel stops writing the shared disks.
// Invariants: only arrays with an open interval in <data-dir>/writer.log are touched (never an
// array the daemon does not manage, such as a local root mirror); each one is switched with
// STOP_ARRAY_RO through the md driver, falling back to stopping it; the interval is closed in the
// log. Exit status: 0 if every such array is read-only or stopped, 1 otherwise.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_CONFIG_PATH, loadConfig } from './config/load.js';
import { KernelMdDriver } from './md/kernel/driver.js';
import { systemClock } from './node/deps.js';
import { parseWriterLog, WriterLog } from './node/writer-log.js';

export async function demoteAll(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { config: { type: 'string', short: 'c' } }, strict: true });
  const config = loadConfig(values.config ?? DEFAULT_CONFIG_PATH);
  if (config.md.driver !== 'kernel') {
    process.stdout.write('mdclusterd: demote-all: the simulated driver keeps no arrays after the daemon exits\n');
    return 0;
  }
  const file = join(config.dataDir, 'writer.log');
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const open = parseWriterLog(text, config.nodeId, Number.POSITIVE_INFINITY).filter((i) => i.endWallMs === Number.POSITIVE_INFINITY);
  const log = new WriterLog(systemClock, file);
  const driver = new KernelMdDriver();
  let rc = 0;
  for (const { device } of open) {
    try {
      await driver.setReadOnly(device);
      process.stdout.write(`mdclusterd: /dev/${device} switched read-only\n`);
    } catch (e) {
      try {
        await driver.stop(device);
        process.stdout.write(`mdclusterd: /dev/${device} could not be switched read-only (${(e as Error).message}); stopped it\n`);
      } catch (e2) {
        process.stderr.write(`mdclusterd: /dev/${device} is STILL WRITABLE: ${(e2 as Error).message}\n`);
        rc = 1;
        continue;
      }
    }
    log.open(device, 0, 'demote-all (recorded open)');
    log.close(device, 'demote-all');
  }
  await driver.close();
  return rc;
}
