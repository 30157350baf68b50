// The state machine replicated by the benchmark cluster: a count of applied normal entries and
// a rolling 32-bit hash of their data. Owns: applying entries, encoding it as snapshot data and
// restoring from it. Invariant: two nodes that applied the same committed prefix hold equal
// (appliedIndex, count, hash); snapshot data is exactly SNAPSHOT_DATA_BYTES long.
import type { Entry, Snapshot } from '../daemon/src/raft/types.js';

const SNAPSHOT_DATA_BYTES = 16;
const FNV_PRIME = 0x01000193;
const FNV_OFFSET = 0x811c9dc5;

export class BenchApp {
  appliedIndex = 0;
  count = 0;
  hash = FNV_OFFSET;

  apply(entries: readonly Entry[]): void {
    for (const e of entries) {
      this.appliedIndex = e.index;
      if (e.type !== 'normal' || e.data.length === 0) continue;
      this.count++;
      let h = this.hash;
      for (const b of e.data) h = Math.imul(h ^ b, FNV_PRIME) >>> 0;
      this.hash = h;
    }
  }

  encode(): Uint8Array {
    const b = new Uint8Array(SNAPSHOT_DATA_BYTES);
    const v = new DataView(b.buffer);
    v.setFloat64(0, this.count, true);
    v.setUint32(8, this.hash, true);
    return b;
  }

  /** Replaces the state with a snapshot's (a malformed one is a harness bug). */
  restore(snap: Snapshot): void {
    if (snap.data.length !== SNAPSHOT_DATA_BYTES) throw new Error(`bench snapshot data of ${snap.data.length} bytes`);
    const v = new DataView(snap.data.buffer, snap.data.byteOffset, snap.data.byteLength);
    this.count = v.getFloat64(0, true);
    this.hash = v.getUint32(8, true);
    this.appliedIndex = snap.meta.index;
  }

  digest(): string {
    return `${this.appliedIndex}/${this.count}/${this.hash.toString(16)}`;
  }
}
