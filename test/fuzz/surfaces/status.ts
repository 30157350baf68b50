// Fuzz surface (c): the status HTTP server (status/server.ts) of a real one-node daemon
// (test/fuzz/daemon-instance.ts), fed raw bytes over a real TCP connection: request heads,
// pipelined requests, bodies, websocket upgrade requests to /api/v1/watch and websocket frames
// after them. Owns: the request generator and what counts as a crash.
// Per input: connect, write the bytes, half-close, read until the server closes.
// Documented outcome: whatever the bytes, the server answers with HTTP status lines other
// than 500 (or a 101 upgrade, or nothing at all for bytes that are no request) and closes the
// connection. A 500, a server log of "status request failed", or the daemon process dying is a
// crash; a connection still open HANG_MS after the client half-closed is a hang.
import { connect, type Socket } from 'node:net';
import fc from 'fast-check';
import { DaemonInstance } from '../daemon-instance.js';
import { Hang, type Surface, type Target } from '../engine.js';

const HANG_MS = 2000;
const RESTART_EVERY = 50_000;

function exchange(port: number, input: Buffer, hangMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock: Socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let done = false;
    let connected = false;
    const finish = (err: Error | null): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      // RST instead of FIN: no TIME_WAIT on the client side, or a long run exhausts the
      // ephemeral ports (connects then fail with EADDRNOTAVAIL).
      if (!sock.destroyed) sock.resetAndDestroy();
      if (err) reject(err); else resolve(Buffer.concat(chunks).toString('latin1'));
    };
    const timer = setTimeout(() => finish(new Hang(`the server kept the connection open ${hangMs} ms after the request`)), hangMs);
    sock.on('data', (c: Buffer) => { if (chunks.length < 64) chunks.push(c); });
    // ECONNRESET / EPIPE once connected: the server dropped a connection it judged bad, which
    // is allowed. Not connecting at all (refused: the server is gone; EADDRNOTAVAIL: no client port left) is
    // a failure of the run, never a pass.
    sock.on('error', (e: NodeJS.ErrnoException) => finish(connected ? null : new Error(`could not connect to the status server: ${e.code ?? e.message}`)));
    sock.on('close', () => finish(null));
    sock.on('connect', () => { connected = true; sock.end(input); });
  });
}

/** A 500 status line (a request path cannot hold spaces, so a 404 body cannot echo one). */
const STATUS_500 = /HTTP\/1\.[01] 500 /;

const method = fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'CONNECT', 'get', 'G\u00e9T', '');
const path = fc.constantFrom('/mdstat', '/api/v1/status', '/metrics', '/healthz', '/api/v1/watch', '/', '/x', '*', 'http://h/mdstat', '/mdstat?stale=1',
  '/api/v1/status?stale=1&stale=0', '/api/v1/status?%zz', '/%00', '/%zz', '/%', '/\u00e9', '/api/v1/watch?x=1', '//api/v1/status', '/mdstat#f');
const header = fc.oneof(
  fc.constantFrom('Host: 127.0.0.1', 'Connection: keep-alive', 'Connection: close', 'Content-Length: 5', 'Content-Length: -1',
    'Content-Length: 99999999999', 'Transfer-Encoding: chunked', 'Transfer-Encoding: gzip, chunked', 'Expect: 100-continue',
    'Upgrade: websocket', 'Connection: Upgrade', 'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Version: 8',
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Key: x', 'Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits',
    'Sec-WebSocket-Protocol: a, b', 'Origin: http://evil', 'X: ' + 'a'.repeat(20_000), ': empty-name', 'Bad Header', 'X:\u0000'),
  fc.tuple(fc.stringMatching(/^[A-Za-z-]{1,12}$/), fc.string({ maxLength: 20 })).map(([k, v]) => `${k}: ${v}`),
);
const upgradeHeaders = ['Host: 127.0.0.1', 'Upgrade: websocket', 'Connection: Upgrade', 'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=='];
/** A client websocket frame (masked), possibly malformed. */
const wsFrame = fc.record({ fin: fc.boolean(), opcode: fc.constantFrom(0, 1, 2, 8, 9, 10, 3, 15), masked: fc.boolean(), payload: fc.uint8Array({ maxLength: 40 }), lenKind: fc.constantFrom(0, 126, 127) })
  .map(({ fin, opcode, masked, payload, lenKind }) => {
    const head = [((fin ? 0x80 : 0) | opcode)];
    const lenBytes: number[] = [];
    if (lenKind === 0 && payload.length < 126) head.push((masked ? 0x80 : 0) | payload.length);
    else if (lenKind === 127) { head.push((masked ? 0x80 : 0) | 127); lenBytes.push(0, 0, 0, 0, 0, 0, 0, payload.length); }
    else { head.push((masked ? 0x80 : 0) | 126); lenBytes.push(0, payload.length); }
    const mask = masked ? [1, 2, 3, 4] : [];
    const body = Buffer.from(payload.map((b, i) => (masked ? b ^ mask[i % 4]! : b)));
    return Buffer.concat([Buffer.from(head), Buffer.from(lenBytes), Buffer.from(mask), body]);
  });
const request = fc.oneof(
  fc.record({ method, path, version: fc.constantFrom('HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0', 'HTTP/1.1 x', ''), headers: fc.array(header, { maxLength: 6 }), body: fc.string({ maxLength: 16 }) })
    .map((r) => `${r.method} ${r.path} ${r.version}\r\n${r.headers.map((h) => `${h}\r\n`).join('')}\r\n${r.body}`),
  fc.tuple(fc.constantFrom('/api/v1/watch', '/api/v1/watch?x', '/mdstat'), fc.subarray(upgradeHeaders), fc.array(header, { maxLength: 2 }))
    .map(([p, hs, extra]) => `GET ${p} HTTP/1.1\r\n${[...hs, ...extra].map((h) => `${h}\r\n`).join('')}\r\n`),
);
const inputArb = fc.tuple(fc.array(request, { minLength: 1, maxLength: 3 }), fc.array(wsFrame, { maxLength: 3 }))
  .map(([reqs, frames]) => Buffer.concat([Buffer.from(reqs.join(''), 'utf8'), ...frames]));

export const statusSurface: Surface = {
  name: 'status',
  description: 'raw bytes on a TCP connection to the status server of a real one-node daemon (HTTP and websocket upgrade); refusal: a 4xx/5xx other than 500, or a closed connection',
  hangBoundMs: HANG_MS + 1000,
  async setup(hangScale: number): Promise<Target> {
    let daemon = new DaemonInstance();
    await daemon.start();
    let inputs = 0;
    return {
      structured: inputArb,
      run: async (input: Uint8Array) => {
        if (++inputs % RESTART_EVERY === 0 || !daemon.healthy()) {
          await daemon.stop();
          daemon = new DaemonInstance();
          await daemon.start();
        }
        const response = await exchange(daemon.statusPort, Buffer.from(input), HANG_MS * hangScale);
        if (STATUS_500.test(response)) throw new Error(`HTTP 500: ${response.slice(0, 300)}`);
        const crashes = daemon.crashRecords();
        if (crashes.length > 0) throw new Error(crashes.join('; '));
      },
      close: () => daemon.stop(),
    };
  },
};
