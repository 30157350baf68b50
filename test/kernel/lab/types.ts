// Kernel lab API types. Owns: what a test asks of a guest (GuestSpec) and what it gets back
// (GuestResult), shared by guest.ts, cluster.ts and the tests.
// Invariants: a GuestResult is plain data read after qemu exited; `outcome` tells exactly
// how the guest ended, and exitCode is non-null only for outcome 'exited'.

export interface DiskSpec {
  /** Raw image file on the host; created sparse at sizeMiB when missing. Omitted: a fresh
   *  file in the guest's run dir. A relative path is taken from the run dir. */
  path?: string;
  sizeMiB: number;
  /** Attach for several guests at once: cache=none, file.locking=off, share-rw=on. */
  shared?: boolean;
}

export interface GuestSpec {
  /** argv run in the guest (through the host's /, read-only with a tmpfs overlay). */
  cmd: string[];
  /** Working directory in the guest; default the host process's cwd (same path there). */
  cwd?: string;
  /** Extra environment for cmd (names must be shell identifiers). */
  env?: Record<string, string>;
  /** Disks in order: the first is /dev/vda, then /dev/vdb, ... */
  disks?: DiskSpec[];
  /** Whole-guest wall-clock bound; qemu is killed when it passes (outcome 'timeout'). */
  timeoutMs?: number;
  memMiB?: number;
  /** 1..254: a NIC on a private segment as 10.0.0.<netIndex>/24 (in its own netns unless
   *  the guest is part of a cluster, which shares one). */
  netIndex?: number;
  /** Guest hostname; default "guest" or "node<netIndex>". */
  hostname?: string;
  /** A short label for run dir names and error messages. */
  name?: string;
}

/**
 * How a guest ended:
 * - exited: the command finished; exitCode is its status.
 * - timeout: the host's bound passed; qemu was killed.
 * - boot-failed: qemu ended before /init started the command (e.g. a kernel panic at boot).
 * - init-failed: the guest's /init could not reach the command (see initFailure).
 * - no-exit-status: qemu ended while the command ran (guest crash, sysrq b, power cut).
 */
export type GuestOutcome = 'exited' | 'timeout' | 'boot-failed' | 'init-failed' | 'no-exit-status';

export interface GuestResult {
  name: string;
  outcome: GuestOutcome;
  exitCode: number | null;
  /** The command's stdout and stderr (files in the results share). */
  stdout: string;
  stderr: string;
  /** Tail of the serial console: kernel messages and the LAB- marker lines. */
  console: string;
  /** qemu's own stderr (tail), e.g. option errors. */
  qemuStderr: string;
  /** Files the command left under $LAB_OUT, by path relative to it (UTF-8 text). */
  files: Record<string, string>;
  initFailure: string | null;
  /** Host time from spawning qemu to the guest's LAB-JOB-START marker; null if never reached. */
  bootToCommandMs: number | null;
  /** Guest uptime (s) when the command started, from the marker; null if never reached. */
  guestUptimeAtCommandSec: number | null;
  /** Host time from spawning qemu to its exit. */
  totalMs: number;
  /** Every LAB-MARK text the guest printed, in order (guest lib.sh lab_mark). */
  marks: string[];
}
