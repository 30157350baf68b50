// Helpers for the real-socket transport tests: generated cluster certificates, free loopback
// ports, transports with fast test timing, raw authenticated websocket clients, polling, and
// a TCP proxy that can freeze (a half-open link, as after a silent network partition).
import { createServer, connect, type Server, type Socket } from 'node:net';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { generateClusterCerts } from '../../daemon/src/transport/certs.js';
import { Transport } from '../../daemon/src/transport/transport.js';
import { PEER_PATH } from '../../daemon/src/transport/outbound.js';
import type { TlsMaterial } from '../../daemon/src/transport/tls-material.js';
import { nodeId, type NodeId } from '../../daemon/src/common/types.js';
import type { HostPort, TransportConfig } from '../../daemon/src/config/config.js';
import { CapturingLogger } from '../../daemon/src/log/logger.js';

/** Fast enough for quick tests, slack enough for a loaded 2-core machine. */
export const FAST_TIMING: TransportConfig = { pingIntervalMs: 100, deadAfterMs: 1000, reconnectMinMs: 10, reconnectMaxMs: 100, connectTimeoutMs: 2000 };

export interface CertSet {
  dir: string;
  material(id: string): TlsMaterial;
}

export async function makeCerts(nodes: string[]): Promise<CertSet> {
  const dir = join(mkdtempSync(join(tmpdir(), 'mdtransport-')), 'tls');
  await generateClusterCerts({ dir, nodes: nodes.map(nodeId), hosts: new Map(nodes.map((n) => [nodeId(n), ['127.0.0.1']])) });
  const read = (f: string) => readFileSync(join(dir, f), 'utf8');
  return { dir, material: (id) => ({ caPem: read('ca.crt'), certPem: read(`${id}.crt`), keyPem: read(`${id}.key`) }) };
}

import { freePort } from './lib/ports.js';
export { freePort };

export interface Node {
  id: NodeId;
  transport: Transport;
  log: CapturingLogger;
  received: { from: NodeId; text: string }[];
  states: { peer: NodeId; up: boolean }[];
  /** Peers reported gone (a refused dial), in order. */
  gone: NodeId[];
}

export function makeNode(id: string, peers: Map<NodeId, HostPort>, tls: TlsMaterial, timing: TransportConfig = FAST_TIMING): Node {
  const log = new CapturingLogger({ node: id });
  const transport = new Transport({ self: nodeId(id), listen: peers.get(nodeId(id))!, peers, tls, timing, logger: log });
  const node: Node = { id: nodeId(id), transport, log, received: [], states: [], gone: [] };
  transport.onPeerGone((peer) => node.gone.push(peer));
  transport.onMessage((from, payload) => node.received.push({ from, text: Buffer.from(payload).toString() }));
  transport.onPeerState((peer, up) => node.states.push({ peer, up }));
  return node;
}

export async function waitFor(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export const bytes = (s: string): Uint8Array => new Uint8Array(Buffer.from(s));

/** Outcome of a raw client connection attempt. */
export interface RawResult {
  opened: boolean;
  error: string | null;
  closeCode: number | null;
}

/** A raw ws client to a transport's listener, with any (or no) TLS identity. */
export function rawClient(port: number, tls: Partial<TlsMaterial>, path = PEER_PATH, localAddress?: string): { ws: WebSocket; result: Promise<RawResult> } {
  const ws = new WebSocket(`wss://127.0.0.1:${port}${path}`, {
    ca: tls.caPem, cert: tls.certPem, key: tls.keyPem, rejectUnauthorized: tls.caPem !== undefined, localAddress,
    perMessageDeflate: false, handshakeTimeout: 2000,
  });
  const r: RawResult = { opened: false, error: null, closeCode: null };
  ws.on('open', () => { r.opened = true; });
  ws.on('error', (e) => { r.error = e.message; });
  const result = new Promise<RawResult>((resolve) => ws.on('close', (code) => { r.closeCode = code; resolve(r); }));
  return { ws, result };
}

/** A TCP forwarder to target; freeze() stops forwarding in both directions without closing. */
export class FreezableProxy {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private frozen = false;
  port = 0;

  constructor(private readonly targetPort: number) {
    this.server = createServer((client) => {
      const upstream = connect(this.targetPort, '127.0.0.1');
      for (const s of [client, upstream]) {
        s.on('error', () => {});
        this.sockets.add(s);
        s.on('close', () => {
          this.sockets.delete(s);
          // While frozen a close is not passed on either: the other end sees silence.
          if (!this.frozen) { client.destroy(); upstream.destroy(); }
        });
      }
      client.on('data', (d) => { if (!this.frozen) upstream.write(d); });
      upstream.on('data', (d) => { if (!this.frozen) client.write(d); });
    });
  }

  async listen(): Promise<number> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    const a = this.server.address();
    this.port = typeof a === 'object' && a !== null ? a.port : 0;
    return this.port;
  }

  freeze(): void { this.frozen = true; }
  thaw(): void { this.frozen = false; }
  get connections(): number { return this.sockets.size / 2; }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
