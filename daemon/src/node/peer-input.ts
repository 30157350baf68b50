// Peer frames on their way into Raft: decoded and validated first. Owns: the refusal rules and
// their counts. Invariants: a frame is refused when it is not a known kind, does not decode,
// names another sender than the peer whose certificate the link authenticated, or brings a term
// more than RAFT_MAX_TERM_JUMP ahead of ours; messages Raft itself drops (a removed member's, an
// index past the log, a snapshot chunk out of order) are counted as refused too. Each refusal is
// counted by reason and logged at most once per PEER_REFUSAL_LOG_INTERVAL_MS per reason; a
// refused frame never reaches Raft.
import type { NodeId } from '../common/types.js';
import { PEER_REFUSAL_LOG_INTERVAL_MS, RAFT_MAX_TERM_JUMP } from '../common/limits.js';
import { LogThrottle } from '../log/throttle.js';
import { decodeMessage } from '../raft/codec.js';
import type { Message } from '../raft/types.js';
import type { Clock, Logger } from './deps.js';

/** Why a frame from an authenticated peer was refused (see the header). */
export type PeerFrameRefusal = 'unknown-kind' | 'undecodable' | 'spoofed-sender' | 'term-jump' | 'raft-refused';

export class PeerInput {
  /** Frames refused before they reached Raft (Raft counts its own drops). */
  dropped = 0;
  private readonly refusals: LogThrottle<PeerFrameRefusal>;

  constructor(logger: Logger, clock: Clock) {
    this.refusals = new LogThrottle(logger, 'refused a peer frame', PEER_REFUSAL_LOG_INTERVAL_MS, () => clock.monoMs());
  }

  /** The Raft message a frame of kind `raftKind` carries, or null when it is refused. */
  raftMessage(from: NodeId, payload: Uint8Array, raftKind: number, ourTerm: number): Message | null {
    if (payload[0] !== raftKind) return this.refuse('unknown-kind', from, { kind: payload[0] });
    const msg = decodeMessage(payload.subarray(1));
    if (msg === null) return this.refuse('undecodable', from, {});
    if (msg.from !== from) return this.refuse('spoofed-sender', from, { claimed: msg.from, type: msg.type });
    if (msg.term > ourTerm + RAFT_MAX_TERM_JUMP) return this.refuse('term-jump', from, { type: msg.type, term: msg.term, ourTerm });
    return msg;
  }

  /** Raft dropped a message this peer sent (logged with the frame refusals). */
  raftRefused(from: NodeId, msg: Message): void {
    this.refusals.note('raft-refused', { code: 'E_PEER_PROTOCOL', peer: from, type: msg.type, term: msg.term });
  }

  private refuse(reason: PeerFrameRefusal, from: NodeId, fields: Record<string, unknown>): null {
    this.dropped++;
    this.refusals.note(reason, { code: 'E_PEER_PROTOCOL', peer: from, ...fields });
    return null;
  }
}
