// mdctl's option table: every long option, the argument it takes, the modes it is valid in,
// and what each short letter means in each mode (mdadm's letters change meaning by mode:
// -b is --bitmap when creating but --brief when examining, -c --chunk or --config, -p
// --layout or --program, -f --force, --fail or --daemonise, -r --remove or --increment).
// Owns: that table, the one source of truth for parsing (args.ts) and for help text, man pages
// or completion. Invariants (checked once at load, a programmer error otherwise): in each mode
// a short letter means one long option, and that option is valid in the mode.

export type Mode = 'create' | 'assemble' | 'build' | 'incremental' | 'grow' | 'monitor' | 'misc' | 'manage' | 'cluster' | 'version' | 'help';
/** The modes an option line can be in after the first mode option (version/help are outcomes). */
export const MODES = ['create', 'assemble', 'build', 'incremental', 'grow', 'monitor', 'misc', 'manage', 'cluster'] as const;
export type ActiveMode = (typeof MODES)[number];
/** Before any mode option: what a letter means then (mdadm's short_opts). */
export type ModeState = ActiveMode | 'none';

export interface OptionDef {
  name: string;
  arg: 'none' | 'required';
  /** Modes the option is valid in; 'any' for the general options. */
  modes: readonly ActiveMode[] | 'any';
  /** The short letter and the mode states in which it means this option. */
  short?: { letter: string; in: readonly ModeState[] | 'any' };
  /** Always sets this mode (-C, -A, ...), or sets it only when none is set yet (-S, -f, ...). */
  sets?: ActiveMode;
  setsIfNone?: ActiveMode;
  /** Counted (-vv): the value is an array with one entry per use. */
  counted?: boolean;
  help: string;
}

const BITMAP_MODES = ['create', 'build', 'grow', 'assemble', 'incremental', 'manage'] as const;
const CHUNK_MODES = ['create', 'build', 'grow'] as const;
const CONFIG_MODES = ['assemble', 'incremental', 'misc', 'monitor'] as const;
const CREATING = ['create', 'build'] as const;

