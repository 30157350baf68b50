// Test-side encoder of 0.90 superblocks from what mdadm --examine printed (helper for the 0.90
// golden test and the capture-backed read ports). Owns: turning a 0.90 examine record back into
// the 4096 bytes md wrote: every printed field, plus what the kernel's super_90_sync sets that
// mdadm does not print (cp_events = events and recovery_cp = MaxSector on a clean array).
// Invariant: no guessing: a record missing a field it needs throws.
import { DW, SB090_BYTES, W } from '../../native/src/superblock090-format.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const R5 = ['left-asymmetric', 'right-asymmetric', 'left-symmetric', 'right-symmetric', 'parity-first', 'parity-last'];
const LEVELS: Record<string, number> = { linear: -1, raid0: 0, raid1: 1, raid4: 4, raid5: 5, raid6: 6, raid10: 10 };

export interface Rec { device: string; text: string; fields: Map<string, string>; rows: string[][] }

export function records(text: string): Rec[] {
  return text.split(/^(?=\/dev\/\S+:$)/m).filter((p) => p !== '').map((part) => {
    const lines = part.split('\n');
    const fields = new Map<string, string>();
    for (const l of lines) {
      const m = /^ *([A-Za-z][A-Za-z ]*[A-Za-z]) : (.*)$/.exec(l);
      if (m && !fields.has(m[1])) fields.set(m[1], m[2]);
    }
    const rows = lines.filter((l) => /^(this| {0,3}\d+) +\d/.test(l)).map((l) => l.trim().split(/\s+/));
    return { device: lines[0].slice(0, -1), text: part, fields, rows };
  });
}

function ctimeToSec(s: string): number {
  const m = /^\w{3} (\w{3}) +(\d+) (\d\d):(\d\d):(\d\d) (\d{4})$/.exec(s)!;
  return Date.UTC(Number(m[6]), MONTHS.indexOf(m[1]), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5])) / 1000;
}

const STATE_BITS: Record<string, number> = { faulty: 1, active: 2, sync: 4, removed: 8, 'write-mostly': 512, failfast: 1024, spare: 0 };

/** The bytes md wrote for this record (see the header comment for what is not printed). */
export function encode(r: Rec): Buffer {
  const buf = Buffer.alloc(SB090_BYTES);
  const put = (w: number, v: number) => buf.writeUInt32LE(v >>> 0, w * 4);
  const f = (k: string) => r.fields.get(k)!;
  const n = (k: string) => Number(/^(-?\d+)/.exec(f(k))![1]);
  const [maj, min, patch] = f('Version').split('.').map(Number);
  const uuid = /^(\w{8}):(\w{8}):(\w{8}):(\w{8})/.exec(f('UUID'))!.slice(1).map((h) => parseInt(h, 16));
  const level = LEVELS[f('Raid Level')];
  const clean = f('State') === 'clean';
  const events = n('Events');
  const values: Array<[number, number]> = [
    [W.magic, parseInt(f('Magic'), 16)], [W.major, maj], [W.minor, min], [W.patch, patch],
    [W.uuid0, uuid[0]], [W.uuid1, uuid[1]], [W.uuid2, uuid[2]], [W.uuid3, uuid[3]],
    [W.ctime, ctimeToSec(f('Creation Time'))], [W.level, level], [W.size, level > 0 ? n('Used Dev Size') : 0],
    [W.nrDisks, n('Total Devices')], [W.raidDisks, n('Raid Devices')], [W.mdMinor, n('Preferred Minor')],
    [W.utime, ctimeToSec(f('Update Time'))], [W.state, clean ? 1 : 0], [W.activeDisks, n('Active Devices')],
    [W.workingDisks, n('Working Devices')], [W.failedDisks, n('Failed Devices')], [W.spareDisks, n('Spare Devices')],
    [W.sbCsum, parseInt(f('Checksum'), 16)], [W.eventsLo, events], [W.cpEventsLo, clean ? events : 0],
    [W.recoveryCp, clean ? 0xffffffff : 0], [W.layout, r.fields.has('Layout') ? R5.indexOf(f('Layout')) : 0],
    [W.chunkSize, r.fields.has('Chunk Size') ? n('Chunk Size') * 1024 : 0],
  ];
  for (const [w, v] of values) put(w, v);
  for (const row of r.rows) {
    const first = row[0] === 'this' ? W.thisDisk : W.disks + Number(row[0]) * 32;
    const state = row.slice(5).filter((t) => t in STATE_BITS).reduce((s, t) => s | STATE_BITS[t], 0);
    put(first + DW.number, Number(row[1])); put(first + DW.major, Number(row[2])); put(first + DW.minor, Number(row[3]));
    put(first + DW.raidDisk, Number(row[4])); put(first + DW.state, state);
  }
  return buf;
}

