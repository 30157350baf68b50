// The relations between limits (daemon/src/common/limits.ts, test/lib/limits.ts) are checked:
// each relation reports the value sets that break it, the load-time check reads the values in
// force, and assertRelations fails loudly on any broken relation.
import { describe, expect, it } from 'vitest';
import { AssertionError } from '../../daemon/src/common/assert.js';
import * as limits from '../../daemon/src/common/limits.js';
import {
  assertRelations, LIMIT_RELATIONS, RELATED_LIMITS, violatedRelations, type RelatedLimits,
} from '../../daemon/src/common/limits.js';
import * as testLimits from '../lib/limits.js';
import { RELATED_TEST_LIMITS, TEST_LIMIT_RELATIONS, type RelatedTestLimits } from '../lib/limits.js';

/** One broken value set per production relation (by its reason). */
const PRODUCTION_BREAKS: Record<string, Partial<RelatedLimits>> = {
  'one entry must fit in one append': { RAFT_MAX_ENTRY_BYTES: RELATED_LIMITS.RAFT_MAX_APPEND_BYTES + 1 },
  'one full append must fit in one peer frame': { PEER_MAX_FRAME_BYTES: RELATED_LIMITS.RAFT_MAX_APPEND_BYTES },
  'one entry must fit in one WAL record': { WAL_MAX_RECORD_BYTES: RELATED_LIMITS.RAFT_MAX_ENTRY_BYTES },
  'one record must fit in one segment': { WAL_SEGMENT_BYTES: RELATED_LIMITS.WAL_MAX_RECORD_BYTES - 1 },
  'the smallest configurable segment is a valid segment': { WAL_MIN_SEGMENT_BYTES: RELATED_LIMITS.WAL_SEGMENT_BYTES + 1 },
  'snapshot metadata (2 u64 + members) fits its bound': { SNAPSHOT_META_MAX_BYTES: 16 },
  'one snapshot chunk must fit in one peer frame': { SNAPSHOT_CHUNK_BYTES: RELATED_LIMITS.PEER_MAX_FRAME_BYTES },
  'a snapshot holds at least one chunk': { SNAPSHOT_MAX_BYTES: RELATED_LIMITS.SNAPSHOT_CHUNK_BYTES - 1 },
  'a full append can be in flight while the next is queued': { PEER_MAX_BUFFERED_BYTES: RELATED_LIMITS.RAFT_MAX_APPEND_BYTES - 1 },
  'a peer queue holds several full frames': { PEER_MAX_QUEUED_BYTES: RELATED_LIMITS.PEER_MAX_FRAME_BYTES },
  'every peer can hold a link while another reconnects': { PEER_MAX_INBOUND_SOCKETS: RELATED_LIMITS.RAFT_MAX_MEMBERS },
  'strangers cannot take the known peers\' sockets': { PEER_MAX_STRANGER_SOCKETS: RELATED_LIMITS.PEER_MAX_INBOUND_SOCKETS - 1 },
  'one known address can hold a link and a redial of every member': { PEER_MAX_SOCKETS_PER_KNOWN_ADDRESS: RELATED_LIMITS.RAFT_MAX_MEMBERS },
  'compaction must leave fewer entries than the snapshot interval': { SNAPSHOT_KEEP_TRAILING_ENTRIES: RELATED_LIMITS.SNAPSHOT_EVERY_ENTRIES },
  'cluster state stays snapshot-sized': { MD_MAX_ARRAYS: 1_000_000 },
  'the default watcher fallback is a valid interval': { MD_WATCH_MIN_FALLBACK_INTERVAL_MS: RELATED_LIMITS.MD_WATCH_FALLBACK_INTERVAL_MS + 1 },
  'the kernel driver reads every member a managed array can have': { MD_KERNEL_MAX_DEVICES_PER_ARRAY: RELATED_LIMITS.MD_MAX_MEMBERS_PER_ARRAY - 1 },
  'the watcher can poll at least one full array': { MD_WATCH_MAX_FILES: RELATED_LIMITS.MD_MAX_MEMBERS_PER_ARRAY },
  'the default membership timeout is a valid timeout': { MEMBERSHIP_DEFAULT_TIMEOUT_MS: RELATED_LIMITS.MEMBERSHIP_MAX_TIMEOUT_MS + 1 },
  'a monitor tracks every array a cluster can hold': { MONITOR_MAX_TRACKED_ARRAYS: RELATED_LIMITS.MD_MAX_ARRAYS - 1 },
  'every valid node id fits the Raft wire bound': { RAFT_WIRE_MAX_NODE_ID_BYTES: 10 },
  'a full membership fits the Raft wire bound': { RAFT_WIRE_MAX_CONF_IDS: RELATED_LIMITS.RAFT_MAX_MEMBERS - 1 },
  'every control request line fits one Raft entry': { CONTROL_MAX_LINE_BYTES: RELATED_LIMITS.RAFT_MAX_ENTRY_BYTES + 1 },
  'a control connection pauses before it is closed': { CONTROL_PAUSE_UNSENT_BYTES: RELATED_LIMITS.CONTROL_MAX_UNSENT_BYTES },
  'a learner within the promotion lag catches up with one append': { RAFT_PROMOTE_MAX_LAG_ENTRIES: RELATED_LIMITS.RAFT_MAX_ENTRIES_PER_APPEND + 1 },
  'a session keeps its last result and the one before': { SESSION_RESULT_WINDOW: 1 },
  'one acking client fits in the session table': { SESSION_MAX_RESULTS_PER_CLIENT: RELATED_LIMITS.SESSION_MAX_RESULTS_TOTAL + 1 },
};

