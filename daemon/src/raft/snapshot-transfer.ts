// Snapshot transfer (§7). Owns: the leader sending a snapshot in SNAPSHOT_CHUNK_BYTES chunks
// (at most RAFT_MAX_INFLIGHT_SNAPSHOT_CHUNKS unacknowledged), the follower reassembling them
// (bounded by SNAPSHOT_MAX_BYTES, checked by validate.ts) and installing the result, which
// the application receives through Ready.snapshot.
// Invariants:
// - The follower accepts chunks strictly in order for one (leader term, index, term, size);
//   a chunk for another snapshot restarts reassembly only at offset 0; duplicates are
//   re-acknowledged, gaps are answered with the offset it still needs; every chunk out of
//   order is counted in droppedMessages and never stored.
// - A lost chunk is resent when a heartbeat reply arrives with no chunk acknowledged since
//   the previous one (go-back-N from the acknowledged offset).
// - Completion is acknowledged by an 'app-resp' whose index is the snapshot index; a
//   snapshot no newer than the follower's commit is not installed (its commit is reported).
import { RAFT_MAX_INFLIGHT_SNAPSHOT_CHUNKS, SNAPSHOT_CHUNK_BYTES } from '../common/limits.js';
import type { NodeId } from '../common/types.js';
import { logIndex, term as mkTerm } from '../common/types.js';
import type { Progress } from './progress.js';
import type { RaftState, SnapshotReceiver } from './state.js';
import type { MsgSnap, MsgSnapResp, Snapshot } from './types.js';

// ---- leader side ----

/** Starts sending the latest snapshot to `to`. Returns whether anything was sent. */
export function sendSnapshot(r: RaftState, to: NodeId, pr: Progress): boolean {
  const snap = r.log.snapshot;
  if (snap === null) return false;
  pr.becomeSnapshot({ index: snap.meta.index, term: snap.meta.term, totalBytes: snap.data.length,
    sentOffsetBytes: 0, ackedOffsetBytes: 0, ackedSinceHeartbeat: true, sentAny: false });
  return sendChunks(r, to, pr, snap);
}

function sendChunks(r: RaftState, to: NodeId, pr: Progress, snap: Snapshot): boolean {
  const s = pr.snap!;
  let sent = false;
  const windowBytes = SNAPSHOT_CHUNK_BYTES * RAFT_MAX_INFLIGHT_SNAPSHOT_CHUNKS;
  while ((!s.sentAny || s.sentOffsetBytes < s.totalBytes) && s.sentOffsetBytes - s.ackedOffsetBytes < windowBytes) {
    const end = Math.min(s.totalBytes, s.sentOffsetBytes + SNAPSHOT_CHUNK_BYTES);
    r.send({ type: 'snap', from: r.id, to, term: r.term, meta: snap.meta, offsetBytes: s.sentOffsetBytes,
      totalBytes: s.totalBytes, chunk: snap.data.subarray(s.sentOffsetBytes, end) });
    s.sentOffsetBytes = end;
    s.sentAny = true;
    sent = true;
  }
  return sent;
}

/** Continues (or, after a silent heartbeat interval, resends) the transfer to `to`. */
export function continueSnapshot(r: RaftState, to: NodeId, pr: Progress, fromHeartbeat: boolean): void {
  const s = pr.snap;
  const snap = r.log.snapshot;
  if (s === null || snap === null) return;
  if (snap.meta.index !== s.index || snap.meta.term !== s.term) {
    sendSnapshot(r, to, pr); // a newer snapshot replaced the one being sent
    return;
  }
  if (fromHeartbeat) {
    if (!s.ackedSinceHeartbeat && s.sentAny) {
      s.sentOffsetBytes = s.ackedOffsetBytes;
      s.sentAny = s.ackedOffsetBytes > 0;
    }
    s.ackedSinceHeartbeat = false;
  }
  sendChunks(r, to, pr, snap);
}

export function handleSnapResp(r: RaftState, m: MsgSnapResp): void {
  const pr = r.prs.get(m.from);
  if (pr === undefined) return;
  pr.recentActive = true;
  const s = pr.snap;
  if (pr.state !== 'snapshot' || s === null || s.index !== m.index) return;
  if (m.reject) {
    pr.becomeProbe();
    pr.next = pr.match + 1;
    return;
  }
  if (m.nextOffsetBytes > s.sentOffsetBytes) return; // acknowledges bytes never sent: ignore
  s.ackedSinceHeartbeat = true;
  if (m.nextOffsetBytes < s.ackedOffsetBytes) {
    // The follower lost its partial copy (restart, or a chunk from another transfer): go back.
    s.ackedOffsetBytes = s.sentOffsetBytes = m.nextOffsetBytes;
    s.sentAny = m.nextOffsetBytes > 0;
  } else {
    s.ackedOffsetBytes = m.nextOffsetBytes;
  }
  continueSnapshot(r, m.from, pr, false);
}

// ---- follower side ----

function snapResp(r: RaftState, m: MsgSnap, nextOffsetBytes: number, reject: boolean): void {
  r.send({ type: 'snap-resp', from: r.id, to: m.from, term: r.term, index: m.meta.index, nextOffsetBytes, reject });
}

function installedResp(r: RaftState, m: MsgSnap, index: number): void {
  r.send({ type: 'app-resp', from: r.id, to: m.from, term: r.term, index: logIndex(index), reject: false,
    rejectHint: logIndex(0), logTerm: mkTerm(0), round: 0, roundTick: 0 });
}

function sameTransfer(cur: SnapshotReceiver, m: MsgSnap): boolean {
  return cur.leaderTerm === m.term && cur.meta.index === m.meta.index && cur.meta.term === m.meta.term
    && cur.totalBytes === m.totalBytes;
}

export function handleSnapChunk(r: RaftState, m: MsgSnap): void {
  if (m.meta.index <= r.log.committed) {
    r.snapRecv = null;
    installedResp(r, m, r.log.committed);
    return;
  }
  let cur = r.snapRecv;
  if (cur === null || !sameTransfer(cur, m)) {
    if (m.offsetBytes !== 0) {
      r.droppedMessages++; // a chunk of a transfer we never saw start: refused, counted
      snapResp(r, m, 0, false);
      return;
    }
    cur = { leaderTerm: m.term, meta: m.meta, totalBytes: m.totalBytes, chunks: [], receivedBytes: 0 };
    r.snapRecv = cur;
  }
  if (m.offsetBytes !== cur.receivedBytes) r.droppedMessages++; // out of order (a gap or a duplicate): not applied, counted
  if (m.offsetBytes === cur.receivedBytes && (m.chunk.length > 0 || cur.totalBytes === 0)) {
    cur.chunks.push(m.chunk.slice());
    cur.receivedBytes += m.chunk.length;
    if (cur.receivedBytes === cur.totalBytes) {
      r.snapRecv = null;
      install(r, m, { meta: cur.meta, data: concat(cur.chunks, cur.totalBytes) });
      return;
    }
  }
  snapResp(r, m, cur.receivedBytes, false);
}

function concat(chunks: Uint8Array[], totalBytes: number): Uint8Array {
  const out = new Uint8Array(totalBytes);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

/** Installs a complete snapshot (or fast-forwards commit when our log already has it). */
function install(r: RaftState, m: MsgSnap, snap: Snapshot): void {
  if (r.log.matchTerm(snap.meta.index, snap.meta.term)) {
    r.log.commitTo(snap.meta.index);
    installedResp(r, m, r.log.committed);
    return;
  }
  r.log.restore(snap);
  r.onConfChanged();
  installedResp(r, m, r.log.lastIndex());
}
