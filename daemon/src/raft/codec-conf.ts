// Binary form of a ConfChange (the data of a 'conf' log entry). Owns: that format.
// Layout: [version u8 = 1][change type u8][node id: u16 length + UTF-8].
// Invariants: decodeConfChange never throws; it returns null for any byte string that
// encodeConfChange could not have produced.
import { RAFT_WIRE_MAX_NODE_ID_BYTES } from '../common/limits.js';
import { isNodeId } from '../common/types.js';
import { ByteReader, ByteWriter } from '../common/bytes.js';
import type { ConfChange, ConfChangeType } from './types.js';

const CONF_FORMAT_VERSION = 1;
const CC_TYPES: readonly ConfChangeType[] = ['add-learner', 'promote', 'remove'];

export function encodeConfChange(cc: ConfChange): Uint8Array {
  const w = new ByteWriter('big-endian');
  w.u8(CONF_FORMAT_VERSION);
  w.u8(CC_TYPES.indexOf(cc.type));
  w.str(cc.node);
  return w.finish();
}

export function decodeConfChange(bytes: Uint8Array): ConfChange | null {
  try {
    const r = new ByteReader(bytes, 'big-endian', 'throw');
    if (r.u8() !== CONF_FORMAT_VERSION) return null;
    const type = CC_TYPES[r.u8()];
    const node = r.str(RAFT_WIRE_MAX_NODE_ID_BYTES);
    r.end();
    if (type === undefined || !isNodeId(node)) return null;
    return { type, node };
  } catch {
    return null;
  }
}