export const OPTION_DEFS: readonly OptionDef[] = [
  // mode options
  { name: 'create', arg: 'none', modes: ['create'], sets: 'create', short: { letter: 'C', in: 'any' }, help: 'create a new array' },
  { name: 'assemble', arg: 'none', modes: ['assemble'], sets: 'assemble', short: { letter: 'A', in: 'any' }, help: 'assemble an array from its components' },
  { name: 'build', arg: 'none', modes: ['build'], sets: 'build', short: { letter: 'B', in: 'any' }, help: 'build an array without superblocks (not on a cluster)' },
  { name: 'incremental', arg: 'none', modes: ['incremental'], sets: 'incremental', short: { letter: 'I', in: 'any' }, help: 'add one device to its array (the udev path)' },
  { name: 'grow', arg: 'none', modes: ['grow'], sets: 'grow', short: { letter: 'G', in: 'any' }, help: 'change an array: --bitmap, --size, --raid-devices, --chunk' },
  { name: 'monitor', arg: 'none', modes: ['monitor'], sets: 'monitor', short: { letter: 'F', in: 'any' }, help: 'report md events' },
  { name: 'follow', arg: 'none', modes: ['monitor'], sets: 'monitor', help: 'same as --monitor' },
  { name: 'manage', arg: 'none', modes: ['manage'], sets: 'manage', help: 'manage mode' },
  { name: 'misc', arg: 'none', modes: ['misc'], sets: 'misc', help: 'misc mode' },
  { name: 'cluster', arg: 'required', modes: ['cluster'], sets: 'cluster', help: 'cluster verb: status, step-down, confirm, add-node, remove-node' },
  { name: 'detail', arg: 'none', modes: ['misc'], sets: 'misc', short: { letter: 'D', in: 'any' }, help: 'describe arrays' },
  { name: 'examine', arg: 'none', modes: ['misc'], sets: 'misc', short: { letter: 'E', in: 'any' }, help: 'print a component\'s superblock' },
  { name: 'examine-bitmap', arg: 'none', modes: ['misc'], sets: 'misc', short: { letter: 'X', in: 'any' }, help: 'print a component\'s bitmap superblock' },
  { name: 'query', arg: 'none', modes: ['misc'], sets: 'misc', short: { letter: 'Q', in: 'any' }, help: 'what a device is' },
  { name: 'action', arg: 'required', modes: ['misc'], sets: 'misc', help: 'check, repair, idle or frozen' },
  { name: 'zero-superblock', arg: 'none', modes: ['misc'], setsIfNone: 'misc', help: 'erase a component\'s md superblock' },
  { name: 'wait', arg: 'none', modes: ['misc'], setsIfNone: 'misc', short: { letter: 'W', in: ['none', 'misc'] }, help: 'wait for a resync/recovery to end' },
  { name: 'wait-clean', arg: 'none', modes: ['misc'], setsIfNone: 'misc', help: 'wait until the array is clean' },
  // array state (misc when first, manage after an md device)
  { name: 'run', arg: 'none', modes: ['misc', 'manage', 'assemble', 'create', 'build', 'incremental'], setsIfNone: 'misc', short: { letter: 'R', in: 'any' }, help: 'start the array even if degraded' },
  { name: 'stop', arg: 'none', modes: ['misc', 'manage'], setsIfNone: 'misc', short: { letter: 'S', in: 'any' }, help: 'stop the array' },
  { name: 'readonly', arg: 'none', modes: ['misc', 'manage', 'assemble', 'create'], setsIfNone: 'misc', short: { letter: 'o', in: 'any' }, help: 'mark the array read-only' },
  { name: 'readwrite', arg: 'none', modes: ['misc', 'manage'], setsIfNone: 'misc', short: { letter: 'w', in: ['none', 'misc', 'manage'] }, help: 'mark the array read-write' },
  // manage operations (their devices follow them)
  { name: 'add', arg: 'none', modes: ['manage'], setsIfNone: 'manage', short: { letter: 'a', in: ['none', 'manage'] }, help: 'add devices (re-add when md can)' },
  { name: 're-add', arg: 'none', modes: ['manage'], setsIfNone: 'manage', help: 're-add devices that were members' },
  { name: 'add-spare', arg: 'none', modes: ['manage'], setsIfNone: 'manage', help: 'add devices as spares, never re-add' },
  { name: 'remove', arg: 'none', modes: ['manage'], setsIfNone: 'manage', short: { letter: 'r', in: ['none', 'manage'] }, help: 'remove devices (also: failed, detached)' },
  { name: 'fail', arg: 'none', modes: ['manage', 'incremental'], setsIfNone: 'manage', short: { letter: 'f', in: ['none', 'manage', 'incremental'] }, help: 'mark devices faulty' },
  { name: 'set-faulty', arg: 'none', modes: ['manage'], setsIfNone: 'manage', help: 'same as --fail' },
  { name: 'replace', arg: 'none', modes: ['manage'], setsIfNone: 'manage', help: 'replace devices (with --with or a spare)' },
  { name: 'with', arg: 'none', modes: ['manage'], setsIfNone: 'manage', help: 'the replacement for --replace' },
  { name: 'write-mostly', arg: 'none', modes: ['manage', 'create', 'build'], short: { letter: 'W', in: ['manage', 'create', 'build'] }, help: 'mark devices write-mostly' },
  // create / build / assemble
  { name: 'force', arg: 'none', modes: ['create', 'build', 'grow', 'assemble', 'misc', 'manage', 'cluster'], short: { letter: 'f', in: ['create', 'build', 'grow', 'assemble', 'misc'] }, help: 'do it even when unusual' },
  { name: 'level', arg: 'required', modes: [...CREATING, 'grow'], short: { letter: 'l', in: 'any' }, help: 'linear, raid0, raid1, raid4, raid5, raid6, raid10' },
  { name: 'raid-devices', arg: 'required', modes: [...CREATING, 'grow'], short: { letter: 'n', in: 'any' }, help: 'number of active devices' },
  { name: 'backup-file', arg: 'required', modes: ['grow'], help: 'file for md\'s critical section while reshaping (on the master)' },
  { name: 'spare-devices', arg: 'required', modes: ['create'], short: { letter: 'x', in: 'any' }, help: 'number of spare devices' },
  { name: 'metadata', arg: 'required', modes: ['create', 'assemble', 'incremental', 'misc'], short: { letter: 'e', in: 'any' }, help: '1.0, 1.1 or 1.2 (0.90 read only)' },
  { name: 'bitmap', arg: 'required', modes: BITMAP_MODES, short: { letter: 'b', in: BITMAP_MODES }, help: 'internal or none' },
  { name: 'chunk', arg: 'required', modes: CHUNK_MODES, short: { letter: 'c', in: CHUNK_MODES }, help: 'chunk size (K/M/G suffix, default K)' },
  { name: 'layout', arg: 'required', modes: CHUNK_MODES, short: { letter: 'p', in: CHUNK_MODES }, help: 'raid5/6/10 layout' },
  { name: 'parity', arg: 'required', modes: CHUNK_MODES, help: 'same as --layout' },
  { name: 'name', arg: 'required', modes: ['create', 'assemble', 'misc'], short: { letter: 'N', in: 'any' }, help: 'array name' },
  { name: 'uuid', arg: 'required', modes: ['create', 'assemble', 'misc'], short: { letter: 'u', in: 'any' }, help: 'array UUID' },
  { name: 'size', arg: 'required', modes: ['create', 'build', 'grow'], short: { letter: 'z', in: 'any' }, help: 'space used on each device (K/M/G/T suffix, default K; or max)' },
  { name: 'assume-clean', arg: 'none', modes: ['create', 'build', 'grow'], help: 'skip the initial resync' },
  { name: 'homehost', arg: 'required', modes: 'any', help: 'the host name written in the array name (<ignore> or <none>)' },
  { name: 'write-journal', arg: 'required', modes: ['create'], help: 'a journal device for raid4/5/6' },
  { name: 'consistency-policy', arg: 'required', modes: ['create', 'grow'], short: { letter: 'k', in: ['create', 'grow'] }, help: 'resync, bitmap, journal or ppl' },
  { name: 'update', arg: 'required', modes: ['assemble', 'misc'], short: { letter: 'U', in: ['assemble', 'misc'] }, help: 'update a superblock field while assembling' },
  { name: 'no-degraded', arg: 'none', modes: ['assemble', 'incremental'], help: 'do not start an array with fewer members than it had' },
  { name: 'super-minor', arg: 'required', modes: ['assemble'], short: { letter: 'm', in: ['assemble'] }, help: 'assemble by 0.90 preferred minor' },
  { name: 'auto', arg: 'required', modes: ['create', 'build', 'assemble', 'incremental'], short: { letter: 'a', in: ['create', 'build', 'assemble', 'incremental'] }, help: 'ignored (device nodes)' },
  { name: 'rebuild-map', arg: 'none', modes: ['incremental'], short: { letter: 'r', in: ['incremental'] }, help: 'rebuild the map file' },
  // misc / several
  { name: 'scan', arg: 'none', modes: ['assemble', 'misc', 'monitor', 'incremental'], short: { letter: 's', in: 'any' }, help: 'every array (from mdadm.conf or the cluster)' },
  { name: 'config', arg: 'required', modes: [...CONFIG_MODES, 'create'], short: { letter: 'c', in: ['none', ...CONFIG_MODES] }, help: 'mdadm.conf to read (default /etc/mdadm/mdadm.conf)' },
  { name: 'export', arg: 'none', modes: 'any', short: { letter: 'Y', in: 'any' }, help: 'key=value output' },
  { name: 'brief', arg: 'none', modes: 'any', short: { letter: 'b', in: ['none', 'misc', 'monitor', 'cluster'] }, help: 'short output' },
  { name: 'test', arg: 'none', modes: ['misc', 'monitor', 'manage'], short: { letter: 't', in: ['misc', 'monitor', 'manage'] }, help: '--detail: exit status tells health; --monitor: test events' },
  { name: 'verbose', arg: 'none', modes: 'any', counted: true, short: { letter: 'v', in: 'any' }, help: 'more output' },
  { name: 'quiet', arg: 'none', modes: 'any', counted: true, short: { letter: 'q', in: 'any' }, help: 'less output' },
  // monitor
  { name: 'mail', arg: 'required', modes: ['monitor'], short: { letter: 'm', in: ['monitor'] }, help: 'mail address for alerts' },
  { name: 'program', arg: 'required', modes: ['monitor'], short: { letter: 'p', in: ['monitor'] }, help: 'program run for events' },
  { name: 'alert', arg: 'required', modes: ['monitor'], help: 'same as --program' },
  { name: 'syslog', arg: 'none', modes: ['monitor'], short: { letter: 'y', in: ['monitor'] }, help: 'log events to syslog' },
  { name: 'delay', arg: 'required', modes: ['monitor', 'create', 'build', 'grow'], short: { letter: 'd', in: ['monitor', 'create', 'build', 'grow'] }, help: 'seconds between polls' },
  { name: 'increment', arg: 'required', modes: ['monitor'], short: { letter: 'r', in: ['monitor'] }, help: 'RebuildNN step in percent' },
  { name: 'oneshot', arg: 'none', modes: ['monitor'], short: { letter: '1', in: ['monitor'] }, help: 'check once and exit' },
  { name: 'daemonise', arg: 'none', modes: ['monitor'], short: { letter: 'f', in: ['monitor'] }, help: 'run in the background' },
  { name: 'daemonize', arg: 'none', modes: ['monitor'], help: 'same as --daemonise' },
  { name: 'pid-file', arg: 'required', modes: ['monitor'], short: { letter: 'i', in: ['monitor'] }, help: 'pid file when daemonised' },
  // cluster / general
  { name: 'to', arg: 'required', modes: ['cluster'], help: 'step-down target node' },
  { name: 'timeout', arg: 'required', modes: ['cluster'], help: 'seconds' },
  { name: 'wait-all', arg: 'none', modes: ['create', 'manage', 'cluster'], help: 'wait until every node applied the change' },
  { name: 'local', arg: 'none', modes: ['cluster', 'misc', 'manage', 'assemble', 'incremental'], help: 'this node\'s view, no read from the leader' },
  { name: 'socket', arg: 'required', modes: 'any', help: 'the daemon\'s control socket' },
  { name: 'help', arg: 'none', modes: 'any', short: { letter: 'h', in: 'any' }, help: 'help text' },
  { name: 'version', arg: 'none', modes: 'any', short: { letter: 'V', in: 'any' }, help: 'print the version' },
];

