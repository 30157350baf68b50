// HTTP and raw-socket access to a daemon's status endpoint and control socket for tests.
// Owns: bounded, time-limited requests. Invariant: every call ends within its timeout and
// reads at most INTEG_MAX_REPLY_BYTES; a larger reply is an error, never a hang or an OOM.
import { request } from 'node:http';
import { connect } from 'node:net';
import { INTEG_MAX_REPLY_BYTES } from '../../lib/limits.js';

export interface HttpReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

const DEFAULT_HTTP_TIMEOUT_MS = 5000;

export function httpRequest(port: number, method: string, path: string, body?: string, timeoutMs = DEFAULT_HTTP_TIMEOUT_MS): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, timeout: timeoutMs, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > INTEG_MAX_REPLY_BYTES) { req.destroy(new Error(`reply from ${path} larger than ${INTEG_MAX_REPLY_BYTES} bytes`)); return; }
        chunks.push(c);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} on port ${port} timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

export async function httpGet(port: number, path: string, timeoutMs = DEFAULT_HTTP_TIMEOUT_MS): Promise<string> {
  const r = await httpRequest(port, 'GET', path, undefined, timeoutMs);
  if (r.status !== 200) throw new Error(`GET ${path} on port ${port}: HTTP ${r.status}: ${r.body.slice(0, 200)}`);
  return r.body;
}

/**
 * Writes `data` to the unix socket and collects reply lines until `wantLines` arrived, the
 * daemon closed the connection, or `timeoutMs` passed. Returns the parsed lines and whether
 * the daemon closed the connection.
 */
export function rawControlExchange(socketPath: string, data: string | Buffer, wantLines: number, timeoutMs = 5000): Promise<{ lines: unknown[]; closedByDaemon: boolean }> {
  return new Promise((resolve, reject) => {
    const s = connect(socketPath);
    let buf = '';
    const lines: unknown[] = [];
    let done = false;
    const finish = (closedByDaemon: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      s.destroy();
      resolve({ lines, closedByDaemon });
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    s.setEncoding('utf8');
    s.on('connect', () => s.write(data));
    s.on('data', (d: string) => {
      buf += d;
      if (buf.length > INTEG_MAX_REPLY_BYTES) { done = true; clearTimeout(timer); s.destroy(); reject(new Error('control reply too large')); return; }
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try { lines.push(JSON.parse(line)); } catch { lines.push({ unparsable: line }); }
      }
      if (lines.length >= wantLines) finish(false);
    });
    s.on('end', () => finish(true));
    s.on('close', () => finish(true));
    s.on('error', (e) => {
      if (lines.length > 0) { finish(true); return; } // EPIPE after the daemon replied and closed
      if (!done) { done = true; clearTimeout(timer); reject(e); }
    });
  });
}
