// mdctl --detail (and --export, --brief) of an external-metadata array this node's md holds but
// the cluster does not manage (a DDF/IMSM container or a volume in one): mdadm's text from the
// local kernel view, with the paths mdadm's map file gives. Owns: finding those arrays and
// their map paths. Invariants: only arrays whose md/metadata_version is external:... are shown
// this way (md-native arrays outside the cluster stay "no such array in this cluster"); no
// Cluster section is printed (the cluster holds no record of them); read-only.
import { renderDetail } from '../../daemon/src/md/format/detail.js';
import { renderExport } from '../../daemon/src/md/format/export.js';
import { renderScanLine } from '../../daemon/src/md/format/scan.js';
import type { ArrayState } from '../../daemon/src/md/types.js';
import { homeHost, type Ctx } from './context.js';
import { readBounded } from './mdadm-conf.js';

/** mdadm's map file (mdadm's MAP_DIR/MAP_FILE on Debian); MDCTL_MDADM_MAP overrides it (tests). */
export const MDADM_MAP_FILE = '/run/mdadm/map';

/** "md127 ddf UUID /dev/md/ddf" lines -> device -> path. */
export function parseMdadmMap(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const w = line.trim().split(/\s+/);
    if (w.length >= 4 && /^md[0-9_A-Za-z.-]+$/.test(w[0]) && w[3].startsWith('/dev/')) out.set(w[0], w[3]);
  }
  return out;
}

export interface LocalExternal {
  array: ArrayState;
  all: ArrayState[];
  mapPaths: Map<string, string>;
}

/** The local kernel's view of `name` when it is an external-metadata array, else null. */
export async function localExternal(ctx: Ctx, name: string): Promise<LocalExternal | null> {
  let all: ArrayState[];
  try {
    all = (await ctx.read<{ arrays: ArrayState[] }>('kernel', {})).arrays;
  } catch {
    return null;
  }
  const array = all.find((a) => a.device === name);
  if (array === undefined || !array.metadataVersion.startsWith('external:')) return null;
  return { array, all, mapPaths: parseMdadmMap(readBounded(ctx.io.env.MDCTL_MDADM_MAP ?? MDADM_MAP_FILE) ?? '') };
}

/** mdadm's --detail, --export or --brief text for one local external array. */
export function renderLocalExternal(x: LocalExternal, how: 'detail' | 'export' | 'brief', verbose: boolean): string {
  const pathOf = (d: string) => x.mapPaths.get(d) ?? `/dev/${d}`;
  const a = x.array;
  const containerPath = a.external?.container ? pathOf(a.external.container) : undefined;
  if (how === 'export') return renderExport(a, { mapPath: x.mapPaths.get(a.device), containerPath });
  if (how === 'brief') return renderScanLine(a, { verbose, mapPaths: x.mapPaths });
  const memberArrays = x.all.filter((m) => m.external?.container === a.device).map((m) => pathOf(m.device));
  return renderDetail(a, { devPath: `/dev/${a.device}`, homehost: homeHost(), containerPath, memberArrays });
}
