// The peer port under a flood of strangers (issue 19, item 1), with in-process transports on
// loopback: sockets from 127.0.0.2.. (strangers) that never start TLS, send junk or plain
// HTTP are refused at accept past the caps or closed at the handshake deadline, each counted
// by reason and logged rate-limited; and while hundreds of them are held, a configured peer
// on 127.0.0.1 (its known address) still connects, because strangers cannot take its slots.
import { connect, type Socket } from 'node:net';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { nodeId, type NodeId } from '../../daemon/src/common/types.js';
import type { HostPort } from '../../daemon/src/config/config.js';
import {
  PEER_HANDSHAKE_TIMEOUT_MS, PEER_MAX_PENDING_PER_ADDRESS, PEER_MAX_STRANGER_SOCKETS,
} from '../../daemon/src/common/limits.js';
import { bytes, freePort, makeCerts, makeNode, sleep, waitFor, type CertSet, type Node } from './transport-helpers.js';

let certs: CertSet;
const n1 = nodeId('n1');
const n2 = nodeId('n2');
let open: Node[] = [];
let sockets: Socket[] = [];

beforeAll(async () => {
  certs = await makeCerts(['n1', 'n2']);
});

afterEach(async () => {
  for (const s of sockets) s.destroy();
  sockets = [];
  await Promise.all(open.map((n) => n.transport.close()));
  open = [];
});

async function peersMap(): Promise<Map<NodeId, HostPort>> {
  return new Map([[n1, { host: '127.0.0.1', port: await freePort() }], [n2, { host: '127.0.0.1', port: await freePort() }]]);
}

/** A TCP socket from `localAddress` to the port; sends `data` once connected. Never throws. */
function stranger(port: number, localAddress: string, data?: string | Buffer): Socket {
  const s = connect({ port, host: '127.0.0.1', localAddress }, () => { if (data !== undefined) s.write(data); });
  s.on('error', () => {});
  sockets.push(s);
  return s;
}

const closed = (s: Socket): Promise<void> => new Promise((resolve) => (s.destroyed ? resolve() : s.once('close', () => resolve())));

describe('peer port admission', () => {
  it('closes idle, junk and plain-HTTP sockets, counting each reason and logging it rate-limited', async () => {
    const peers = await peersMap();
    const a = makeNode('n1', peers, certs.material('n1'));
    open.push(a);
    await a.transport.start();
    const port = peers.get(n1)!.port;
    const idle = stranger(port, '127.0.0.2');
    const junk = stranger(port, '127.0.0.3', Buffer.alloc(64, 0x41));
    const http = stranger(port, '127.0.0.4', 'GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await Promise.all([closed(junk), closed(http)]);
    await closed(idle); // after PEER_HANDSHAKE_TIMEOUT_MS, not the minutes of Node's default
    await waitFor(() => (a.transport.stats().refusals['handshake-timeout'] ?? 0) === 1, 'the idle socket counted');
    const st = a.transport.stats();
    expect(st.refusals).toEqual({ 'handshake-timeout': 1, 'not-tls': 1, 'plain-http': 1 });
    expect(st.tlsErrors).toBe(3);
    const lines = a.log.find('refused a peer connection', 'warn');
    expect(lines.map((l) => l.fields['reason']).sort()).toEqual(['handshake-timeout', 'not-tls', 'plain-http']);
    expect(lines.every((l) => l.fields['code'] === 'E_PEER_REFUSED' && typeof l.fields['address'] === 'string')).toBe(true);
    // More junk of the same kind within the interval is counted, not logged again.
    await Promise.all([1, 2, 3].map(() => closed(stranger(port, '127.0.0.3', Buffer.alloc(64, 0x42)))));
    await waitFor(() => a.transport.stats().refusals['not-tls'] === 4, 'more junk counted');
    expect(a.log.find('refused a peer connection', 'warn').filter((l) => l.fields['reason'] === 'not-tls')).toHaveLength(1);
  });

  it('caps pending sockets per stranger address and in total, and a known peer still connects through the flood', async () => {
    const peers = await peersMap();
    const a = makeNode('n1', peers, certs.material('n1'));
    open.push(a);
    await a.transport.start();
    const port = peers.get(n1)!.port;
    // 300 idle sockets, 50 of them from one stranger address and the rest from 30 others,
    // re-opened as soon as one is closed.
    let flooding = true;
    const keep = (addr: string): void => {
      const s = stranger(port, addr);
      s.once('close', () => { if (flooding) setTimeout(() => keep(addr), 5); });
    };
    for (let i = 0; i < 50; i++) keep('127.0.0.9');
    for (let i = 0; i < 250; i++) keep(`127.0.0.${10 + (i % 30)}`);
    await waitFor(() => (a.transport.stats().refusals['strangers-full'] ?? 0) > 0 && (a.transport.stats().refusals['pending-cap'] ?? 0) > 0, 'the caps to refuse strangers', 15_000);
    const g = a.transport.stats().admission;
    expect(g.strangers).toBeLessThanOrEqual(PEER_MAX_STRANGER_SOCKETS);
    expect(g.pending).toBeLessThanOrEqual(PEER_MAX_STRANGER_SOCKETS);
    // The known peer (127.0.0.1) connects while the flood goes on.
    const b = makeNode('n2', peers, certs.material('n2'));
    open.push(b);
    await b.transport.start();
    await waitFor(() => a.transport.stats().peers[n2].inbound && b.transport.stats().peers[n1].inbound, 'both links up during the flood', 10_000);
    b.transport.send(n1, bytes('through the flood'));
    await waitFor(() => a.received.some((m) => m.text === 'through the flood'), 'a message through the flood');
    expect(a.transport.stats().admission.strangers).toBeLessThanOrEqual(PEER_MAX_STRANGER_SOCKETS);
    flooding = false;
    for (const s of sockets) s.destroy();
    await sleep(PEER_HANDSHAKE_TIMEOUT_MS);
    await waitFor(() => a.transport.stats().admission.strangers === 0, 'the strangers gone');
    expect(PEER_MAX_PENDING_PER_ADDRESS * 30).toBeGreaterThan(PEER_MAX_STRANGER_SOCKETS); // the flood did fill the strangers' share
  });
});
