// The shape of GET /api/v1/status as the tests read it (daemon/src/status/source.ts builds
// it). Owns: nothing but types. Invariant: only fields the daemon really emits are listed.

export interface ArrayStatus {
  device: string;
  uuid: string;
  name: string;
  level: string;
  state: 'stopped' | 'read-only' | 'degraded' | 'clean';
  writableOn: string | null;
  members: { device: string; role: number | string; state: string }[];
  sync: { action: string; doneSectors: number; totalSectors: number };
}

export interface StatusJson {
  node: string;
  term: number;
  master: string | null;
  leader: string | null;
  role: string;
  commitIndex: number;
  appliedIndex: number;
  writer: boolean;
  lease: { valid: boolean; endTick: number | null; nowTick: number };
  nodes: { id: string; address: string; role: string; healthy: boolean; appliedIndex: number | null }[];
  arrays: ArrayStatus[];
  writerLog: { device: string; term: number; startWallMs: number; endWallMs: number | null; reason: string }[];
}
