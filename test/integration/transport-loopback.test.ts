// The peer transport over real loopback sockets with generated certificates: messages flow
// both ways, links come back after a restart, foreign/unknown/no certificates are refused,
// bad frames are dropped or close the link without a crash, the send-queue bound holds,
// blockPeer cuts links, and a silent (frozen) link is detected by ping timeout.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { nodeId, type NodeId } from '../../daemon/src/common/types.js';
import type { HostPort } from '../../daemon/src/config/config.js';
import { PEER_MAX_FRAME_BYTES, PEER_MAX_QUEUED_BYTES, PEER_MAX_QUEUED_FRAMES } from '../../daemon/src/common/limits.js';
import { encodeFrame, FrameKind, MAX_FRAME_PAYLOAD_BYTES, PROTOCOL_VERSION } from '../../daemon/src/transport/frame.js';
import { Transport } from '../../daemon/src/transport/transport.js';
import { CapturingLogger } from '../../daemon/src/log/logger.js';
import { bytes, FAST_TIMING, FreezableProxy, freePort, makeCerts, makeNode, rawClient, sleep, waitFor, type CertSet, type Node } from './transport-helpers.js';

let certs: CertSet;
let foreign: CertSet;
const n1 = nodeId('n1');
const n2 = nodeId('n2');
const n3 = nodeId('n3');
let open: Node[] = [];

beforeAll(async () => {
  [certs, foreign] = await Promise.all([makeCerts(['n1', 'n2', 'n3', 'n9']), makeCerts(['n2'])]);
});

afterEach(async () => {
  await Promise.all(open.map((n) => n.transport.close()));
  open = [];
});

async function peersMap(): Promise<Map<NodeId, HostPort>> {
  return new Map([[n1, { host: '127.0.0.1', port: await freePort() }], [n2, { host: '127.0.0.1', port: await freePort() }], [n3, { host: '127.0.0.1', port: await freePort() }]]);
}

async function startNode(id: string, peers: Map<NodeId, HostPort>): Promise<Node> {
  const node = makeNode(id, peers, certs.material(id));
  open.push(node);
  await node.transport.start();
  return node;
}

const isUp = (n: Node, peer: NodeId) => n.transport.stats().peers[peer].up;

