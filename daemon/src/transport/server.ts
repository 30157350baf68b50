// The peer listener: raw TCP accepted by admission.ts, then an HTTPS server with mandatory
// client certificates from the cluster CA, upgrading authenticated peers to websockets on
// PEER_PATH.
// Owns: accepting inbound links and refusing everything else, with a reason for each refusal.
// Invariants:
// - A connection becomes a peer link only if the TLS handshake verified its certificate
//   against the cluster CA and the certificate's CN is a configured peer other than us that
//   is not blocked; anything else gets an HTTP error (or a TLS alert) and is destroyed.
// - A certificate identity already linked from another address is refused (409): two daemons
//   with one identity (a copied certificate, a second daemon on copied data) must not take turns
//   replacing each other's link; a reconnect from the same address replaces the old link.
// - Sockets are admitted, capped and timed by admission.ts (at most PEER_MAX_INBOUND_SOCKETS,
//   strangers capped, slots kept for known peer addresses, a handshake deadline); every server,
//   socket and ws has an 'error' listener, so nothing a client sends can raise an uncaught
//   exception.
// - Every refused, failed or timed-out connection is reported once through refused(reason):
//   junk bytes, plain HTTP and idle sockets included.
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { WebSocketServer, type WebSocket } from 'ws';
import { OpError } from '../common/errors.js';
import { PEER_HANDSHAKE_TIMEOUT_MS, PEER_MAX_FRAME_BYTES, PEER_REFUSE_GRACE_MS } from '../common/limits.js';
import type { NodeId } from '../common/types.js';
import type { HostPort, TransportConfig } from '../config/config.js';
import type { Logger } from '../log/logger.js';
import { PeerAdmission, type AdmissionContext } from './admission.js';
import { PEER_PATH } from './outbound.js';
import type { AdmissionGauges, RefusalReason } from './stats.js';
import { peerIdFromCertificate, type TlsMaterial } from './tls-material.js';

export interface ServerContext {
  readonly self: NodeId;
  readonly peers: ReadonlySet<NodeId>;
  readonly tls: TlsMaterial;
  readonly timing: TransportConfig;
  readonly log: Logger;
  isBlocked(peer: NodeId): boolean;
  /** The address `peer` already has an open inbound link from, if it differs from `address`. */
  connectedElsewhere(peer: NodeId, address: string): string | null;
  /** An authenticated peer connected from `address`. */
  accept(peer: NodeId, ws: WebSocket, address: string): void;
  /** One inbound connection was refused, failed its handshake or timed out (counted, logged rate-limited). */
  refused(reason: RefusalReason, detail: Record<string, unknown>): void;
  /** Name resolution for the known peer hosts (tests); default: the system resolver. */
  resolve?: AdmissionContext['resolve'];
}

/** The reason for a failed TLS handshake, from OpenSSL's error code (Node's err.code). */
export function tlsFailureReason(err: Error & { code?: string }): RefusalReason {
  const code = err.code ?? '';
  if (/HANDSHAKE_TIMEOUT/.test(code)) return 'handshake-timeout';
  if (/HTTP/.test(code)) return 'plain-http';
  if (/DID_NOT_RETURN_A_CERTIFICATE|NO_CERTIFICATE/.test(code)) return 'no-certificate';
  if (/CERTIFICATE|UNKNOWN_CA|VERIFY/.test(code)) return 'bad-certificate';
  if (/WRONG_VERSION_NUMBER|UNSUPPORTED_PROTOCOL|PACKET_LENGTH|RECORD_LENGTH|UNKNOWN_PROTOCOL|BAD_PACKET|UNEXPECTED_RECORD|UNEXPECTED_MESSAGE|WRONG_SSL_VERSION|NO_PROTOCOLS/.test(code)) return 'not-tls';
  if (code === 'ECONNRESET' || code === 'EPIPE' || /disconnected/.test(err.message)) return 'closed-in-handshake';
  return 'tls-error';
}

/** The raw TCP socket under a server-side TLS socket (Node keeps it as _parent). */
function rawOf(tls: TLSSocket): Socket | null {
  const parent = (tls as unknown as { _parent?: unknown })._parent;
  return parent !== null && typeof parent === 'object' ? (parent as Socket) : null;
}

export class PeerServer {
  private readonly tcp: NetServer;
  private readonly https: Server;
  private readonly wss: WebSocketServer;
  readonly admission: PeerAdmission;

