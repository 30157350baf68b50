// The static relations of a Raft configuration (raft/types.ts assertRaftConfig), each at its
// boundary. The lease safety argument (raft/lease.ts) rests on leaseTicks < electionTimeoutTicks -
// clockDriftBoundTicks; heartbeats must come more often than election timeouts; the flow-control
// windows are bounded by common/limits.ts.
import { describe, expect, it } from 'vitest';
import { assertRaftConfig, type RaftConfig } from '../../daemon/src/raft/types.js';
import { nodeId } from '../../daemon/src/common/types.js';
import { RAFT_MAX_ENTRIES_PER_APPEND, RAFT_MAX_INFLIGHT_APPENDS } from '../../daemon/src/common/limits.js';

const base: RaftConfig = {
  id: nodeId('n1'), electionTimeoutTicks: 10, heartbeatTicks: 2, leaseTicks: 7, clockDriftBoundTicks: 2,
  maxInflightAppends: 4, maxEntriesPerAppend: 16, checkQuorum: true, preVote: true,
};
const ok = (over: Partial<RaftConfig>) => expect(() => assertRaftConfig({ ...base, ...over })).not.toThrow();
const bad = (over: Partial<RaftConfig>, why: RegExp) => expect(() => assertRaftConfig({ ...base, ...over })).toThrow(why);

describe('raft config relations', () => {
  it('lease safety: leaseTicks must stay below electionTimeoutTicks - clockDriftBoundTicks (equal is refused)', () => {
    ok({});
    bad({ leaseTicks: 8 }, /leaseTicks </);
    bad({ clockDriftBoundTicks: 3 }, /leaseTicks </);
    ok({ clockDriftBoundTicks: 0, leaseTicks: 9 });
    bad({ clockDriftBoundTicks: 0, leaseTicks: 10 }, /leaseTicks </);
    bad({ clockDriftBoundTicks: -1, leaseTicks: 1 }, /clockDriftBoundTicks/);
    bad({ clockDriftBoundTicks: 0.5, leaseTicks: 1 }, /clockDriftBoundTicks/);
  });

  it('heartbeats come more often than election timeouts (heartbeatTicks < electionTimeoutTicks)', () => {
    ok({ heartbeatTicks: 9 });
    bad({ heartbeatTicks: 10 }, /heartbeatTicks </);
  });

  it('every tick count is a positive integer', () => {
    for (const k of ['electionTimeoutTicks', 'heartbeatTicks', 'leaseTicks'] as const) {
      bad({ [k]: 0 }, new RegExp(`${k} must be a positive integer`));
      bad({ [k]: 1.5 }, new RegExp(`${k} must be a positive integer`));
    }
    ok({ heartbeatTicks: 1, leaseTicks: 1 });
  });

  it('the inflight window and the append batch are within 1..their limit', () => {
    ok({ maxInflightAppends: 1, maxEntriesPerAppend: 1 });
    ok({ maxInflightAppends: RAFT_MAX_INFLIGHT_APPENDS, maxEntriesPerAppend: RAFT_MAX_ENTRIES_PER_APPEND });
    bad({ maxInflightAppends: 0 }, /maxInflightAppends/);
    bad({ maxInflightAppends: RAFT_MAX_INFLIGHT_APPENDS + 1 }, /maxInflightAppends/);
    bad({ maxEntriesPerAppend: 0 }, /maxEntriesPerAppend/);
    bad({ maxEntriesPerAppend: RAFT_MAX_ENTRIES_PER_APPEND + 1 }, /maxEntriesPerAppend/);
  });
});
