// The md and cluster commands carried in Raft entries, and their decoding from untrusted bytes.
// Owns: the wire shape of every replicated command (JSON, versioned by the `v` field).
// Invariants: decodeCommand never throws; a command that decodes is well-formed (ranges, names),
// but not necessarily valid against the state: validate.ts decides that.
import { z } from 'zod';
import type { ErrorCode } from '../common/errors.js';
import { MD_MAX_MEMBERS_PER_ARRAY } from '../common/limits.js';
import { NODE_ID_PATTERN, type NodeId, type Sectors, type Term } from '../common/types.js';
import { SESSION_MAX_MESSAGE_CHARS } from '../common/limits.js';
import { CLIENT_ID_PATTERN, isSessionRef, type SessionRef } from './sessions.js';

export const COMMAND_VERSION = 1;

// md accepts a numbered device (md0..md511 by the minor numbers mdadm hands out) or a named one
// "md_<name>" whose whole name fits the kernel's disk name (DISK_NAME_LEN 32, NUL included).
const devName = z.string().regex(/^md(?:[0-9]|[1-9][0-9]|[1-4][0-9]{2}|50[0-9]|51[01])$|^md_[A-Za-z0-9_.-]{1,28}$/, 'an md device name such as md0 or md_name (at most 31 characters)');
/** The array name in the superblock (v1 set_name: 32 bytes); mdadm refuses spaces, '/' and control characters. */
const arrayName = z.string().min(1).max(32).refine((n) => !/[\s/]/.test(n) && [...n].every((c) => c.charCodeAt(0) > 0x1f && c.charCodeAt(0) !== 0x7f), 'an array name without spaces, "/" or control characters');
const path = z.string().min(1).max(256).regex(/^\/[^\0\s]*$/, 'an absolute device path');
const uuid = z.string().regex(/^[0-9a-f]{8}:[0-9a-f]{8}:[0-9a-f]{8}:[0-9a-f]{8}$/, 'a UUID in colon form');
const node = z.string().regex(NODE_ID_PATTERN, 'a node id');
const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const level = z.enum(['linear', 'raid0', 'raid1', 'raid4', 'raid5', 'raid6', 'raid10']);

const memberOp = <T extends string>(op: T) => z.object({ op: z.literal(op), device: devName, member: path }).strict();

