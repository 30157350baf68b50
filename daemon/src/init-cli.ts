// `mdclusterd init`: one command per node instead of hand-copied certificates and hand-written
// configs. On the first node it makes the cluster CA and every node's certificate, writes this
// node's config and TLS files, and one bundle per other node; on the others it writes the config
// and TLS files from that node's bundle (--from-bundle).
// Layout under --dir (default /etc/mdclusterd): mdclusterd.toml, tls/{ca.crt,ID.crt,ID.key},
// ca/ (the CA and every certificate, for adding nodes later with gen-certs --dir DIR/ca; keep it
// offline), bundles/ID.bundle (mode 0600: it holds that node's private key).
// Owns: the command line, the bundle format and the generated config text.
// Invariants: nothing is written over an existing config without --force; the config text is
// validated by the daemon's own loader (config/load.ts) before it is written, and the written
// config plus its TLS files are loaded and checked again afterwards (exactly what start-up and
// --check-config do); keys and bundles are written mode 0600 by rename (never half-written).
import { existsSync, mkdirSync, openSync, readSync, closeSync, readFileSync, fstatSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { OpError } from './common/errors.js';
import { INIT_BUNDLE_MAX_BYTES, RAFT_MAX_MEMBERS } from './common/limits.js';
import { isNodeId, type NodeId } from './common/types.js';
import { parseHostPort } from './config/hostport.js';
import { loadConfig, parseConfigText } from './config/load.js';
import { CA_CERT_FILE, generateClusterCerts, nodeCertFile, nodeKeyFile, writeAtomic } from './transport/certs.js';
import { loadTlsMaterial } from './transport/tls-material.js';
import { EXIT_CONFIG, EXIT_OK, EXIT_USAGE } from './exit-status.js';

export const INIT_OPTIONS = {
  node: { type: 'string', description: 'this node\'s id (one of --peers)' },
  peers: { type: 'string', description: 'every member: ID=HOST:PORT,... (the peer listener of each)' },
  'from-bundle': { type: 'string', description: 'join: write this node\'s files from a bundle made on the first node' },
  dir: { type: 'string', description: 'configuration directory (default /etc/mdclusterd)' },
  'data-dir': { type: 'string', description: 'Raft log directory (default /var/lib/mdclusterd)' },
  status: { type: 'string', description: 'status HTTP listener HOST:PORT (default 127.0.0.1:8400)' },
  'control-socket': { type: 'string', description: 'mdctl\'s control socket (default /run/mdclusterd/control.sock)' },
  'md-driver': { type: 'string', description: '"kernel" (default) or "sim"' },
  'sim-disk-dir': { type: 'string', description: 'simulated disk directory (with --md-driver sim)' },
  force: { type: 'boolean', description: 'replace an existing config, TLS files and bundles' },
  help: { type: 'boolean', description: 'print this help' },
} as const;

export const INIT_USAGE = `usage: mdclusterd init --node ID --peers ID=HOST:PORT,... [--dir DIR] [options]   (first node)
       mdclusterd init --from-bundle FILE [--dir DIR] [options]                    (every other node)
options: --data-dir DIR --status HOST:PORT --control-socket PATH --md-driver kernel|sim
         --sim-disk-dir DIR --force`;

const BUNDLE_FORMAT = 'mdclusterd-node-bundle/1';

interface Bundle {
  format: typeof BUNDLE_FORMAT;
  node: NodeId;
  peers: Record<string, string>;
  ca: string;
  cert: string;
  key: string;
}

interface Local {
  dir: string;
  dataDir?: string;
  status?: string;
  controlSocket?: string;
  mdDriver?: string;
  simDiskDir?: string;
  force: boolean;
}

const usage = (msg: string): OpError => new OpError('E_USAGE', `${msg}\n${INIT_USAGE}`);
const q = (s: string): string => JSON.stringify(s);

/** "n1=10.0.0.1:8401,n2=..." -> ordered map; every id valid, every address host:port, distinct. */
export function parsePeerList(text: string): Map<NodeId, string> {
  const peers = new Map<NodeId, string>();
  for (const item of text.split(',').map((x) => x.trim()).filter((x) => x !== '')) {
    const eq = item.indexOf('=');
    const id = item.slice(0, eq);
    const addr = item.slice(eq + 1);
    if (eq <= 0 || !isNodeId(id)) throw usage(`--peers entry ${q(item)}: expected ID=HOST:PORT with a valid node id`);
    if (parseHostPort(addr) === null) throw usage(`--peers entry ${q(item)}: ${q(addr)} is not HOST:PORT`);
    if (peers.has(id)) throw usage(`--peers names ${id} twice`);
    peers.set(id, addr);
  }
  if (peers.size < 1 || peers.size > RAFT_MAX_MEMBERS) throw usage(`--peers must list 1 to ${RAFT_MAX_MEMBERS} members, got ${peers.size}`);
  return peers;
}

/** The config text of one node (keys the loader defaults are left out unless given). */
export function renderInitConfig(node: NodeId, peers: ReadonlyMap<string, string>, tlsDir: string, local: Local): string {
  const lines = [
    `# mdclusterd.toml for ${node}, written by \`mdclusterd init\`. Every key and its default:`,
    '# /usr/share/doc/mdclusterd/mdclusterd.toml.example and mdclusterd.toml(5).',
    `node-id = ${q(node)}`,
  ];
  if (local.dataDir !== undefined) lines.push(`data-dir = ${q(resolve(local.dataDir))}`);
  lines.push('', '[listen]', `peer = ${q(peers.get(node)!)}`);
  if (local.status !== undefined) lines.push(`status = ${q(local.status)}`);
  if (local.controlSocket !== undefined) lines.push(`control-socket = ${q(resolve(local.controlSocket))}`);
  lines.push('', '[peers]', ...[...peers].map(([id, a]) => `${id} = ${q(a)}`));
  lines.push('', '[tls]', `ca = ${q(join(tlsDir, CA_CERT_FILE))}`, `cert = ${q(join(tlsDir, nodeCertFile(node)))}`, `key = ${q(join(tlsDir, nodeKeyFile(node)))}`);
  lines.push('', '[md]', `driver = ${q(local.mdDriver ?? 'kernel')}`);
  if (local.simDiskDir !== undefined) lines.push(`sim-disk-dir = ${q(resolve(local.simDiskDir))}`);
  return lines.join('\n') + '\n';
}

function refuseExisting(path: string, force: boolean): void {
  if (!force && existsSync(path)) throw usage(`${path} exists; use --force to replace it`);
}

/** Writes this node's TLS files and config, validating the text first and the result after. */
function writeNode(node: NodeId, peers: ReadonlyMap<string, string>, pem: { ca: string; cert: string; key: string }, local: Local): string[] {
  const configFile = join(local.dir, 'mdclusterd.toml');
  const tlsDir = join(local.dir, 'tls');
  const text = renderInitConfig(node, peers, tlsDir, local);
  parseConfigText(text, configFile);
  mkdirSync(tlsDir, { recursive: true, mode: 0o755 });
  writeAtomic(join(tlsDir, CA_CERT_FILE), pem.ca, 0o644);
  writeAtomic(join(tlsDir, nodeCertFile(node)), pem.cert, 0o644);
  writeAtomic(join(tlsDir, nodeKeyFile(node)), pem.key, 0o600);
  writeAtomic(configFile, text, 0o644);
  const config = loadConfig(configFile);
  loadTlsMaterial(config.tls, config.nodeId, Date.now());
  return [configFile, join(tlsDir, CA_CERT_FILE), join(tlsDir, nodeCertFile(node)), join(tlsDir, nodeKeyFile(node))];
}

async function initFirst(node: NodeId, peers: Map<NodeId, string>, local: Local): Promise<string[]> {
  if (!peers.has(node)) throw usage(`--node ${node} is not one of --peers (${[...peers.keys()].join(', ')})`);
  refuseExisting(join(local.dir, 'mdclusterd.toml'), local.force);
  const caDir = join(local.dir, 'ca');
  const ids = [...peers.keys()];
  const hosts = new Map(ids.map((id) => [id, [parseHostPort(peers.get(id)!)!.host]]));
  await generateClusterCerts({ dir: caDir, nodes: ids, hosts, force: local.force });
  const read = (f: string): string => readFileSync(join(caDir, f), 'utf8');
  const peerTable = Object.fromEntries(peers);
  const written = writeNode(node, peers, { ca: read(CA_CERT_FILE), cert: read(nodeCertFile(node)), key: read(nodeKeyFile(node)) }, local);
  const bundleDir = join(local.dir, 'bundles');
  mkdirSync(bundleDir, { recursive: true, mode: 0o700 });
  for (const id of ids) {
    if (id === node) continue;
    const b: Bundle = { format: BUNDLE_FORMAT, node: id, peers: peerTable, ca: read(CA_CERT_FILE), cert: read(nodeCertFile(id)), key: read(nodeKeyFile(id)) };
    const file = join(bundleDir, `${id}.bundle`);
    refuseExisting(file, local.force);
    writeAtomic(file, JSON.stringify(b) + '\n', 0o600);
    written.push(file);
  }
  return written;
}

export function readBundle(file: string): Bundle {
  let text: string;
  let fd: number;
  try { fd = openSync(file, 'r'); } catch (e) { throw usage(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`); }
  try {
    const size = fstatSync(fd).size;
    if (size > INIT_BUNDLE_MAX_BYTES) throw usage(`${file} is ${size} bytes; a bundle is at most ${INIT_BUNDLE_MAX_BYTES}`);
    const buf = Buffer.alloc(size);
    let len = 0;
    while (len < size) {
      const n = readSync(fd, buf, len, size - len, null);
      if (n === 0) break;
      len += n;
    }
    text = buf.toString('utf8', 0, len);
  } finally { closeSync(fd); }
  let b: unknown;
  try { b = JSON.parse(text); } catch { throw usage(`${file}: not a node bundle (not JSON)`); }
  const o = b as Partial<Bundle>;
  const str = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
  if (o === null || typeof o !== 'object' || o.format !== BUNDLE_FORMAT || !isNodeId(o.node) || !str(o.ca) || !str(o.cert) || !str(o.key)
    || o.peers === null || typeof o.peers !== 'object' || !Object.values(o.peers).every(str)) {
    throw usage(`${file}: not a node bundle of format ${BUNDLE_FORMAT}`);
  }
  return o as Bundle;
}

function initFromBundle(file: string, local: Local): { node: NodeId; written: string[] } {
  const b = readBundle(file);
  const peers = parsePeerList(Object.entries(b.peers).map(([id, a]) => `${id}=${a}`).join(','));
  if (!peers.has(b.node)) throw usage(`${file}: the bundle's node ${b.node} is not among its peers`);
  refuseExisting(join(local.dir, 'mdclusterd.toml'), local.force);
  return { node: b.node, written: writeNode(b.node, peers, b, local) };
}

/** Runs `mdclusterd init`; returns the exit status. */
export async function runInit(argv: readonly string[], out: (line: string) => void, err: (line: string) => void): Promise<number> {
  try {
    let values: Partial<Record<keyof typeof INIT_OPTIONS, string | boolean>>;
    try {
      const opts = Object.fromEntries(Object.entries(INIT_OPTIONS).map(([k, v]) => [k, { type: v.type }]));
      ({ values } = parseArgs({ args: [...argv], options: opts as Record<string, { type: 'string' | 'boolean' }>, strict: true }));
    } catch (e) {
      throw usage((e as Error).message.split('.')[0]);
    }
    if (values.help === true) { out(INIT_USAGE); return EXIT_OK; }
    const s = (k: keyof typeof INIT_OPTIONS): string | undefined => (typeof values[k] === 'string' ? values[k] : undefined);
    const local: Local = {
      dir: resolve(s('dir') ?? '/etc/mdclusterd'), dataDir: s('data-dir'), status: s('status'), controlSocket: s('control-socket'),
      mdDriver: s('md-driver'), simDiskDir: s('sim-disk-dir'), force: values.force === true,
    };
    const bundle = s('from-bundle');
    if (bundle !== undefined) {
      if (s('node') !== undefined || s('peers') !== undefined) throw usage('--from-bundle takes the node and peers from the bundle: drop --node/--peers');
      const r = initFromBundle(resolve(bundle), local);
      for (const f of r.written) out(`wrote ${f}`);
      out(`node ${r.node} is configured; check with: mdclusterd --check-config --config ${join(local.dir, 'mdclusterd.toml')}`);
      return EXIT_OK;
    }
    const node = s('node');
    const peerText = s('peers');
    if (node === undefined || peerText === undefined) throw usage('--node and --peers are required (or --from-bundle)');
    if (!isNodeId(node)) throw usage(`--node ${q(node)} is not a valid node id`);
    const written = await initFirst(node, parsePeerList(peerText), local);
    for (const f of written) out(`wrote ${f}`);
    out(`copy each bundles/ID.bundle to node ID and run there: mdclusterd init --from-bundle ID.bundle; then move ${join(local.dir, 'ca')} (the CA key) offline`);
    return EXIT_OK;
  } catch (e) {
    if (e instanceof OpError) {
      err(`mdclusterd init: ${e.message}`);
      return e.code === 'E_BAD_CONFIG' ? EXIT_CONFIG : EXIT_USAGE;
    }
    throw e;
  }
}
