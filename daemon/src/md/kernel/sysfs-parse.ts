// Parsers for md's sysfs attribute text (/sys/block/mdX/md/*, md/dev-X/*, md/bitmap/*). Pure:
// raw strings in (file content without the final newline), typed values out.
// Owns: the meaning of every md sysfs value the kernel driver reads.
// Invariants:
// - Text the kernel may legitimately print (including "none", "max", "delayed", "5 (4)" during a
//   reshape, empty level/raid_disks on an inactive array) parses to a value; text that cannot be
//   understood rejects with OpError('E_KERNEL_FORMAT', ..., {attribute, value}), never a crash.
// - A missing attribute (the personality has none: degraded on raid0, mismatch_cnt on linear)
//   is passed as undefined and gets the kernel's implied value.
import { OpError } from '../../common/errors.js';
import { sectors, type Sectors } from '../../common/types.js';
import type { ArrayRunState, MdLevel, MemberFlag, SyncAction, SyncProgress } from '../types.js';

/** Raw attribute text by name relative to md/ ("array_state", "bitmap/location", ...). */
export type AttrMap = Readonly<Record<string, string | undefined>>;

function formatError(attribute: string, value: string | undefined): OpError {
  return new OpError('E_KERNEL_FORMAT', `unexpected md/${attribute} value ${JSON.stringify(value)}`, { attribute, value });
}

const DECIMAL = /^\d+$/;

export function parseCount(attribute: string, value: string | undefined): number {
  if (value === undefined || !DECIMAL.test(value)) throw formatError(attribute, value);
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw formatError(attribute, value);
  return n;
}

function parseSectors(attribute: string, value: string | undefined): Sectors {
  return sectors(parseCount(attribute, value));
}

/** A number, or null for the kernel's "none". */
export function parseSectorsOrNone(attribute: string, value: string | undefined): Sectors | null {
  return value === 'none' ? null : parseSectors(attribute, value);
}

const RUN_STATES: readonly ArrayRunState[] = [
  'clear', 'inactive', 'suspended', 'readonly', 'read-auto', 'clean', 'active', 'write-pending', 'active-idle', 'broken',
];
export function parseArrayState(value: string | undefined): ArrayRunState {
  const found = RUN_STATES.find((s) => s === value);
  if (found === undefined) throw formatError('array_state', value);
  return found;
}

/** Every md personality (multipath and faulty are read and shown, never created by the cluster). */
const LEVELS: readonly MdLevel[] = ['linear', 'raid0', 'raid1', 'raid4', 'raid5', 'raid6', 'raid10', 'multipath', 'faulty'];
export type ParsedLevel = MdLevel | null;

/** md/level: null when empty (inactive array, external container). */
export function parseLevel(value: string | undefined): ParsedLevel {
  if (value === undefined || value === '') return null;
  const level = LEVELS.find((l) => l === value);
  if (level === undefined) throw formatError('level', value);
  return level;
}

/** A count that md prints as "new (old)" while a reshape changes it. */
export interface NewOld {
  value: number;
  /** The value before the reshape; equal to value when not changing. */
  old: number;
}

function parseInt32(attribute: string, value: string): number {
  const n = Number(value);
  if (!/^-?\d{1,10}$/.test(value) || n < -(2 ** 31) || n >= 2 ** 31) throw formatError(attribute, value);
  return n;
}

/**
 * raid_disks, layout, chunk_size: "N", or "NEW (OLD)" during a reshape that changes them. md
 * prints these with %d, and linear's layout is -1.
 */
export function parseNewOld(attribute: string, value: string | undefined): NewOld {
  const m = value === undefined ? null : /^(-?\d+)(?: \((-?\d+)\))?$/.exec(value);
  if (m === null) throw formatError(attribute, value);
  const now = parseInt32(attribute, m[1]);
  return { value: now, old: m[2] === undefined ? now : parseInt32(attribute, m[2]) };
}

/** md/raid_disks: "4", "5 (4)" during a reshape, "" when inactive -> null. */
export function parseRaidDisks(value: string | undefined): NewOld | null {
  if (value === undefined || value === '') return null;
  return parseNewOld('raid_disks', value);
}

const SYNC_ACTIONS: readonly SyncAction[] = ['idle', 'resync', 'recover', 'check', 'repair', 'frozen', 'reshape'];
export function parseSyncAction(value: string | undefined): SyncAction {
  if (value === undefined) return 'idle'; // personalities without resync (raid0, linear)
  const found = SYNC_ACTIONS.find((a) => a === value);
  if (found === undefined) throw formatError('sync_action', value);
  return found;
}