describe('transport over loopback', () => {
  it('carries messages both ways, in order, and reports peer state', async () => {
    const peers = await peersMap();
    const a = await startNode('n1', peers);
    const b = await startNode('n2', peers);
    await waitFor(() => isUp(a, n2) && isUp(b, n1), 'links up');
    for (let i = 0; i < 200; i++) {
      a.transport.send(n2, bytes(`a${i}`));
      b.transport.send(n1, bytes(`b${i}`));
    }
    await waitFor(() => a.received.length === 200 && b.received.length === 200, 'all messages');
    expect(b.received.map((m) => m.text)).toEqual(Array.from({ length: 200 }, (_, i) => `a${i}`));
    expect(a.received.every((m) => m.from === n2)).toBe(true);
    expect(b.received.every((m) => m.from === n1)).toBe(true);
    expect(a.states).toContainEqual({ peer: n2, up: true });
    const s = a.transport.stats();
    expect(s.peers[n2]).toMatchObject({ up: true, sentFrames: 200, receivedFrames: 200, droppedProtocol: 0, queuedFrames: 0 });
    expect(s.peers[n2].sentBytes).toBe(s.peers[n2].receivedBytes);
    expect(s.peers[n3].up).toBe(false);
    expect(s.peers[n3].dialFailures).toBeGreaterThan(0);
    // A message to ourselves or to a stranger is counted, not thrown.
    a.transport.send(n1, bytes('self'));
    a.transport.send(nodeId('zz'), bytes('x'));
    expect(a.transport.stats().droppedUnknownDestination).toBe(2);
  });

  it('reports a peer gone when its port refuses a dial (its process died), and never while it runs', async () => {
    const peers = await peersMap();
    const a = await startNode('n1', peers);
    const b = await startNode('n2', peers);
    await waitFor(() => isUp(a, n2) && isUp(b, n1), 'links up');
    const before = a.gone.filter((p) => p === n2).length; // refused while n2 was not yet listening
    await sleep(300);
    expect(a.gone.filter((p) => p === n2).length).toBe(before); // n2 runs: never reported gone
    await b.transport.close(); // its listener is gone: redials are refused
    open = open.filter((n) => n !== b);
    await waitFor(() => a.gone.filter((p) => p === n2).length > before, 'n2 reported gone');
    expect(a.gone.every((p) => p === n2 || p === n3)).toBe(true); // n3 never started either
  });

  it('reconnects after the other side restarts, delivering what was queued meanwhile', async () => {
    const peers = await peersMap();
    const a = await startNode('n1', peers);
    let b = await startNode('n2', peers);
    await waitFor(() => isUp(a, n2), 'link up');
    await b.transport.close();
    open = open.filter((n) => n !== b);
    await waitFor(() => !isUp(a, n2), 'link down');
    expect(a.states.at(-1)).toEqual({ peer: n2, up: false });
    for (let i = 0; i < 10; i++) a.transport.send(n2, bytes(`q${i}`));
    expect(a.transport.stats().peers[n2].queuedFrames).toBe(10);
    await sleep(150); // let a few redials fail
    b = await startNode('n2', peers);
    const t0 = Date.now();
    await waitFor(() => b.received.length === 10, 'queued messages after restart');
    const reconnectMs = Date.now() - t0;
    expect(b.received.map((m) => m.text)).toEqual(Array.from({ length: 10 }, (_, i) => `q${i}`));
    expect(reconnectMs).toBeLessThan(FAST_TIMING.reconnectMaxMs + 1000);
    expect(a.states.filter((s) => s.peer === n2).map((s) => s.up)).toEqual([true, false, true]);
    expect(a.transport.stats().peers[n2].connects).toBe(2);
    b.transport.send(n1, bytes('back'));
    await waitFor(() => a.received.some((m) => m.text === 'back'), 'reply after restart');
  });

  it('refuses a client whose certificate comes from another CA', async () => {
    const peers = await peersMap();
    const a = await startNode('n1', peers);
    const evil = foreign.material('n2');
    const { result } = rawClient(peers.get(n1)!.port, { certPem: evil.certPem, keyPem: evil.keyPem, caPem: certs.material('n1').caPem });
    const r = await result;
    expect(r.opened).toBe(false);
    await waitFor(() => a.transport.stats().tlsErrors === 1, 'tls error counted');
    expect(a.transport.stats().peers[n2].inboundAccepted).toBe(0);
  });

  it('refuses a client with no certificate, and a non-TLS client', async () => {
    const peers = await peersMap();
    const a = await startNode('n1', peers);
    const r = await rawClient(peers.get(n1)!.port, { caPem: certs.material('n1').caPem }).result;
    expect(r.opened).toBe(false);
    await waitFor(() => a.transport.stats().tlsErrors >= 1, 'tls error counted');
    const { connect } = await import('node:net');
    await new Promise<void>((resolve) => {
      const s = connect(peers.get(n1)!.port, '127.0.0.1', () => s.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n' + 'garbage'.repeat(1000)));
      s.on('error', () => resolve());
      s.on('close', () => resolve());
    });
    await waitFor(() => a.transport.stats().tlsErrors >= 2, 'second tls error counted');
  });

  it('refuses a cluster certificate whose CN is not a configured peer, and a wrong path', async () => {
    const peers = await peersMap();
    const a = await startNode('n1', peers);
    const r = await rawClient(peers.get(n1)!.port, certs.material('n9')).result;
    expect(r.opened).toBe(false);
    expect(r.error).toMatch(/403/);
    const self = await rawClient(peers.get(n1)!.port, certs.material('n1')).result;
    expect(self.error).toMatch(/403/);
    const wrongPath = await rawClient(peers.get(n1)!.port, certs.material('n2'), '/other').result;
    expect(wrongPath.error).toMatch(/404/);
    expect(a.transport.stats().refusedConnections).toBe(3);
    expect(a.transport.stats().refusals).toEqual({ 'unknown-peer': 2, 'wrong-path': 1 });
    // Logged once per reason per interval (rate-limited), each line with its running total.
    expect(a.log.find('refused a peer connection', 'warn').map((r) => [r.fields['code'], r.fields['reason']])).toEqual([['E_PEER_REFUSED', 'unknown-peer'], ['E_PEER_REFUSED', 'wrong-path']]);
  });

  it('refuses a second node with the same certificate identity from another address, keeping the first link', async () => {
    const peers = await peersMap();
    const a = await startNode('n1', peers);
    const b = await startNode('n2', peers);
    await waitFor(() => isUp(a, n2) && a.transport.stats().peers[n2].inboundAccepted === 1, 'n2 linked to n1');
    // A second "n2" (same certificate, e.g. copied to another host) dials from 127.0.0.2.
    const twin = rawClient(peers.get(n1)!.port, certs.material('n2'), undefined, '127.0.0.2');
    const r = await twin.result;
    expect(r.opened).toBe(false);
    expect(r.error).toMatch(/409/);
    expect(a.transport.stats().peers[n2].inboundAccepted).toBe(1);
    const logged = a.log.find('refused a peer whose certificate identity is already connected from another address (two daemons with one identity?)', 'error');
    expect(logged).toHaveLength(1);
    expect(logged[0].fields).toMatchObject({ code: 'E_PEER_DUPLICATE', peer: 'n2', address: '127.0.0.2', connectedFrom: '127.0.0.1' });
    // The real n2's link still carries messages.
    b.transport.send(n1, bytes('still here'));
    await waitFor(() => a.received.some((m) => m.text === 'still here'), 'message over the kept link');
    // A reconnect from the same address as the open link replaces it (a restarted peer).
    const again = rawClient(peers.get(n1)!.port, certs.material('n2'));
    await waitFor(() => a.transport.stats().peers[n2].inboundAccepted === 2, 'same-address reconnect accepted');
    again.ws.terminate();
  });

  it('does not open a link to a server whose certificate names another node', async () => {
    const peers = await peersMap();
    await startNode('n3', peers);
    // n1 believes n2 lives at n3's address: n3's certificate (CN=n3) must not be accepted as n2.
    const lying = new Map(peers);
    lying.set(n2, peers.get(n3)!);
    const a = makeNode('n1', lying, certs.material('n1'));
    open.push(a);
    await a.transport.start();
    await waitFor(() => a.transport.stats().peers[n2].dialFailures >= 2, 'dial failures');
    expect(a.transport.stats().peers[n2].connects).toBe(0);
    expect(a.log.find('peer link up').filter((r) => r.fields['peer'] === n2)).toHaveLength(0);
  });
});

describe('transport: bad frames from an authenticated peer', () => {
  it('drops or closes on malformed frames, wrong versions and oversized frames, and keeps working', async () => {
    const peers = await peersMap();
    const a = await startNode('n1', peers);
    const port = peers.get(n1)!.port;
    const counters = () => a.transport.stats().peers[n2];
    const connectAsN2 = async () => {
      const c = rawClient(port, certs.material('n2'));
      await waitFor(() => c.ws.readyState === c.ws.OPEN, 'raw client open');
      return c;
    };
    // short, unknown kind, non-zero reserved: dropped, link stays.
    let c = await connectAsN2();
    c.ws.send(Buffer.from([0x6d, PROTOCOL_VERSION]));
    c.ws.send(Buffer.from([0x6d, PROTOCOL_VERSION, 77, 0, 1]));
    c.ws.send(Buffer.from([0x6d, PROTOCOL_VERSION, FrameKind.RAFT, 9, 1]));
    c.ws.send(encodeFrame(FrameKind.RAFT, bytes('valid-1')));
    await waitFor(() => a.received.length === 1, 'valid frame after bad ones');
    expect(a.received[0]).toEqual({ from: n2, text: 'valid-1' });
    expect(counters().droppedProtocol).toBe(3);
    expect(c.ws.readyState).toBe(c.ws.OPEN);
    // text frame: closed with 1003.
    c.ws.send('hello');
    expect((await c.result).closeCode).toBe(1003);
    expect(counters().droppedProtocol).toBe(4);
    // unknown protocol version: counted and closed with 1002; later frames on it are ignored.
    c = await connectAsN2();
    c.ws.send(Buffer.from([0x6d, PROTOCOL_VERSION + 1, FrameKind.RAFT, 0, 1, 2]));
    c.ws.send(encodeFrame(FrameKind.RAFT, bytes('after-bad-version')));
    expect((await c.result).closeCode).toBe(1002);
    expect(counters().badVersionFrames).toBe(1);
    expect(a.log.find('unknown magic or version', 'warn')[0].fields).toMatchObject({ code: 'E_UNSUPPORTED_VERSION', peer: 'n2', version: PROTOCOL_VERSION + 1 });
    // oversized: ws refuses it (1009) before allocating it.
    c = await connectAsN2();
    c.ws.send(Buffer.alloc(PEER_MAX_FRAME_BYTES + 1));
    expect((await c.result).closeCode).toBe(1009);
    await waitFor(() => counters().oversizedFrames === 1, 'oversized counted');
    // still serving: a well-formed frame on a new link is delivered.
    c = await connectAsN2();
    c.ws.send(encodeFrame(FrameKind.RAFT, bytes('valid-2')));
    await waitFor(() => a.received.length === 2, 'valid frame on a new link');
    expect(a.received.map((m) => m.text)).toEqual(['valid-1', 'valid-2']);
    expect(counters().inboundAccepted).toBe(4);
    c.ws.close();
  });

  it('survives random frames: only well-formed ones are delivered', async () => {
    const peers = await peersMap();
    const a = await startNode('n1', peers);
    let expected = 0;
    const frames = fc.sample(fc.oneof(
      fc.uint8Array({ maxLength: 40 }),
      fc.uint8Array({ maxLength: 40 }).map((p) => new Uint8Array(encodeFrame(FrameKind.RAFT, p))),
    ), { numRuns: 300, seed: 42 });
    const c = rawClient(peers.get(n1)!.port, certs.material('n2'));
    await waitFor(() => c.ws.readyState === c.ws.OPEN, 'raw client open');
    for (const f of frames) {
      // Frames with a bad magic or version close the link; count only what precedes that.
      const closes = f.length >= 4 && (f[0] !== 0x6d || f[1] !== PROTOCOL_VERSION);
      if (closes) break;
      if (f.length >= 4 && f[2] === FrameKind.RAFT && f[3] === 0) expected++;
      c.ws.send(f);
    }
    c.ws.send(encodeFrame(FrameKind.RAFT, bytes('end')));
    await waitFor(() => a.received.some((m) => m.text === 'end'), 'end marker');
    expect(a.received.length).toBe(expected + 1);
    c.ws.close();
  });

  it('drops an outgoing payload larger than a frame instead of sending it', async () => {
    const peers = await peersMap();
    const a = await startNode('n1', peers);
    a.transport.send(n2, new Uint8Array(MAX_FRAME_PAYLOAD_BYTES + 1));
    expect(a.transport.stats().peers[n2]).toMatchObject({ droppedTooLarge: 1, queuedFrames: 0 });
  });
});

describe('transport: bounds, partitions and dead links', () => {
  it('keeps at most PEER_MAX_QUEUED_FRAMES per peer, dropping the oldest', async () => {
    const peers = await peersMap();
    const a = await startNode('n1', peers);
    const extra = 100;
    for (let i = 0; i < PEER_MAX_QUEUED_FRAMES + extra; i++) a.transport.send(n3, bytes(`m${i}`));
    expect(a.transport.stats().peers[n3]).toMatchObject({ queuedFrames: PEER_MAX_QUEUED_FRAMES, droppedQueueFull: extra });
    const c = await startNode('n3', peers);
    await waitFor(() => c.received.length === PEER_MAX_QUEUED_FRAMES, 'queued frames delivered', 10_000);
    expect(c.received[0].text).toBe(`m${extra}`);
    expect(c.received.at(-1)!.text).toBe(`m${PEER_MAX_QUEUED_FRAMES + extra - 1}`);
    expect(a.transport.stats().peers[n3].queuedFrames).toBe(0);
  });

  it('a link busy with bulk data is not mistaken for a dead one', async () => {
    const peers = await peersMap();
    const tight = { ...FAST_TIMING, pingIntervalMs: 50, deadAfterMs: 400 };
    const a = makeNode('n1', peers, certs.material('n1'), tight);
    const b = makeNode('n2', peers, certs.material('n2'), tight);
    open.push(a, b);
    await Promise.all([a.transport.start(), b.transport.start()]);
    await waitFor(() => isUp(a, n2) && isUp(b, n1), 'links up');
    const chunk = new Uint8Array(64 * 1024);
    const total = 1500; // ~96 MiB through TLS, far more than the socket allowance at once
    let count = 0;
    b.transport.onMessage(() => { count++; });
    for (let sent = 0; sent < total;) {
      for (let i = 0; i < 100; i++, sent++) a.transport.send(n2, chunk);
      await waitFor(() => sent - count < 500, 'receiver keeps up', 30_000); // stays under PEER_MAX_QUEUED_BYTES
    }
    await waitFor(() => count === total, 'bulk delivered', 60_000);
    expect(a.transport.stats().peers[n2]).toMatchObject({ deadLinks: 0, droppedQueueFull: 0, connects: 1 });
    expect(b.transport.stats().peers[n1].deadLinks).toBe(0);
  });

  it('a stall of this process is not blamed on the peers', async () => {
    const peers = await peersMap();
    const a = await startNode('n1', peers);
    const b = await startNode('n2', peers);
    await waitFor(() => isUp(a, n2) && isUp(b, n1), 'links up');
    // Block the event loop (as a long GC pause or a synchronous disk stall would) for longer
    // than deadAfterMs: pongs pile up unread, and timers run before the socket reads.
    const until = performance.now() + FAST_TIMING.deadAfterMs * 1.5;
    while (performance.now() < until) { /* stalled */ }
    await sleep(FAST_TIMING.pingIntervalMs * 4);
    expect(a.transport.stats().localStalls).toBeGreaterThanOrEqual(1);
    expect(a.transport.stats().peers[n2]).toMatchObject({ up: true, deadLinks: 0, connects: 1 });
    expect(b.transport.stats().peers[n1]).toMatchObject({ up: true, deadLinks: 0, connects: 1 });
  });

  it('keeps at most PEER_MAX_QUEUED_BYTES per peer, dropping the oldest', async () => {
    const peers = await peersMap();
    const a = await startNode('n1', peers);
    const big = MAX_FRAME_PAYLOAD_BYTES; // one full frame each
    const fit = Math.floor(PEER_MAX_QUEUED_BYTES / PEER_MAX_FRAME_BYTES);
    for (let i = 0; i < fit + 3; i++) a.transport.send(n3, new Uint8Array(big).fill(i));
    const s = a.transport.stats().peers[n3];
    expect(s).toMatchObject({ queuedFrames: fit, droppedQueueFull: 3, queuedBytes: fit * PEER_MAX_FRAME_BYTES });
    const c = await startNode('n3', peers);
    const firsts: number[] = [];
    c.transport.onMessage((_f, p) => firsts.push(p[0]));
    await waitFor(() => firsts.length === fit, 'queued big frames delivered', 20_000);
    expect(firsts).toEqual(Array.from({ length: fit }, (_, i) => i + 3));
    expect(a.transport.stats().peers[n3]).toMatchObject({ queuedFrames: 0, queuedBytes: 0 });
  });

  it('blockPeer cuts both directions until unblockPeer', async () => {
    const peers = await peersMap();
    const a = await startNode('n1', peers);
    const b = await startNode('n2', peers);
    await waitFor(() => isUp(a, n2) && isUp(b, n1), 'links up');
    a.transport.blockPeer(n2);
    await waitFor(() => !isUp(b, n1), 'b sees its link to a go down');
    expect(isUp(a, n2)).toBe(false);
    a.transport.send(n2, bytes('lost'));
    b.transport.send(n1, bytes('lost-too'));
    await sleep(300);
    expect(a.received).toHaveLength(0);
    expect(b.received).toHaveLength(0);
    expect(isUp(b, n1)).toBe(false); // its redials are refused while blocked
    expect(a.transport.stats().refusedConnections).toBeGreaterThan(0);
    expect(a.transport.stats().peers[n2]).toMatchObject({ blocked: true, droppedBlocked: 1 });
    a.transport.unblockPeer(n2);
    await waitFor(() => isUp(a, n2) && isUp(b, n1), 'links back up', 5000);
    a.transport.send(n2, bytes('again'));
    b.transport.send(n1, bytes('again-too'));
    await waitFor(() => b.received.some((m) => m.text === 'again') && a.received.some((m) => m.text === 'again-too'), 'flow after unblock');
    // What b queued while blocked may arrive after unblocking (a real partition loses it too: Raft copes).
    expect(b.received.map((m) => m.text)).not.toContain('lost');
  });

  it('terminates a link that stops answering pings (frozen TCP) and redials', async () => {
    const peers = await peersMap();
    const b = await startNode('n2', peers);
    const proxy = new FreezableProxy(peers.get(n2)!.port);
    const viaProxy = new Map(peers);
    viaProxy.set(n2, { host: '127.0.0.1', port: await proxy.listen() });
    const a = makeNode('n1', viaProxy, certs.material('n1'));
    open.push(a);
    await a.transport.start();
    try {
      await waitFor(() => isUp(a, n2), 'link up through the proxy');
      const frozenAt = Date.now();
      proxy.freeze();
      // Without pings TCP would not notice for minutes. The upper bound is loose because a
      // loaded machine delays sweeps (and a late sweep restarts the silence window).
      await waitFor(() => !isUp(a, n2), 'dead link detected', 6000);
      const detectMs = Date.now() - frozenAt;
      expect(detectMs).toBeGreaterThanOrEqual(FAST_TIMING.deadAfterMs - FAST_TIMING.pingIntervalMs);
      expect(detectMs).toBeLessThan(FAST_TIMING.deadAfterMs + 4000);
      expect(a.transport.stats().peers[n2].deadLinks).toBe(1);
      proxy.thaw();
      await waitFor(() => isUp(a, n2), 'redialled after thaw', 5000);
      a.transport.send(n2, bytes('through'));
      await waitFor(() => b.received.some((m) => m.text === 'through'), 'message after redial');
    } finally {
      await a.transport.close();
      await proxy.close();
    }
  });

  it('start fails with E_LISTEN_FAILED on a taken port, and close is idempotent', async () => {
    const peers = await peersMap();
    await startNode('n1', peers);
    const clash = new Transport({ self: n1, listen: peers.get(n1)!, peers, tls: certs.material('n1'), timing: FAST_TIMING, logger: new CapturingLogger() });
    await expect(clash.start()).rejects.toMatchObject({ code: 'E_LISTEN_FAILED' });
    await clash.close();
    await clash.close();
  });
});