const TEST_BREAKS: Record<string, Partial<RelatedTestLimits>> = {
  'a violation report prints from the kept trace': { SIM_TRACE_PRINT_EVENTS: RELATED_TEST_LIMITS.SIM_TRACE_RING_EVENTS + 1 },
  'the default run is a valid run': { SIM_DEFAULT_STEPS: RELATED_TEST_LIMITS.SIM_MAX_STEPS + 1 },
  'a cluster-simulator violation report prints from the kept trace': { CLUSTER_SIM_TRACE_PRINT_EVENTS: RELATED_TEST_LIMITS.CLUSTER_SIM_TRACE_RING_EVENTS + 1 },
  'one console line fits the kept console': { LAB_MAX_CONSOLE_LINE_BYTES: RELATED_TEST_LIMITS.LAB_MAX_CONSOLE_BYTES + 1 },
  'the kernel lab can boot a full cluster': { LAB_MAX_GUESTS: RELATED_TEST_LIMITS.RAFT_MAX_MEMBERS - 1 },
  'a cluster-lane request ends before its guest is killed': { CLUSTER_LANE_MAX_EXEC_TIMEOUT_MS: RELATED_TEST_LIMITS.LAB_MAX_GUEST_TIMEOUT_MS },
};

describe('limit relations', () => {
  it('hold for the values in force, which are the exported limits', () => {
    expect(violatedRelations(LIMIT_RELATIONS, RELATED_LIMITS)).toEqual([]);
    expect(violatedRelations(TEST_LIMIT_RELATIONS, RELATED_TEST_LIMITS)).toEqual([]);
    for (const [name, value] of Object.entries(RELATED_LIMITS)) expect((limits as Record<string, unknown>)[name], name).toBe(value);
    for (const [name, value] of Object.entries(RELATED_TEST_LIMITS)) {
      expect((testLimits as Record<string, unknown>)[name] ?? (limits as Record<string, unknown>)[name], name).toBe(value);
    }
  });

  it('each production relation catches a value set that breaks it', () => {
    expect(Object.keys(PRODUCTION_BREAKS).sort()).toEqual(LIMIT_RELATIONS.map((r) => r.why).sort());
    for (const [why, change] of Object.entries(PRODUCTION_BREAKS)) {
      expect(violatedRelations(LIMIT_RELATIONS, { ...RELATED_LIMITS, ...change }), why).toContain(why);
    }
  });

  it('each test-side relation catches a value set that breaks it', () => {
    expect(Object.keys(TEST_BREAKS).sort()).toEqual(TEST_LIMIT_RELATIONS.map((r) => r.why).sort());
    for (const [why, change] of Object.entries(TEST_BREAKS)) {
      expect(violatedRelations(TEST_LIMIT_RELATIONS, { ...RELATED_TEST_LIMITS, ...change }), why).toContain(why);
    }
  });

  it('assertRelations fails with every broken reason', () => {
    const broken = { ...RELATED_LIMITS, ...PRODUCTION_BREAKS['one entry must fit in one append'] };
    expect(() => assertRelations(LIMIT_RELATIONS, broken)).toThrow(AssertionError);
    expect(() => assertRelations(LIMIT_RELATIONS, broken)).toThrow(/one entry must fit in one append/);
    expect(() => assertRelations(LIMIT_RELATIONS, RELATED_LIMITS)).not.toThrow();
  });
});
