// One authenticated websocket link to a peer (either direction): receiving, frame validation
// and liveness.
// Owns: what happens to every message that arrives on a peer link, and the ping/pong check.
// Invariants:
// - Nothing received can throw out of a ws event handler: text frames, malformed headers,
//   unknown versions and ws-level protocol errors are counted and dropped (closing the link
//   when the stream can no longer be trusted); every ws has an 'error' listener.
// - Frames are delivered only while the link is OPEN and the peer is not blocked.
// - A link that shows no sign of life for deadAfterMs is terminated by sweep(). Signs of life:
//   a pong, a ping or a message from the peer, or progress writing to it (noteProgress): a
//   busy link's pong can queue behind megabytes of our own data, but then the data drains.
// - sweep() pings only a link that delivered no message within the last ping interval: a link
//   carrying heartbeats or acknowledgements shows it is alive without one (an idle cluster's
//   pings were a third of its frames).
import { WebSocket, type RawData } from 'ws';
import type { NodeId } from '../common/types.js';
import type { Logger } from '../log/logger.js';
import { decodeFrame, faultClosesLink } from './frame.js';
import type { PeerCounters } from './stats.js';

/** ws close codes used by the transport. */
export const CloseCode = {
  NORMAL: 1000,
  PROTOCOL_ERROR: 1002,
  UNSUPPORTED_DATA: 1003,
  REPLACED: 4000,
  BLOCKED: 4001,
} as const;

export interface ConnContext {
  readonly log: Logger;
  counters(peer: NodeId): PeerCounters;
  isBlocked(peer: NodeId): boolean;
  /** A ping answered: its round trip in ms (for the peer RTT histogram). */
  rtt(peer: NodeId, ms: number): void;
  deliver(from: NodeId, payload: Uint8Array): void;
  nowMs(): number;
}

export class Conn {
  /** Monotonic ms of the last sign of life. Invariant: never decreases. */
  private lastAliveMs: number;
  /** Monotonic ms of the unanswered ping (null: none out). One at a time: a later ping before the pong is not timed. */
  private pingSentMs: number | null = null;
  /** Monotonic ms of the last message delivered from the peer on this link. */
  private lastMessageMs = -Infinity;

  constructor(readonly ws: WebSocket, readonly peer: NodeId, readonly direction: 'in' | 'out', private readonly ctx: ConnContext) {
    this.lastAliveMs = ctx.nowMs();
    ws.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    ws.on('pong', () => { this.alive(); this.onPong(); });
    ws.on('ping', () => this.alive());
    ws.on('error', (err: Error & { code?: string }) => this.onError(err));
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** Pings an open link that carried no message for pingIntervalMs, or terminates it if it has been silent too long or is stuck closing. */
  sweep(deadAfterMs: number, pingIntervalMs: number): void {
    const ws = this.ws;
    if (ws.readyState === WebSocket.CLOSING) {
      ws.terminate();
      return;
    }
    if (ws.readyState !== WebSocket.OPEN) return;
    if (this.ctx.nowMs() - this.lastAliveMs > deadAfterMs) {
      this.ctx.counters(this.peer).deadLinks++;
      this.ctx.log.warn('peer link silent too long; terminating', { peer: this.peer, direction: this.direction, deadAfterMs });
      ws.terminate();
      return;
    }
    if (this.ctx.nowMs() - this.lastMessageMs < pingIntervalMs) return;
    this.pingSentMs ??= this.ctx.nowMs();
    ws.ping();
  }

  private onPong(): void {
    if (this.pingSentMs === null) return;
    this.ctx.rtt(this.peer, this.ctx.nowMs() - this.pingSentMs);
    this.pingSentMs = null;
  }

  close(code: number, reason: string): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.close(code, reason);
    else this.ws.terminate();
  }

  /**
   * This process was stalled for stalledMs (the sweep ran late): silence during the stall says
   * nothing about the peer, and its pongs may sit unread in the socket, so the stall is not
   * counted as silence. Only running time counts, so even a process that keeps stalling still
   * detects a dead peer, just later.
   */
  forgiveStall(stalledMs: number): void {
    this.lastAliveMs = Math.min(this.ctx.nowMs(), this.lastAliveMs + Math.max(0, stalledMs));
  }

  /** The socket accepted more of our data: the peer is reading, so the link is alive. */
  noteProgress(): void {
    this.alive();
  }

  private alive(): void {
    this.lastAliveMs = Math.max(this.lastAliveMs, this.ctx.nowMs());
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    const c = this.ctx.counters(this.peer);
    if (this.ws.readyState !== WebSocket.OPEN) return;
    if (this.ctx.isBlocked(this.peer)) {
      c.droppedBlocked++;
      return;
    }
    this.alive();
    if (!isBinary) {
      c.droppedProtocol++;
      this.ctx.log.warn('peer sent a text frame; closing', { code: 'E_PEER_PROTOCOL', peer: this.peer });
      this.ws.close(CloseCode.UNSUPPORTED_DATA, 'binary frames only');
      return;
    }
    const bytes = asBytes(data);
    const frame = decodeFrame(bytes);
    if (!frame.ok) {
      c.droppedProtocol++;
      if (frame.fault === 'version') c.badVersionFrames++;
      if (faultClosesLink(frame.fault)) {
        this.ctx.log.warn('peer frame with unknown magic or version; closing', { code: frame.fault === 'version' ? 'E_UNSUPPORTED_VERSION' : 'E_PEER_PROTOCOL', peer: this.peer, fault: frame.fault, version: frame.version });
        this.ws.close(CloseCode.PROTOCOL_ERROR, frame.fault === 'version' ? 'unsupported protocol version' : 'bad frame');
      } else {
        this.ctx.log.debug('dropped a malformed peer frame', { code: 'E_PEER_PROTOCOL', peer: this.peer, fault: frame.fault });
      }
      return;
    }
    c.receivedFrames++;
    c.receivedBytes += bytes.length;
    this.lastMessageMs = this.ctx.nowMs();
    this.ctx.deliver(this.peer, frame.payload);
  }

  private onError(err: Error & { code?: string }): void {
    const c = this.ctx.counters(this.peer);
    if (err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
      c.oversizedFrames++;
      c.droppedProtocol++;
    } else if (typeof err.code === 'string' && err.code.startsWith('WS_ERR_')) {
      c.droppedProtocol++;
    }
    this.ctx.log.debug('peer link error', { peer: this.peer, direction: this.direction, code: err.code, err: err.message });
  }
}

/** ws hands Buffer, ArrayBuffer or Buffer[] depending on binaryType and fragmentation. */
function asBytes(data: RawData): Uint8Array {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return new Uint8Array(data);
}