/** md/last_sync_action: "none" -> null; the kernel says "recovery" where sync_action says "recover". */
export function parseLastSyncAction(value: string | undefined): SyncAction | null {
  if (value === undefined || value === 'none') return null;
  if (value === 'recovery') return 'recover';
  return parseSyncAction(value);
}

export type SyncCompleted = { kind: 'progress'; progress: SyncProgress } | { kind: 'none' | 'delayed' | 'pending' };

/** md/sync_completed: "done / total" (sectors), "none", "delayed" (waiting for another array), or "pending". */
export function parseSyncCompleted(value: string | undefined): SyncCompleted {
  if (value === undefined || value === 'none') return { kind: 'none' };
  if (value === 'delayed' || value === 'pending') return { kind: value };
  const m = /^(\d+) \/ (\d+)$/.exec(value);
  if (m === null) throw formatError('sync_completed', value);
  return { kind: 'progress', progress: { doneSectors: parseSectors('sync_completed', m[1]), totalSectors: parseSectors('sync_completed', m[2]) } };
}

/** md/sync_speed in KiB/s; "none" when idle. */
export function parseSyncSpeed(value: string | undefined): number {
  return value === undefined || value === 'none' ? 0 : parseCount('sync_speed', value);
}

export function parseSyncMax(value: string | undefined): Sectors | 'max' {
  return value === 'max' ? 'max' : parseSectors('sync_max', value);
}

/** md/uuid ("8-4-4-4-12" hex) to mdadm's colon form; all-zero (inactive, external) -> null. */
export function parseArrayUuid(value: string | undefined, metadataVersion: string): string | null {
  const m = value === undefined ? null : /^([0-9a-f]{8})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{12})$/.exec(value);
  if (m === null) throw formatError('uuid', value);
  const hex = m.slice(1).join('');
  if (/^0+$/.test(hex)) return null;
  const words = [0, 8, 16, 24].map((i) => hex.slice(i, i + 8));
  // 0.90 keeps the uuid as four host-order u32 words; mdadm prints each word as a number.
  const shown = metadataVersion === '0.90' ? words.map((w) => w.match(/../g)!.reverse().join('')) : words;
  return shown.join(':');
}

/** md/bitmap/location: "none", "file", or a signed sector offset such as "+8" / "-16". */
export type BitmapLocation = { kind: 'none' } | { kind: 'file' } | { kind: 'internal'; offsetSectors: number };
export function parseBitmapLocation(value: string | undefined): BitmapLocation {
  if (value === undefined || value === 'none') return { kind: 'none' };
  if (value === 'file') return { kind: 'file' };
  const m = /^([+-]\d+)$/.exec(value);
  if (m === null) throw formatError('bitmap/location', value);
  return { kind: 'internal', offsetSectors: Number(m[1]) };
}

// ---- members (md/dev-X/*) ----

const MEMBER_FLAGS: readonly MemberFlag[] = [
  'faulty', 'in_sync', 'write_mostly', 'blocked', 'spare', 'write_error', 'want_replacement', 'replacement',
  'external_bbl', 'failfast', 'journal',
];

/** dev-X/state: comma-separated flags; tokens a newer kernel adds are ignored. */
export function parseMemberState(value: string | undefined): MemberFlag[] {
  if (value === undefined) throw formatError('dev-X/state', value);
  const flags: MemberFlag[] = [];
  for (const token of value.split(',')) {
    const flag = MEMBER_FLAGS.find((f) => f === token.trim());
    if (flag !== undefined && !flags.includes(flag)) flags.push(flag);
  }
  return flags;
}

/** dev-X/slot: a raid_disk number, or null for "none" (spare, faulty) and "journal". */
export function parseSlot(value: string | undefined): number | null {
  if (value === 'none' || value === 'journal') return null;
  return parseCount('dev-X/slot', value);
}

/** dev-X/block/dev: "major:minor". */
export function parseDevNumber(value: string | undefined): { major: number; minor: number } {
  const m = value === undefined ? null : /^(\d+):(\d+)$/.exec(value);
  if (m === null) throw formatError('dev-X/block/dev', value);
  return { major: Number(m[1]), minor: Number(m[2]) };
}

/** The sysfs directory name of a member ("dev-vdb") to its kernel name ("vdb"). */
export function memberNameFromDir(dir: string): string | null {
  const m = /^dev-(.+)$/.exec(dir);
  return m === null ? null : m[1];
}
