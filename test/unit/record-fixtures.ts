// Hand-built replicated records for unit tests of the pure cluster code (plan, view): one member
// and one array with every field set, each overridable.
import type { Sectors, Term } from '../../daemon/src/common/types.js';
import type { ArrayRecord, MemberRecord } from '../../daemon/src/cluster/types.js';

export function memberRecord(path: string, over: Partial<MemberRecord> = {}): MemberRecord {
  return { path, localPaths: {}, deviceUuid: null, role: 'active', slot: 0, inSync: true, descNumber: -1, writeMostly: false,
    wantReplacement: false, replacementFor: null, kernelName: null, major: 8, minor: 0, pendingAdd: null, ...over };
}

/** md0, raid1 over sda (slot 0) and sdb (slot 1), materialized and idle; `term` stamps the sync checkpoint. */
export function arrayRecord(over: Partial<ArrayRecord> = {}, term = 3): ArrayRecord {
  return {
    device: 'md0', uuid: '93a5f505:69825d0d:413c4afa:010d8c59', name: 'x:0', level: 'raid1', raidDisks: 2, layout: null,
    chunkKiB: null, metadata: '1.2', bitmap: 'internal', assumeClean: false, componentSizeKiB: 1000, arraySizeKiB: 1000, ctimeSec: 0,
    run: 'running', adminReadOnly: false, materialized: true,
    members: [memberRecord('/dev/sda', { slot: 0, descNumber: 0 }), memberRecord('/dev/sdb', { slot: 1, descNumber: 1 })],
    sync: { action: 'idle', doneSectors: 0 as Sectors, totalSectors: 0 as Sectors, term: term as Term, speedKiBps: 0 },
    origin: 'create', requestedAction: null, ...over,
  };
}
