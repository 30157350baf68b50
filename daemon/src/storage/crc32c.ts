// CRC-32C (Castagnoli), the checksum of every WAL record, segment header, snapshot file and
// hard-state file. Owns: the lookup tables and the (slicing-by-8, table-driven) update loop.
// Invariants:
// - crc32c(bytes) is the standard CRC-32C: reflected polynomial 0x82F63B78, initial value
//   0xFFFFFFFF, final xor 0xFFFFFFFF; crc32c("123456789") === 0xE3069283.
// - Continuation: crc32c(b, crc32c(a)) === crc32c(a ++ b), so callers can checksum a type byte
//   and a payload without concatenating them.
// - Results are unsigned 32-bit integers (>>> 0).

const POLY_REFLECTED = 0x82f63b78;
const SLICES = 8;
const TABLE_SIZE = 256;

/** TABLES[k][b]: CRC contribution of byte b followed by k zero bytes. Invariant: built once. */
const TABLES: Uint32Array[] = buildTables();

function buildTables(): Uint32Array[] {
  const tables: Uint32Array[] = [];
  const t0 = new Uint32Array(TABLE_SIZE);
  for (let b = 0; b < TABLE_SIZE; b++) {
    let c = b;
    for (let bit = 0; bit < 8; bit++) c = c & 1 ? (c >>> 1) ^ POLY_REFLECTED : c >>> 1;
    t0[b] = c >>> 0;
  }
  tables.push(t0);
  for (let k = 1; k < SLICES; k++) {
    const prev = tables[k - 1];
    const tk = new Uint32Array(TABLE_SIZE);
    for (let b = 0; b < TABLE_SIZE; b++) tk[b] = (t0[prev[b] & 0xff] ^ (prev[b] >>> 8)) >>> 0;
    tables.push(tk);
  }
  return tables;
}

/**
 * CRC-32C of bytes[start, end), continuing from `previous` (the result of an earlier call, or 0
 * for a fresh checksum).
 */
export function crc32c(bytes: Uint8Array, previous = 0, start = 0, end = bytes.length): number {
  const [t0, t1, t2, t3, t4, t5, t6, t7] = TABLES;
  let crc = ~previous >>> 0;
  let i = start;
  for (; i + SLICES <= end; i += SLICES) {
    const lo = (crc ^ (bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24))) >>> 0;
    crc = t7[lo & 0xff] ^ t6[(lo >>> 8) & 0xff] ^ t5[(lo >>> 16) & 0xff] ^ t4[lo >>> 24]
      ^ t3[bytes[i + 4]] ^ t2[bytes[i + 5]] ^ t1[bytes[i + 6]] ^ t0[bytes[i + 7]];
  }
  for (; i < end; i++) crc = t0[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return ~crc >>> 0;
}

/** CRC-32C of a single byte followed by bytes[start, end) (a record's type + payload). */
export function crc32cWithPrefixByte(prefix: number, bytes: Uint8Array, start: number, end: number): number {
  const t0 = TABLES[0];
  const afterPrefix = ~(t0[(0xffffffff ^ prefix) & 0xff] ^ (0xffffffff >>> 8)) >>> 0;
  return crc32c(bytes, afterPrefix, start, end);
}
