// mdctl's help texts, per mode, in mdadm's spirit. Owns: usage text only; the per-mode option
// list comes from the option table (options.ts), so it cannot drift from what parses.
import { productVersion } from '../../daemon/src/common/version.js';
import { MODES, OPTION_DEFS, type ActiveMode } from './options.js';

/** mdadm's "mdadm - v4.2 - 2021-12-30" shape; the number comes from package.json. */
export function versionText(): string {
  return `mdctl - v${productVersion()} (mdadm-compatible CLI for mdclusterd)`;
}

const GENERAL = `Usage: mdctl [mode] <raiddevice> [options] <component-devices>

mdctl speaks mdadm's syntax; each change goes through the local mdclusterd and is
applied on every node of the cluster (the master writes, standbys follow read-only).

Modes:
  --create    -C : create a new array                     (mdctl --create --help)
  --assemble  -A : assemble an array from its components  (mdctl --assemble --help)
  --monitor   -F : report cluster-wide md events, once each (mdctl --monitor --help)
  --grow      -G : change an array: bitmap, size, number of devices (mdctl --grow --help)
  --detail    -D, --examine -E, --query -Q, --wait -W, --action=ACTION : misc (mdctl --misc --help)
  --cluster VERB : status | step-down [--to NODE] | confirm DEVICE | add-node ID=HOST:PORT | remove-node ID [--force]
                   (add-node/remove-node run on the master; --timeout SECONDS bounds them, default 60)
  <raiddevice> --add/--fail/--remove/... : manage            (mdctl --manage --help)

General options:
  --socket PATH  : the daemon's control socket (also MDCTL_SOCKET; default /run/mdclusterd/control.sock)
  --help    -h   : this text, or a mode's help after the mode option
  --version -V   : print the version
`;

const HELP: Record<string, string> = {
  create: `Usage: mdctl --create device --level=L --raid-devices=N [--spare-devices=S] devices...
  --level      -l : linear, raid0, raid1, raid4, raid5, raid6, raid10
  --raid-devices -n, --spare-devices -x : numbers of active and spare devices
  --metadata   -e : 1.0, 1.1 or 1.2 (default 1.2)
  --bitmap     -b : internal or none (default none)
  --chunk      -c, --layout -p, --name -N, --uuid -u, --size -z, --assume-clean, --run
  Example: mdctl -C /dev/md0 -l1 -n2 /dev/sda1 /dev/sdb1
`,
  assemble: `Usage: mdctl --assemble device components...   |   mdctl --assemble --scan [--config=FILE]   |   mdctl -A --uuid=U
  --scan reads mdadm.conf's ARRAY lines (default /etc/mdadm/mdadm.conf); arrays the cluster does not know
  are assembled from the devices its DEVICE lines name whose superblocks carry the ARRAY's UUID.
`,
  grow: `Usage: mdctl --grow device --bitmap=internal|none
       mdctl --grow device --size=N|max [--assume-clean]
       mdctl --grow device --raid-devices=N [--force] [--backup-file=FILE]
       mdctl --grow device --chunk=N [--backup-file=FILE]
  One change at a time; the master carries it out, the standbys follow. --raid-devices: raid1
  mirrors (spares become mirrors), raid4/5/6 grow by a reshape (FILE is on the master).
  --chunk: raid4/5/6 restripe to a new chunk size (K/M suffix, default K) by a reshape.
`,
  incremental: `Usage: mdctl --incremental device   (the udev path: add the device to its array, start it when complete)
`,
  manage: `Usage: mdctl device operation devices... [operation devices...]
  Operations run left to right: --add -a, --re-add, --add-spare, --remove -r (also: failed, detached),
  --fail -f / --set-faulty, --replace DEV --with DEV, --write-mostly, --readonly -o, --readwrite -w,
  --run -R, --stop -S, --force (fail the last in-sync member)
  Example: mdctl /dev/md0 --fail /dev/sdb1 --remove /dev/sdb1 --add /dev/sdc1
`,
  misc: `Usage: mdctl --detail [--scan] [--export] [--brief] [--test] [--verbose] device...
       mdctl --examine [--brief] component...   mdctl --examine --scan [-v]   mdctl --query device...
       mdctl --wait device...   mdctl --wait-clean device...|--scan   mdctl --stop device...|--scan
       mdctl --zero-superblock [--force] component...
       mdctl --action=check|repair|idle|frozen device
  --detail --test exits 0 (ok), 1 (degraded), 2 (unusable), 4 (no information).
`,
  monitor: `Usage: mdctl --monitor [--scan | md devices...] [--mail=ADDR] [--program=PATH] [--syslog]
                    [--delay=S] [--increment=N] [--oneshot -1] [--test -t] [--daemonise -f]
                    [--pid-file=F -i] [--config=mdadm.conf]
  Events: Fail FailSpare SpareActive DegradedArray SparesMissing NewArray DeviceDisappeared
  RebuildStarted RebuildNN RebuildFinished MoveSpare TestMessage, and the cluster's
  DeviceRemoved (a member left the array) DegradedAtBoot MasterChanged NodeDown NodeUp
  QuorumLost QuorumRegained DemoteFailed FenceRan OpRefused (md refused a committed
  operation; the record was put back). Array events come from the
  replicated log, so each is raised once per cluster whichever node the monitor watches.
  --program (or --alert) is run as: PROGRAM EVENT DEVICE [COMPONENT] ("cluster" as DEVICE
  for cluster events). --mail uses /usr/sbin/sendmail for Fail*, Degraded*, SparesMissing,
  TestMessage, QuorumLost, DemoteFailed, FenceRan and OpRefused. --syslog uses logger(1). With nothing configured,
  events are printed to stdout. --delay: seconds between reconnection attempts (default 60).
  --increment: RebuildNN step in percent (default 20). SparesMissing uses spares= of the
  ARRAY lines in --config (default /etc/mdadm/mdadm.conf).
`,
};

/** The options valid in a mode, one per line with the letters they have there. */
export function optionList(mode: ActiveMode): string {
  const lines = OPTION_DEFS.filter((d) => d.modes === 'any' || d.modes.includes(mode))
    .map((d) => `  --${d.name}${d.arg === 'required' ? '=VALUE' : ''}${d.short && (d.short.in === 'any' || d.short.in.includes(mode)) ? ` -${d.short.letter}` : ''} : ${d.help}`);
  return `\nOptions in ${mode} mode:\n${lines.join('\n')}\n`;
}

export function helpText(mode: string | null): string {
  const base = (mode && HELP[mode]) || GENERAL;
  return mode !== null && (MODES as readonly string[]).includes(mode) ? base + optionList(mode as ActiveMode) : base;
}
