// External metadata (md/metadata_version "external:..."): DDF/IMSM containers and the member
// arrays inside them. Owns: telling a container from a member, finding the container's format,
// reading its DDF facts from a member disk, and the UUID mdadm derives from them.
// Invariants:
// - md keeps no UUID for external metadata (sysfs uuid is all zeros): the UUID comes from the
//   metadata itself (DDF), or is left as the zero UUID when the format is not read here (IMSM).
// - A member disk whose DDF cannot be read is skipped; none readable leaves ddf null, never a guess.
import { OpError } from '../../common/errors.js';
import { MD_FORMAT_MAX_TEXT_BYTES } from '../../common/limits.js';
import type { ExternalFacts, MemberState } from '../types.js';
import { isArrayName, mdDir, type KernelPaths } from './paths.js';
import type { ReadPorts } from './ports.js';
import { readText } from './sysfs-io.js';

/** "external:ddf" -> container of format ddf; "external:/md127/0" -> member 0 of md127. */
export function parseExternal(metadataVersion: string): { container: string | null; member: string | null; format: string | null } | null {
  if (!metadataVersion.startsWith('external:')) return null;
  const rest = metadataVersion.slice('external:'.length);
  const sub = /^[/-]([^/]+)\/(.*)$/.exec(rest);
  if (sub) return { container: sub[1], member: sub[2], format: null };
  return { container: null, member: null, format: rest };
}

function containerFormat(paths: KernelPaths, container: string): string {
  if (!isArrayName(container)) return 'unknown';
  const v = readText(`${mdDir(paths, container)}/metadata_version`, MD_FORMAT_MAX_TEXT_BYTES, { syscall: 'read', device: container });
  const parsed = parseExternal(v?.trim() ?? '');
  return parsed?.format ?? 'unknown';
}

/** The external facts of an array, or null for md-native metadata. */
export async function readExternal(paths: KernelPaths, ports: ReadPorts, metadataVersion: string, members: readonly MemberState[]): Promise<ExternalFacts | null> {
  const ext = parseExternal(metadataVersion);
  if (ext === null) return null;
  const format = ext.format ?? (ext.container === null ? 'unknown' : containerFormat(paths, ext.container));
  let ddf = null;
  if (format === 'ddf') {
    for (const m of members) {
      ddf = await ports.ddf(m.devPath).catch((err: unknown) => {
        if (err instanceof OpError) return null;
        throw err;
      });
      if (ddf !== null) break;
    }
  }
  return { format, container: ext.container, member: ext.member, ddf };
}

/** mdadm's UUID for an external array: the container's, or its virtual disk's; null when unknown. */
export function externalUuid(ext: ExternalFacts): string | null {
  if (ext.ddf === null) return null;
  if (ext.container === null) return ext.ddf.containerUuid;
  const index = /^[0-9]+$/.test(ext.member ?? '') ? Number(ext.member) : -1;
  return ext.ddf.vdUuids[index] ?? null;
}
