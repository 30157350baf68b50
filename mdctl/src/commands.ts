// The replicated commands mdctl proposes. Owns: their types (the daemon's own) and the value
// sets mdctl checks before sending (sending them exactly once is propose.ts).
// Invariant: the command type is the daemon's own (daemon/src/cluster/commands.ts), imported
// for its type only, so mdctl loads no daemon code at run time (.dependency-cruiser.cjs,
// rule mdctl-commands-type-only); the daemon still validates every command it receives.
import type { Command, CommandOf } from '../../daemon/src/cluster/commands.js';

export type { Command, CommandOf };
export type RaidLevel = CommandOf<'create'>['level'];
export type MetadataVersion = CommandOf<'create'>['metadata'];
export type SyncAction = CommandOf<'sync-action'>['action'];

export const METADATA_VERSIONS: readonly MetadataVersion[] = ['1.0', '1.1', '1.2'];
export const SYNC_ACTIONS: readonly SyncAction[] = ['check', 'repair', 'idle', 'frozen'];

export function isMetadataVersion(s: string): s is MetadataVersion {
  return (METADATA_VERSIONS as readonly string[]).includes(s);
}

export function isSyncAction(s: string): s is SyncAction {
  return (SYNC_ACTIONS as readonly string[]).includes(s);
}
