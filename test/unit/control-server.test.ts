// The control socket server against raw clients, with a stub handler (no node): one request
// size limit for every framing (issue 19: a 70 KB line was accepted, 200 KB refused, because
// only the unterminated rest of a read was measured), backpressure on a client that does not
// read its replies, E_BUSY past the connection cap, and closing a connection whose unread
// replies pass the second bound.
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CONTROL_MAX_CONNECTIONS, CONTROL_MAX_INFLIGHT_PER_CONNECTION, CONTROL_MAX_LINE_BYTES, CONTROL_MAX_UNSENT_BYTES,
} from '../../daemon/src/common/limits.js';
import { ControlServer, type Handler } from '../../daemon/src/control/server.js';
import { silentLogger } from '../../daemon/src/log/logger.js';
import { Client, ClientError } from '../../mdctl/src/client.js';

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function startServer(handler: Handler): Promise<{ server: ControlServer; path: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'mdctl-srv-'));
  const path = join(dir, 'control.sock');
  const server = new ControlServer(path, handler, silentLogger);
  await server.start();
  cleanup.push(async () => { await server.close(); rmSync(dir, { recursive: true, force: true }); });
  return { server, path };
}

const echo: Handler = async (req) => ({ type: req.type });

/** A raw client: collects reply lines; resolves `closed` when the daemon closes. */
function raw(path: string): { sock: Socket; lines: Record<string, unknown>[]; closed: Promise<void>; connected: Promise<void> } {
  const sock = connect(path);
  const lines: Record<string, unknown>[] = [];
  let buf = '';
  sock.setEncoding('utf8');
  sock.on('error', () => {});
  sock.on('data', (d: string) => {
    buf += d;
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      lines.push(JSON.parse(buf.slice(0, nl)) as Record<string, unknown>);
      buf = buf.slice(nl + 1);
    }
  });
  const closed = new Promise<void>((resolve) => sock.on('close', () => resolve()));
  const connected = new Promise<void>((resolve) => sock.once('connect', () => resolve()));
  cleanup.push(async () => { sock.destroy(); });
  return { sock, lines, closed, connected };
}

