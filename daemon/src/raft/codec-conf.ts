// Binary form of a ConfChange (the data of a 'conf' log entry). Owns: that format.
// Layout: [version u8 = 1][change type u8][node id: u16 length + UTF-8].
// Invariants: decodeConfChange never throws; it returns null for any byte string that
// encodeConfChange could not have produced.
import { RAFT_WIRE_MAX_NODE_ID_BYTES } from '../common/limits.js';
import { isNodeId } from '../common/types.js';
import { DecodeFailure, decodeWhole, encodeWith } from '../common/bytes.js';
import type { ConfChange, ConfChangeType } from './types.js';

const CONF_FORMAT_VERSION = 1;
const CC_TYPES: readonly ConfChangeType[] = ['add-learner', 'promote', 'remove'];

export function encodeConfChange(cc: ConfChange): Uint8Array {
  return encodeWith('big-endian', (w) => {
    w.u8(CONF_FORMAT_VERSION);
    w.u8(CC_TYPES.indexOf(cc.type));
    w.str(cc.node);
  });
}

export function decodeConfChange(bytes: Uint8Array): ConfChange | null {
  return decodeWhole(bytes, 'big-endian', (r) => {
    if (r.u8() !== CONF_FORMAT_VERSION) throw new DecodeFailure('unknown conf change format version');
    return { type: CC_TYPES[r.u8()] as ConfChangeType | undefined, node: r.str(RAFT_WIRE_MAX_NODE_ID_BYTES) };
  }, ({ type, node }) => (type === undefined || !isNodeId(node) ? null : { type, node }));
}