const schema = z.discriminatedUnion('op', [
  z.object({
    op: z.literal('create'), device: devName, uuid, name: arrayName, level,
    raidDevices: z.number().int().min(1).max(MD_MAX_MEMBERS_PER_ARRAY),
    members: z.array(z.union([path, z.literal('missing')])).min(1).max(MD_MAX_MEMBERS_PER_ARRAY),
    spares: z.number().int().min(0).max(MD_MAX_MEMBERS_PER_ARRAY),
    metadata: z.enum(['1.0', '1.1', '1.2']), bitmap: z.enum(['internal', 'none']),
    chunkKiB: z.number().int().min(4).max(1 << 20).nullable(), layout: z.string().max(32).nullable(),
    assumeClean: z.boolean(), sizeKiB: count.nullable(),
    /** mdadm --create --force: a member of a STOPPED array may be taken (it leaves that array). Absent: false. */
    force: z.boolean().optional(),
  }).strict(),
  z.object({
    op: z.literal('assemble'), device: devName, uuid, name: z.string().max(64), level,
    raidDisks: z.number().int().min(1).max(MD_MAX_MEMBERS_PER_ARRAY),
    members: z.array(path).min(1).max(MD_MAX_MEMBERS_PER_ARRAY), metadata: z.enum(['1.0', '1.1', '1.2']),
    bitmap: z.enum(['internal', 'none']), chunkKiB: z.number().int().min(0).max(1 << 20).nullable(),
    layout: z.string().max(32).nullable(),
  }).strict(),
  z.object({ op: z.literal('stop'), device: devName }).strict(),
  z.object({ op: z.literal('run'), device: devName }).strict(),
  z.object({ op: z.literal('set-faulty'), device: devName, member: path, force: z.boolean() }).strict(),
  memberOp('hot-remove'),
  memberOp('hot-add'),
  memberOp('add-spare'),
  memberOp('re-add'),
  z.object({ op: z.literal('replace'), device: devName, member: path, with: path }).strict(),
  z.object({ op: z.literal('read-only'), device: devName }).strict(),
  z.object({ op: z.literal('read-write'), device: devName }).strict(),
  z.object({ op: z.literal('write-mostly'), device: devName, member: path, on: z.boolean() }).strict(),
  z.object({ op: z.literal('sync-action'), device: devName, action: z.enum(['check', 'repair', 'idle', 'frozen']) }).strict(),
  /** mdadm --grow --bitmap: add ('internal') or remove ('none') the write-intent bitmap (cluster/grow.ts). */
  z.object({ op: z.literal('grow-bitmap'), device: devName, bitmap: z.enum(['internal', 'none']) }).strict(),
  /**
   * mdadm --grow --size: the component size in KiB (mdctl resolves "max" from the members' sizes
   * first); assumeClean (--assume-clean): the new region is not resynced. Absent: false.
   */
  z.object({ op: z.literal('grow-size'), device: devName, sizeKiB: count.min(1), assumeClean: z.boolean().optional() }).strict(),
  /**
   * mdadm --grow --raid-devices: raid1 gains or drops a mirror; raid4/5/6 grow by a reshape.
   * force (--force): grow without the spares to fill the new slots (degraded); backupFile
   * (--backup-file): for mdadm on the master when md needs its critical section backed up.
   */
  z.object({
    op: z.literal('grow-raid-devices'), device: devName, raidDevices: z.number().int().min(1).max(MD_MAX_MEMBERS_PER_ARRAY),
    force: z.boolean().optional(), backupFile: path.optional(),
  }).strict(),
  /**
   * mdadm --grow --chunk: a raid4/5/6 restripe to a new chunk size in KiB (md takes only powers
   * of two: cluster/grow.ts refuses others in mdadm's words); backupFile as for grow-raid-devices.
   */
  z.object({ op: z.literal('grow-chunk'), device: devName, chunkKiB: z.number().int().min(4).max(1 << 20), backupFile: path.optional() }).strict(),
  z.object({
    op: z.literal('checkpoint'), device: devName, term: count,
    action: z.enum(['idle', 'resync', 'recover', 'check', 'repair', 'reshape']), doneSectors: count, totalSectors: count,
    speedKiBps: count.optional(),
    /** With action 'idle' after a sync: md's mismatch_cnt as the master's kernel reports it (RebuildFinished). */
    mismatchCount: count.optional(),
  }).strict().refine((c) => c.doneSectors <= c.totalSectors, 'doneSectors must not exceed totalSectors'),
  z.object({
    op: z.literal('md-done'), device: devName, term: count, client: z.string().regex(CLIENT_ID_PATTERN), seq: count.min(1),
    ok: z.boolean(), code: z.string().regex(/^E_[A-Z_]{1,40}$/).optional(), message: z.string().max(SESSION_MAX_MESSAGE_CHARS).optional(),
  }).strict(),
  z.object({
    op: z.literal('observe'), device: devName, term: count, componentSizeKiB: count, arraySizeKiB: count,
    /**
     * The applied index of the record the master's plan found its kernel in line with when it
     * read this view: a member changed by a command applied after it keeps its record (apply.ts).
     * Absent in entries written before conditional observations (read as "unconditional").
     */
    base: count.optional(),
    ctimeSec: count.optional(),
    /** The internal bitmap's chunk (md/bitmap/chunksize) as the master's kernel reports it. */
    bitmapChunkKiB: count.optional(),
    /** Whether the master's kernel runs the array with an internal bitmap (taken only when no grow is newer: apply.ts). */
    bitmap: z.enum(['internal', 'none']).optional(),
    /** md/raid_disks as the master's kernel reports it (the new count while reshaping); taken like bitmap. */
    raidDisks: z.number().int().min(1).max(MD_MAX_MEMBERS_PER_ARRAY).optional(),
    /** The chunk size (md/chunk_size) of a striped level as the master's kernel reports it (mdadm's default when none was given). */
    chunkKiB: z.number().int().min(4).max(1 << 20).optional(),
    /** Member paths in the master kernel's list order (as /proc/mdstat prints them: newest bound first). */
    order: z.array(path).max(MD_MAX_MEMBERS_PER_ARRAY).optional(),
    members: z.array(z.object({
      path, deviceUuid: z.string().max(64).nullable(), role: z.enum(['active', 'spare', 'faulty']),
      slot: z.number().int().min(0).max(MD_MAX_MEMBERS_PER_ARRAY).nullable(), inSync: z.boolean(),
      descNumber: z.number().int().min(0).max(4096), writeMostly: z.boolean(),
      wantReplacement: z.boolean(), replacementFor: path.nullable(),
      kernelName: z.string().regex(/^[A-Za-z0-9!._-]{1,64}$/).optional(), major: z.number().int().min(0).max(4095).optional(),
      minor: z.number().int().min(0).max(1048575).optional(),
    }).strict()).max(MD_MAX_MEMBERS_PER_ARRAY),
  }).strict(),
  z.object({ op: z.literal('device-seen'), node, path }).strict(),
  z.object({ op: z.literal('master'), node, term: count }).strict(),
  /** The master of `term` proved `node` (an earlier master) holds no writable array (types.ts MasterRecord). */
  z.object({ op: z.literal('master-cleared'), node, term: count }).strict(),
  /** The master of `term` delivered every alert of entries up to index `through` (node/alert-delivery.ts). */
  z.object({ op: z.literal('alerts-sent'), term: count, through: count }).strict(),
  /**
   * `node` could not switch `array` read-only when it had to (node/writer.ts escalation), in its
   * term `term`; `action` is the escalation it takes. A record of fact: it changes no state.
   */
  z.object({
    op: z.literal('demote-failed'), node, term: count, array: devName, action: z.enum(['stop-array', 'reboot', 'none']),
    message: z.string().max(SESSION_MAX_MESSAGE_CHARS),
  }).strict(),
  /** The master `by` of `term` ran the fence command against `node`: its exit status (null: killed, timed out or not started). */
  z.object({
    op: z.literal('fence-ran'), node, by: node, term: count, status: z.number().int().min(0).max(255).nullable(),
    message: z.string().max(SESSION_MAX_MESSAGE_CHARS),
  }).strict(),
  /** The master of `term` moves the spare `member` of array `from` to the degraded array `to` of the same spare group (node/spare-mover.ts). */
  z.object({ op: z.literal('move-spare'), from: devName, to: devName, member: path, term: count }).strict(),
  /** The master of `term` found `array`, which its daemon assembled after it started, degraded (node/boot-degraded.ts). */
  z.object({ op: z.literal('degraded-at-boot'), array: devName, term: count }).strict(),
  z.object({ op: z.literal('node-add'), node, address: z.string().regex(/^[A-Za-z0-9.:[\]-]{1,253}:[0-9]{1,5}$/, 'host:port') }).strict(),
  z.object({ op: z.literal('node-remove'), node }).strict(),
]);