  constructor(private readonly ctx: ServerContext) {
    const t = ctx.timing;
    this.admission = new PeerAdmission({
      upgradeTimeoutMs: t.connectTimeoutMs,
      refuse: (reason, fields) => ctx.refused(reason, fields),
      resolve: ctx.resolve,
    });
    this.https = createServer({
      ca: ctx.tls.caPem,
      cert: ctx.tls.certPem,
      key: ctx.tls.keyPem,
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.3',
      // A second guard: admission.ts enforces the deadline from accept, whatever the client does.
      handshakeTimeout: Math.max(PEER_HANDSHAKE_TIMEOUT_MS, t.connectTimeoutMs),
      headersTimeout: t.connectTimeoutMs,
      requestTimeout: t.connectTimeoutMs,
    });
    this.wss = new WebSocketServer({ noServer: true, maxPayload: PEER_MAX_FRAME_BYTES, perMessageDeflate: false, clientTracking: false });
    this.wss.on('error', (err) => ctx.log.warn('peer websocket server error', { err: err.message }));
    this.wss.on('wsClientError', (err, socket) => {
      ctx.refused('bad-upgrade', { err: err.message, ...this.addressOf(socket as Socket) });
      socket.destroy();
    });
    this.https.on('secureConnection', (tls: TLSSocket) => {
      const raw = rawOf(tls);
      if (raw !== null) this.admission.handshaken(raw);
    });
    this.https.on('tlsClientError', (err: Error & { code?: string }, tls: TLSSocket) => {
      const raw = rawOf(tls);
      if (raw === null || !this.admission.expired(raw)) {
        ctx.refused(tlsFailureReason(err), { err: err.message.trim(), tlsCode: err.code, ...(raw === null ? {} : this.admission.addressOf(raw)) });
      }
      tls.destroy();
    });
    this.https.on('clientError', (_err: Error, s: Socket) => s.destroy());
    this.https.on('error', (err) => ctx.log.error('peer listener error', { err: err.message }));
    this.https.on('request', (req: IncomingMessage, res: ServerResponse) => {
      ctx.refused('not-upgrade', { method: String(req.method).slice(0, 16), ...this.addressOf(req.socket) });
      res.on('error', () => {});
      res.writeHead(426, { connection: 'close', 'content-length': '0' }).end();
    });
    this.https.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => this.upgrade(req, socket, head));
    this.tcp = createNetServer({ pauseOnConnect: true }, (raw) => {
      raw.on('error', () => {});
      if (this.admission.admit(raw)) this.https.emit('connection', raw);
    });
    this.tcp.on('error', (err) => ctx.log.error('peer listener error', { err: err.message }));
  }

  /** The IP literals or names the configured peers' addresses use (known peer addresses). */
  setKnownHosts(hosts: Iterable<string>): void {
    this.admission.setKnownHosts(hosts);
  }

  gauges(): AdmissionGauges {
    return this.admission.gauges();
  }

  /** Connections accepted from now on present and check `tls` (SIGHUP reload); open ones keep theirs. */
  setTls(tls: TlsMaterial): void {
    this.https.setSecureContext({ ca: tls.caPem, cert: tls.certPem, key: tls.keyPem, minVersion: 'TLSv1.3' });
  }

  listen(addr: HostPort): Promise<HostPort> {
    return new Promise((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException): void => {
        reject(new OpError('E_LISTEN_FAILED', `cannot listen on ${addr.host}:${addr.port} for peers: ${err.code ?? err.message}`, { host: addr.host, port: addr.port, errno: err.code }));
      };
      this.tcp.once('error', onError);
      this.tcp.listen(addr.port, addr.host, () => {
        this.tcp.off('error', onError);
        const a = this.tcp.address();
        resolve(typeof a === 'object' && a !== null ? { host: a.address, port: a.port } : addr);
      });
    });
  }

  close(): Promise<void> {
    this.admission.closeAll();
    return new Promise((resolve) => {
      if (!this.tcp.listening) {
        resolve();
        return;
      }
      this.tcp.close(() => resolve());
    });
  }

  /** The raw socket under an upgrade/request socket (the TLS socket), for admission. */
  private rawUnder(socket: Socket): Socket | null {
    return rawOf(socket as TLSSocket);
  }

  private addressOf(socket: Socket): { address?: string; known?: boolean } {
    const raw = this.rawUnder(socket);
    return (raw === null ? null : this.admission.addressOf(raw)) ?? {};
  }

  private upgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    socket.on('error', () => {});
    const tlsSocket = socket as TLSSocket;
    const refuse = (status: number, text: string, reason: RefusalReason, detail: Record<string, unknown>): void => {
      this.ctx.refused(reason, { ...detail, ...this.addressOf(socket) });
      if (!socket.writable) {
        socket.destroy();
        return;
      }
      // Let the status line reach the client (so it can log why), but never wait long for it.
      const timer = setTimeout(() => socket.destroy(), PEER_REFUSE_GRACE_MS);
      timer.unref();
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`, () => {
        clearTimeout(timer);
        socket.destroy();
      });
    };
    if (!tlsSocket.authorized) {
      refuse(401, 'Unauthorized', 'unauthorized', { authorizationError: String(tlsSocket.authorizationError) });
      return;
    }
    const peer = peerIdFromCertificate(tlsSocket.getPeerCertificate(), this.ctx.peers, this.ctx.self);
    if (peer === null) {
      refuse(403, 'Forbidden', 'unknown-peer', { cn: tlsSocket.getPeerCertificate()?.subject?.CN ?? null });
      return;
    }
    if (req.url !== PEER_PATH) {
      refuse(404, 'Not Found', 'wrong-path', { peer, url: String(req.url).slice(0, 100) });
      return;
    }
    if (this.ctx.isBlocked(peer)) {
      refuse(403, 'Forbidden', 'blocked', { peer });
      return;
    }
    const address = socket.remoteAddress ?? '?';
    const other = this.ctx.connectedElsewhere(peer, address);
    if (other !== null) {
      refuse(409, 'Conflict', 'duplicate-identity', { code: 'E_PEER_DUPLICATE', peer, address, connectedFrom: other });
      return;
    }
    const raw = this.rawUnder(socket);
    if (raw !== null) this.admission.upgraded(raw);
    this.wss.handleUpgrade(req, socket, head, (ws) => this.ctx.accept(peer, ws, address));
  }
}
