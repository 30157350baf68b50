// The peer listener: an HTTPS server with mandatory client certificates from the cluster CA,
// upgrading authenticated peers to websockets on PEER_PATH.
// Owns: accepting inbound links and refusing everything else.
// Invariants:
// - A connection becomes a peer link only if the TLS handshake verified its certificate
//   against the cluster CA and the certificate's CN is a configured peer other than us that
//   is not blocked; anything else gets an HTTP error (or a TLS alert) and is destroyed.
// - A certificate identity already linked from another address is refused (409): two daemons
//   with one identity (a copied certificate, a second daemon on copied data) must not take turns
//   replacing each other's link; a reconnect from the same address replaces the old link.
// - At most PEER_MAX_INBOUND_SOCKETS sockets are held; every server, socket and ws has an
//   'error' listener, so nothing a client sends can raise an uncaught exception.
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { WebSocketServer, type WebSocket } from 'ws';
import { OpError } from '../common/errors.js';
import { PEER_MAX_FRAME_BYTES, PEER_MAX_INBOUND_SOCKETS, PEER_REFUSE_GRACE_MS } from '../common/limits.js';
import type { NodeId } from '../common/types.js';
import type { HostPort, TransportConfig } from '../config/config.js';
import type { Logger } from '../log/logger.js';
import { PEER_PATH } from './outbound.js';
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
  refused(reason: string, detail: Record<string, unknown>): void;
  tlsError(err: Error): void;
}

export class PeerServer {
  private readonly https: Server;
  private readonly wss: WebSocketServer;
  /** Every raw socket, to destroy on close. Invariant: size <= PEER_MAX_INBOUND_SOCKETS. */
  private readonly sockets = new Set<Socket>();

  constructor(private readonly ctx: ServerContext) {
    const t = ctx.timing;
    this.https = createServer({
      ca: ctx.tls.caPem,
      cert: ctx.tls.certPem,
      key: ctx.tls.keyPem,
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.3',
      handshakeTimeout: t.connectTimeoutMs,
      headersTimeout: t.connectTimeoutMs,
      requestTimeout: t.connectTimeoutMs,
      connectionsCheckingInterval: Math.min(1000, t.connectTimeoutMs),
    });
    this.https.maxConnections = PEER_MAX_INBOUND_SOCKETS;
    this.wss = new WebSocketServer({ noServer: true, maxPayload: PEER_MAX_FRAME_BYTES, perMessageDeflate: false, clientTracking: false });
    this.wss.on('error', (err) => ctx.log.warn('peer websocket server error', { err: err.message }));
    this.wss.on('wsClientError', (err, socket) => {
      ctx.refused('bad websocket upgrade', { err: err.message });
      socket.destroy();
    });
    this.https.on('connection', (s: Socket) => this.track(s));
    this.https.on('tlsClientError', (err: Error, s: TLSSocket) => {
      ctx.tlsError(err);
      s.destroy();
    });
    this.https.on('clientError', (_err: Error, s: Socket) => s.destroy());
    this.https.on('error', (err) => ctx.log.error('peer listener error', { err: err.message }));
    this.https.on('request', (_req: IncomingMessage, res: ServerResponse) => {
      res.on('error', () => {});
      res.writeHead(426, { connection: 'close', 'content-length': '0' }).end();
    });
    this.https.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => this.upgrade(req, socket, head));
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
      this.https.once('error', onError);
      this.https.listen(addr.port, addr.host, () => {
        this.https.off('error', onError);
        const a = this.https.address();
        resolve(typeof a === 'object' && a !== null ? { host: a.address, port: a.port } : addr);
      });
    });
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    return new Promise((resolve) => {
      if (!this.https.listening) {
        resolve();
        return;
      }
      this.https.close(() => resolve());
    });
  }

  private track(s: Socket): void {
    s.on('error', () => {});
    this.sockets.add(s);
    s.once('close', () => this.sockets.delete(s));
  }

  private upgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    socket.on('error', () => {});
    const tlsSocket = socket as TLSSocket;
    const refuse = (status: number, reason: string, detail: Record<string, unknown>): void => {
      this.ctx.refused(reason, detail);
      if (!socket.writable) {
        socket.destroy();
        return;
      }
      // Let the status line reach the client (so it can log why), but never wait long for it.
      const timer = setTimeout(() => socket.destroy(), PEER_REFUSE_GRACE_MS);
      timer.unref();
      socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`, () => {
        clearTimeout(timer);
        socket.destroy();
      });
    };
    if (!tlsSocket.authorized) {
      refuse(401, 'Unauthorized', { reason: String(tlsSocket.authorizationError) });
      return;
    }
    const peer = peerIdFromCertificate(tlsSocket.getPeerCertificate(), this.ctx.peers, this.ctx.self);
    if (peer === null) {
      refuse(403, 'Forbidden', { cn: tlsSocket.getPeerCertificate()?.subject?.CN ?? null });
      return;
    }
    if (req.url !== PEER_PATH) {
      refuse(404, 'Not Found', { peer, url: String(req.url).slice(0, 100) });
      return;
    }
    if (this.ctx.isBlocked(peer)) {
      refuse(403, 'Forbidden', { peer, blocked: true });
      return;
    }
    const address = socket.remoteAddress ?? '?';
    const other = this.ctx.connectedElsewhere(peer, address);
    if (other !== null) {
      refuse(409, 'Conflict', { code: 'E_PEER_DUPLICATE', peer, address, connectedFrom: other });
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.ctx.accept(peer, ws, address));
  }
}
