// The simulated wire. Owns: passing every message between simulated nodes through the real
// codec (encodeMessage/decodeMessage), exactly as the transport does, so that no object is ever
// shared between two nodes and the codec's round trip is exercised on every message.
// Invariant: a message the core built always decodes; a failure is a violation (codec bug).
import { decodeMessage, encodeMessage } from '../../daemon/src/raft/codec.js';
import type { Message } from '../../daemon/src/raft/types.js';
import { SimViolation } from './checkers.js';

export class WireCodec {
  encode(m: Message): Uint8Array {
    return encodeMessage(m);
  }

  decode(bytes: Uint8Array): Message {
    const m = decodeMessage(bytes);
    if (m === null) throw new SimViolation('codec', `a message encoded by the core failed to decode (${bytes.length} bytes)`);
    return m;
  }
}
