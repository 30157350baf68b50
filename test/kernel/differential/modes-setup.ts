// Host side of the mdadm-vs-mdctl guests (mdctl-modes, mdctl-grow): a one-node cluster's TLS
// files and config under the lab cache (the guest sees the host's tree, not its /tmp), and the
// guest programs compiled with their own tsconfig. Owns: that setup directory's life.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nodeId } from '../../../daemon/src/common/types.js';
import { CA_CERT_FILE, generateClusterCerts, nodeCertFile, nodeKeyFile } from '../../../daemon/src/transport/certs.js';
import { labPaths } from '../lab/config.js';

const NODE = nodeId('node1');

function renderConfig(dir: string): string {
  return [
    `node-id = "${NODE}"`, 'data-dir = "/var/lib/mdclusterd"',
    '[listen]', 'peer = "127.0.0.1:8401"', 'status = "127.0.0.1:8400"', 'control-socket = "/run/mdclusterd/control.sock"',
    '[peers]', `${NODE} = "127.0.0.1:8401"`,
    '[tls]', `ca = ${JSON.stringify(join(dir, CA_CERT_FILE))}`, `cert = ${JSON.stringify(join(dir, nodeCertFile(NODE)))}`, `key = ${JSON.stringify(join(dir, nodeKeyFile(NODE)))}`,
    '[md]', 'driver = "kernel"',
    '[timing]', 'tick-ms = 50', 'heartbeat-ticks = 2', 'election-ticks = 60', 'lease-ticks = 40', 'drift-bound-ticks = 4',
    '[master]', 'checkpoint-interval-ms = 1000', '[alerts]', 'syslog = false', '[log]', 'level = "info"', 'journal-prefix = "off"', '',
  ].join('\n');
}

/** Writes the setup directory `name-setup-<pid>` and compiles the guest programs; returns the directory. */
export async function prepareModesSetup(name: string): Promise<string> {
  const { repoRoot, cacheDir } = labPaths();
  const dir = join(cacheDir, `${name}-setup-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  await generateClusterCerts({ dir, nodes: [NODE], hosts: new Map([[NODE, ['127.0.0.1']]]) });
  writeFileSync(join(dir, 'mdclusterd.toml'), renderConfig(dir));
  execFileSync(join(repoRoot, 'node_modules/.bin/tsc'), ['-p', join(repoRoot, 'test/kernel/differential/tsconfig-modes.json')], { cwd: repoRoot, stdio: 'inherit' });
  return dir;
}