async function until(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A valid request line whose content (without the newline) is exactly `bytes` long. */
function requestOf(bytes: number, id = 1): string {
  const head = `{"v":1,"id":${id},"type":"state","pad":"`;
  const tail = '"}';
  return head + 'x'.repeat(bytes - head.length - tail.length) + tail;
}

/** Writes `data` in `parts` pieces, each after the previous was flushed. */
async function writeInParts(sock: Socket, data: string, parts: number): Promise<void> {
  const step = Math.ceil(data.length / parts);
  for (let i = 0; i < data.length; i += step) {
    await new Promise<void>((resolve) => sock.write(data.slice(i, i + step), () => resolve()));
    await new Promise((r) => setTimeout(r, 2));
  }
}

describe('one request size limit for every framing', () => {
  const framings: [string, (line: string) => string, number][] = [
    ['one write, LF', (l) => `${l}\n`, 1],
    ['one write, CRLF', (l) => `${l}\r\n`, 1],
    ['many writes', (l) => `${l}\n`, 7],
    ['after another request in the same write', (l) => `{"v":1,"id":9,"type":"state"}\n${l}\n`, 1],
  ];
  for (const [what, frame, parts] of framings) {
    it(`${what}: a request of exactly the limit is served, one byte more gets E_TOO_LARGE`, async () => {
      const { path } = await startServer(echo);
      const ok = raw(path);
      await ok.connected;
      await writeInParts(ok.sock, frame(requestOf(CONTROL_MAX_LINE_BYTES, 1)), parts);
      await until(() => ok.lines.some((l) => l.id === 1), 'the reply to the request at the limit');
      expect(ok.lines.find((l) => l.id === 1)).toMatchObject({ ok: true });
      const big = raw(path);
      await big.connected;
      await writeInParts(big.sock, frame(requestOf(CONTROL_MAX_LINE_BYTES + 1, 2)), parts);
      await big.closed;
      expect(big.lines.filter((l) => l.id !== 9)).toEqual([expect.objectContaining({ id: 0, ok: false, error: expect.objectContaining({ code: 'E_TOO_LARGE' }) })]);
    });
  }

  it('a 70 KB line (the case of issue 19) is refused like a 200 KB one', async () => {
    const { server, path } = await startServer(echo);
    for (const kb of [70, 200]) {
      const c = raw(path);
      await c.connected;
      c.sock.write(`${requestOf(kb * 1000)}\n`);
      await c.closed;
      expect(c.lines).toEqual([expect.objectContaining({ ok: false, error: expect.objectContaining({ code: 'E_TOO_LARGE' }) })]);
    }
    expect(server.stats().tooLarge).toBe(2);
  });

  it('an unterminated line is refused as soon as it passes the limit', async () => {
    const { path } = await startServer(echo);
    const c = raw(path);
    await c.connected;
    c.sock.write('x'.repeat(CONTROL_MAX_LINE_BYTES + 2));
    await c.closed;
    expect(c.lines[0]).toMatchObject({ id: 0, ok: false, error: { code: 'E_TOO_LARGE' } });
  });
});

describe('backpressure', () => {
  it('a client that sends 20,000 requests without reading is paused: the server serves only what fits, then all once it reads', async () => {
    let served = 0;
    const reply = 'r'.repeat(2000);
    const { server, path } = await startServer(async () => { served++; return { reply }; });
    const c = raw(path);
    await c.connected;
    c.sock.pause(); // never read until told
    const total = 20_000;
    const all = Array.from({ length: total }, (_, i) => `{"v":1,"id":${i + 1},"type":"state"}`).join('\n') + '\n';
    c.sock.write(all);
    await until(() => server.stats().pauses > 0, 'the server to stop reading');
    await new Promise((r) => setTimeout(r, 300));
    const servedWhilePaused = served;
    // Replies the kernel and the pause bound hold: a few hundred of 2 KB, far from 20,000.
    expect(servedWhilePaused).toBeLessThan(2000);
    c.sock.resume();
    await until(() => c.lines.length === total, 'every reply once the client reads', 60_000);
    expect(new Set(c.lines.map((l) => l.id)).size).toBe(total);
    expect(c.lines.every((l) => l.ok === true)).toBe(true);
  });

  it('never serves more than CONTROL_MAX_INFLIGHT_PER_CONNECTION requests of one connection at once', async () => {
    let running = 0;
    let peak = 0;
    const release: (() => void)[] = [];
    const { path } = await startServer(async () => {
      running++;
      peak = Math.max(peak, running);
      await new Promise<void>((r) => release.push(r));
      running--;
      return {};
    });
    const c = raw(path);
    await c.connected;
    c.sock.write(Array.from({ length: 100 }, (_, i) => `{"v":1,"id":${i + 1},"type":"state"}\n`).join(''));
    await until(() => running === CONTROL_MAX_INFLIGHT_PER_CONNECTION, 'the in-flight cap');
    await new Promise((r) => setTimeout(r, 50));
    expect(running).toBe(CONTROL_MAX_INFLIGHT_PER_CONNECTION);
    const drain = setInterval(() => { for (const r of release.splice(0)) r(); }, 1);
    await until(() => c.lines.length === 100, 'every reply');
    clearInterval(drain);
    expect(peak).toBe(CONTROL_MAX_INFLIGHT_PER_CONNECTION);
  });

  it('closes a connection whose unread replies and events pass CONTROL_MAX_UNSENT_BYTES', async () => {
    const { server, path } = await startServer(async (req, conn) => {
      const event = { key: 'k', name: 'TestMessage' as const, device: null, component: null, node: 'n1', timeMs: 0, detail: 'e'.repeat(64 * 1024) };
      for (let i = 0; i * 64 * 1024 < 2 * CONTROL_MAX_UNSENT_BYTES; i++) if (!conn.push({ v: 1, id: req.id, event })) break;
      return {};
    });
    const c = raw(path);
    await c.connected;
    c.sock.pause();
    c.sock.write('{"v":1,"id":1,"type":"subscribe"}\n');
    await until(() => server.stats().closedUnread === 1, 'the unread connection to be closed');
    await until(() => server.stats().connections === 0, 'its socket to be gone');
  });
});

describe('connection cap', () => {
  it('past CONTROL_MAX_CONNECTIONS a client gets E_BUSY (mdctl sees the code), and is served again once one closes', async () => {
    const { server, path } = await startServer(echo);
    const held = Array.from({ length: CONTROL_MAX_CONNECTIONS }, () => raw(path));
    await Promise.all(held.map((h) => h.connected));
    await until(() => server.stats().connections === CONTROL_MAX_CONNECTIONS, 'the cap to be reached');
    const extra = raw(path);
    await extra.closed;
    expect(extra.lines).toEqual([expect.objectContaining({ id: 0, ok: false, error: expect.objectContaining({ code: 'E_BUSY' }) })]);
    const client = new Client(path);
    await client.connect().catch(() => {});
    const err = await client.request('state').then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(ClientError);
    expect((err as ClientError).code).toBe('E_BUSY');
    client.close();
    held[0]!.sock.destroy();
    await until(() => server.stats().connections < CONTROL_MAX_CONNECTIONS, 'a slot to free');
    const again = new Client(path);
    await again.connect();
    expect(await again.request('state')).toEqual({ type: 'state' });
    again.close();
    expect(server.stats().busyRefused).toBeGreaterThanOrEqual(2);
  });

  it('a client that half-closes after sending still gets every reply, then the connection ends', async () => {
    let release!: () => void;
    const slow = new Promise<void>((r) => { release = r; });
    const { path } = await startServer(async (req) => { if (req.type === 'slow') await slow; return { type: req.type }; });
    const c = raw(path);
    await c.connected;
    c.sock.end('{"v":1,"id":1,"type":"slow"}\n{"v":1,"id":2,"type":"fast"}');
    await until(() => c.lines.length === 1, 'the fast reply');
    release();
    await c.closed;
    expect(c.lines.map((l) => l.id).sort()).toEqual([1, 2]);
    expect(c.lines.every((l) => l.ok === true)).toBe(true);
  });
});
