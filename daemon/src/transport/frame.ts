// The peer wire frame: a 4-byte header and an opaque payload, carried as one binary websocket
// message.  Layout: [0] magic 0x6d ('m'), [1] protocol version, [2] frame kind, [3] reserved
// (0), then the payload (for kind RAFT: raft/codec.ts encodeMessage bytes, decoded by the
// caller, never here).
// Owns: the header format and its validation.
// Invariants: decodeFrame never throws and never copies the payload (it returns a view);
// encodeFrame output always decodes back to the same kind and payload.
import { assert } from '../common/assert.js';
import { PEER_MAX_FRAME_BYTES } from '../common/limits.js';

export const FRAME_MAGIC = 0x6d;
export const PROTOCOL_VERSION = 1;
export const FRAME_HEADER_BYTES = 4;
/** Largest payload that fits in one frame. */
export const MAX_FRAME_PAYLOAD_BYTES = PEER_MAX_FRAME_BYTES - FRAME_HEADER_BYTES;

/** Frame kinds. Invariant: values are never reused once released. */
export const FrameKind = {
  /** An encoded Raft message. */
  RAFT: 1,
} as const;
export type FrameKind = (typeof FrameKind)[keyof typeof FrameKind];
const KNOWN_KINDS: ReadonlySet<number> = new Set(Object.values(FrameKind));

/** Why a frame was refused. "version"/"magic" close the link; the others drop the frame. */
export type FrameFault = 'short' | 'magic' | 'version' | 'kind' | 'reserved';

export type DecodedFrame =
  | { ok: true; kind: FrameKind; payload: Uint8Array }
  | { ok: false; fault: FrameFault; version?: number };

export function encodeFrame(kind: FrameKind, payload: Uint8Array): Buffer {
  assert(payload.length <= MAX_FRAME_PAYLOAD_BYTES, `frame payload of ${payload.length} bytes exceeds ${MAX_FRAME_PAYLOAD_BYTES}`);
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length);
  out[0] = FRAME_MAGIC;
  out[1] = PROTOCOL_VERSION;
  out[2] = kind;
  out[3] = 0;
  out.set(payload, FRAME_HEADER_BYTES);
  return out;
}

export function decodeFrame(bytes: Uint8Array): DecodedFrame {
  if (bytes.length < FRAME_HEADER_BYTES) return { ok: false, fault: 'short' };
  if (bytes[0] !== FRAME_MAGIC) return { ok: false, fault: 'magic' };
  if (bytes[1] !== PROTOCOL_VERSION) return { ok: false, fault: 'version', version: bytes[1] };
  if (!KNOWN_KINDS.has(bytes[2])) return { ok: false, fault: 'kind' };
  if (bytes[3] !== 0) return { ok: false, fault: 'reserved' };
  return { ok: true, kind: bytes[2] as FrameKind, payload: bytes.subarray(FRAME_HEADER_BYTES) };
}

/** True for faults after which nothing else from the link can be trusted to parse. */
export function faultClosesLink(fault: FrameFault): boolean {
  return fault === 'magic' || fault === 'version';
}
