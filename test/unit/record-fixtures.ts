// Hand-built replicated records for unit tests of the pure cluster code (plan, view): one member
// and one array with every field set, each overridable.
import type { Sectors, Term } from '../../daemon/src/common/types.js';
import type { ArrayRecord, MemberRecord } from '../../daemon/src/cluster/types.js';
import type { ArrayState, MemberFlag, MemberState } from '../../daemon/src/md/types.js';

export function memberRecord(path: string, over: Partial<MemberRecord> = {}): MemberRecord {
  return { path, localPaths: {}, deviceUuid: null, role: 'active', slot: 0, inSync: true, descNumber: -1, writeMostly: false,
    wantReplacement: false, replacementFor: null, kernelName: null, major: 8, minor: 0, pendingAdd: null, ...over };
}

/** md0, raid1 over sda (slot 0) and sdb (slot 1) with an internal bitmap, materialized and idle; `term` stamps the sync checkpoint. */
export function arrayRecord(over: Partial<ArrayRecord> = {}, term = 3): ArrayRecord {
  return {
    device: 'md0', uuid: '93a5f505:69825d0d:413c4afa:010d8c59', name: 'x:0', level: 'raid1', raidDisks: 2, layout: null,
    chunkKiB: null, metadata: '1.2', bitmap: 'internal', bitmapChunkKiB: 65536, assumeClean: false, componentSizeKiB: 1000, arraySizeKiB: 1000, ctimeSec: 0,
    run: 'running', adminReadOnly: false, materialized: true,
    members: [memberRecord('/dev/sda', { slot: 0, descNumber: 0 }), memberRecord('/dev/sdb', { slot: 1, descNumber: 1 })],
    sync: { action: 'idle', doneSectors: 0 as Sectors, totalSectors: 0 as Sectors, term: term as Term, speedKiBps: 0 },
    origin: 'create', requestedAction: null, ...over,
  };
}

/** One member as the kernel reports it (md/types.ts MemberState). */
export function kernelMember(devPath: string, slot: number | null, flags: MemberFlag[], descNumber: number): MemberState {
  return { name: devPath.slice(5), devPath, major: 8, minor: descNumber * 16, slot, descNumber, flags, errors: 0, recoveryStartSectors: null,
    deviceUuid: null, dataOffsetSectors: 2048 as Sectors, sizeKiB: 1000 };
}

/** A clean, idle raid1 md0 with an internal bitmap (64 MiB chunks) as the kernel reports it, with these members. */
export function kernelArrayState(members: MemberState[], over: Partial<ArrayState> = {}): ArrayState {
  return {
    device: 'md0', uuid: '93a5f505:69825d0d:413c4afa:010d8c59', name: 'x:0', level: 'raid1', raidDisks: 2, layout: 0, chunkSizeBytes: 0,
    arraySizeKiB: 1000, componentSizeKiB: 1000, metadataVersion: '1.2', arrayState: 'clean', degraded: 0, syncAction: 'idle', lastSyncAction: null,
    syncCompleted: null, syncWaiting: null, syncSpeedKiBps: 0, resyncStartSectors: null, syncMinSectors: 0 as Sectors, syncMaxSectors: 'max',
    consistencyPolicy: 'bitmap', bitmap: { location: 'internal', pagesUsed: 0, pagesTotal: 1, pagesKiB: 0, chunkKiB: 65536, file: null }, events: 10, ctimeSec: 0, utimeSec: 0, mismatchCount: 0, members, ...over,
  };
}
