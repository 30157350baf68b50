// The replicated commands mdctl proposes. Owns: the one typed way mdctl sends a command to the
// daemon (the `propose` control request) and the value sets mdctl checks before sending.
// Invariant: the command type is the daemon's own (daemon/src/cluster/commands.ts), imported
// for its type only, so mdctl loads no daemon code at run time (.dependency-cruiser.cjs,
// rule mdctl-commands-type-only); the daemon still validates every command it receives.
import type { Command, CommandOf } from '../../daemon/src/cluster/commands.js';
import type { Client } from './client.js';

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

/** Proposes one command; resolves once it is committed and applied (on all live nodes with waitAll). */
export function propose(c: Client, command: Command, opts: { waitAll?: boolean; timeoutMs?: number } = {}): Promise<unknown> {
  return c.request('propose', { command, ...opts });
}