export const OPTIONS_BY_NAME: ReadonlyMap<string, OptionDef> = new Map(OPTION_DEFS.map((d) => [d.name, d]));

/** shortTable(state) maps each letter to the option it means in that mode state. */
const SHORTS: ReadonlyMap<ModeState, ReadonlyMap<string, OptionDef>> = (() => {
  const out = new Map<ModeState, Map<string, OptionDef>>();
  for (const state of ['none', ...MODES] as ModeState[]) {
    const m = new Map<string, OptionDef>();
    for (const d of OPTION_DEFS) {
      if (!d.short || (d.short.in !== 'any' && !d.short.in.includes(state))) continue;
      const prev = m.get(d.short.letter);
      if (prev) throw new Error(`option table: -${d.short.letter} means both --${prev.name} and --${d.name} in ${state}`);
      m.set(d.short.letter, d);
    }
    out.set(state, m);
  }
  return out;
})();

export function shortOption(state: ModeState, letter: string): OptionDef | undefined {
  return SHORTS.get(state)?.get(letter);
}

export function validIn(def: OptionDef, mode: ActiveMode): boolean {
  return def.modes === 'any' || def.modes.includes(mode);
}

/** The letters an option has, as "-b (create, build)" text for help and completion. */
export function shortLetters(def: OptionDef): string {
  if (!def.short) return '';
  return def.short.in === 'any' ? `-${def.short.letter}` : `-${def.short.letter} (${def.short.in.filter((s) => s !== 'none').join(', ')})`;
}