type Raw = z.infer<typeof schema>;
/** A decoded command; node ids, terms and sectors branded. */
export type Command = Brandify<Raw>;
type Brandify<T> = T extends { op: 'md-done' } ? Omit<T, 'term' | 'code'> & { term: Term; code?: ErrorCode }
  : T extends { op: 'checkpoint' }
  ? Omit<T, 'term' | 'doneSectors' | 'totalSectors'> & { term: Term; doneSectors: Sectors; totalSectors: Sectors }
  : T extends { op: 'observe' | 'alerts-sent' } ? Omit<T, 'term'> & { term: Term }
    : T extends { op: 'master' | 'master-cleared' } ? Omit<T, 'node' | 'term'> & { node: NodeId; term: Term }
      : T extends { node: string } ? Omit<T, 'node'> & { node: NodeId } : T;
export type CommandOp = Command['op'];
export type CommandOf<O extends CommandOp> = Extract<Command, { op: O }>;

export type DecodeResult = { ok: true; command: Command; session?: SessionRef } | { ok: false; message: string; session?: SessionRef };

/** Validates an untrusted JS value (e.g. a parsed control request). Never throws. */
export function parseCommand(value: unknown): DecodeResult {
  const r = schema.safeParse(value);
  if (r.success) return { ok: true, command: r.data as Command };
  const issue = r.error.issues[0];
  const where = issue && issue.path.length > 0 ? issue.path.join('.') : 'command';
  return { ok: false, message: `${where}: ${issue?.message ?? 'invalid'}` };
}

/**
 * Entry payload: {"v":1,"s":{"c":client,"q":seq[,"a":ack]},"cmd":{...}} as UTF-8 JSON. The session
 * (cluster/sessions.ts) makes the request exactly-once: apply answers a second copy from the
 * session table. Entries written before sessions carry {"rid":...} instead, which is ignored.
 */
export function encodeCommand(command: Command, session: SessionRef): Uint8Array {
  const s = session.ack === undefined ? { c: session.client, q: session.seq } : { c: session.client, q: session.seq, a: session.ack };
  return new TextEncoder().encode(JSON.stringify({ v: COMMAND_VERSION, s, cmd: command }));
}

export function decodeCommand(bytes: Uint8Array): DecodeResult {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    return { ok: false, message: 'entry is not UTF-8 JSON' };
  }
  if (typeof value !== 'object' || value === null) return { ok: false, message: 'entry is not an object' };
  const v = (value as { v?: unknown }).v;
  const sRaw = (value as { s?: { c?: unknown; q?: unknown; a?: unknown } }).s;
  const candidate = typeof sRaw === 'object' && sRaw !== null ? { client: sRaw.c, seq: sRaw.q, ...(sRaw.a !== undefined ? { ack: sRaw.a } : {}) } : undefined;
  const session = isSessionRef(candidate) ? { client: candidate.client, seq: candidate.seq, ...(candidate.ack !== undefined ? { ack: candidate.ack } : {}) } : undefined;
  if (v !== COMMAND_VERSION) return { ok: false, message: `unsupported command version ${String(v)}`, session };
  if (sRaw !== undefined && session === undefined) return { ok: false, message: 'entry has a malformed session' };
  const r = parseCommand((value as { cmd?: unknown }).cmd);
  return session === undefined ? r : { ...r, session };
}
