// A raw websocket client to a daemon's peer port with any (or no) TLS identity, for testing
// how the daemon refuses strangers and malformed traffic. Owns: one connection attempt and
// the record of what happened to it. Invariant: `result` settles within handshakeTimeoutMs
// plus the close, whatever the server does.
import { WebSocket } from 'ws';
import { PEER_PATH } from '../../../daemon/src/transport/outbound.js';

export interface PeerIdentity {
  caPem?: string;
  certPem?: string;
  keyPem?: string;
}

export interface PeerAttempt {
  opened: boolean;
  error: string | null;
  closeCode: number | null;
  /** HTTP status of a refused upgrade, when the server answered with one. */
  httpStatus: number | null;
}

const HANDSHAKE_TIMEOUT_MS = 3000;

export function peerConnect(port: number, id: PeerIdentity, path = PEER_PATH): { ws: WebSocket; opened: Promise<boolean>; result: Promise<PeerAttempt> } {
  const ws = new WebSocket(`wss://127.0.0.1:${port}${path}`, {
    ca: id.caPem, cert: id.certPem, key: id.keyPem, rejectUnauthorized: id.caPem !== undefined,
    perMessageDeflate: false, handshakeTimeout: HANDSHAKE_TIMEOUT_MS, maxPayload: 64 * 1024 * 1024,
  });
  const r: PeerAttempt = { opened: false, error: null, closeCode: null, httpStatus: null };
  ws.on('unexpected-response', (_req, res) => {
    r.httpStatus = res.statusCode ?? null;
    res.resume();
    ws.terminate();
  });
  ws.on('error', (e) => { r.error = e.message; });
  const opened = new Promise<boolean>((resolve) => {
    ws.once('open', () => { r.opened = true; resolve(true); });
    ws.once('close', () => resolve(false));
  });
  const result = new Promise<PeerAttempt>((resolve) => ws.once('close', (code) => { r.closeCode = code; resolve(r); }));
  return { ws, opened, result };
}

/** The transport frame header [magic 'm', version 1, kind, reserved 0] (transport/frame.ts). */
export function frame(kind: number, payload: Uint8Array, magic = 0x6d, version = 1): Buffer {
  return Buffer.concat([Buffer.from([magic, version, kind, 0]), Buffer.from(payload)]);
}
