// Counters of the peer transport, per peer and global.
// Owns: the names and meaning of every counter reported by Transport.stats().
// Invariant: counters only grow (they are totals since start); gauges (up, blocked,
// queuedFrames, inbound) describe the moment stats() is called.
import type { NodeId } from '../common/types.js';

/**
 * Why the peer listener refused or dropped an inbound connection, by stage. Admission: at
 * accept, before any byte is read (admission.ts). TLS: the handshake failed or took too long.
 * HTTP: after a verified handshake, the websocket upgrade was refused (server.ts).
 */
export const REFUSAL_REASONS = {
  admission: ['pending-cap', 'address-cap', 'strangers-full', 'listener-full'],
  tls: ['handshake-timeout', 'plain-http', 'not-tls', 'no-certificate', 'bad-certificate', 'closed-in-handshake', 'tls-error'],
  http: ['unauthorized', 'unknown-peer', 'blocked', 'wrong-path', 'duplicate-identity', 'not-upgrade', 'bad-upgrade', 'upgrade-timeout'],
} as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[keyof typeof REFUSAL_REASONS][number];

/** Inbound sockets held by the peer listener right now (admission.ts). */
export interface AdmissionGauges {
  /** Accepted, TLS handshake not finished. */
  pending: number;
  /** Handshake finished (upgrading or an open peer link). */
  open: number;
  /** Of pending + open: from addresses that are not a known peer address. */
  strangers: number;
  /** IP addresses the configured peers' hosts resolve to. */
  knownAddresses: number;
}

export interface PeerCounters {
  /** Frames handed to the socket, and their bytes (header included). */
  sentFrames: number;
  sentBytes: number;
  /** Valid frames received from this peer (either link direction), and their bytes. */
  receivedFrames: number;
  receivedBytes: number;
  /** Frames dropped because the send queue was full, by count or bytes (the oldest go first). */
  droppedQueueFull: number;
  /** Frames dropped because the peer is blocked (blockPeer), in either direction. */
  droppedBlocked: number;
  /** Outgoing frames larger than one frame allows. */
  droppedTooLarge: number;
  /** Received frames refused: text frames, bad magic/version/kind/reserved, ws protocol errors. */
  droppedProtocol: number;
  /** Of droppedProtocol: frames with an unknown protocol version (the link is closed). */
  badVersionFrames: number;
  /** Received messages over PEER_MAX_FRAME_BYTES (ws closes the link with 1009). */
  oversizedFrames: number;
  /** Outbound links opened, closed after being open, and dial attempts that failed. */
  connects: number;
  disconnects: number;
  dialFailures: number;
  /** Links (either direction) terminated for missing pongs. */
  deadLinks: number;
  /** Inbound links accepted from this peer. */
  inboundAccepted: number;
}

export interface PeerStats extends PeerCounters {
  /** The outbound link is open (we can send). */
  up: boolean;
  blocked: boolean;
  /** An inbound link from this peer is open. */
  inbound: boolean;
  queuedFrames: number;
  queuedBytes: number;
}

export interface TransportStats {
  self: NodeId;
  peers: Record<string, PeerStats>;
  /** Inbound connections refused after TLS: unknown/own CN, blocked peer, wrong path (the http reasons). */
  refusedConnections: number;
  /** Inbound TLS handshakes that failed or timed out: no client cert, foreign CA, junk, plain HTTP (the tls reasons). */
  tlsErrors: number;
  /** Inbound connections refused at accept by the per-address and stranger caps (the admission reasons). */
  refusedAtAccept: number;
  /** Every refused or failed inbound connection, by reason (only reasons seen at least once). */
  refusals: Partial<Record<RefusalReason, number>>;
  admission: AdmissionGauges;
  /** send() to an id that is not a configured peer (or to ourselves). */
  droppedUnknownDestination: number;
  /** Heartbeat sweeps that ran over a ping interval late (this process was stalled). */
  localStalls: number;
}

export function newPeerCounters(): PeerCounters {
  return {
    sentFrames: 0, sentBytes: 0, receivedFrames: 0, receivedBytes: 0, droppedQueueFull: 0, droppedBlocked: 0,
    droppedTooLarge: 0, droppedProtocol: 0, badVersionFrames: 0, oversizedFrames: 0, connects: 0, disconnects: 0,
    dialFailures: 0, deadLinks: 0, inboundAccepted: 0,
  };
}
