// mdclusterd's exit statuses: the one table the entry point, the systemd unit
// (RestartPreventExitStatus=) and the manual page use. Owns: the numbers and their meaning.
// Invariant: a status that restarting cannot fix (a bad config, a bad key) is EXIT_CONFIG, and
// etc/systemd/mdclusterd.service lists exactly it in RestartPreventExitStatus (a unit test reads
// the unit file); usage errors stay 2 like mdadm's.

export const EXIT_OK = 0;
/** Start-up failed for a reason outside the config (storage, listen, md driver); a restart may help. */
export const EXIT_FAILURE = 1;
/** The command line is wrong. */
export const EXIT_USAGE = 2;
/** The data directory is locked by another running mdclusterd (sysexits EX_TEMPFAIL). */
export const EXIT_DATA_DIR_LOCKED = 75;
/** The configuration or a file it names (TLS certificate or key) is invalid (sysexits EX_CONFIG). */
export const EXIT_CONFIG = 78;
/** An uncaught exception stopped the daemon (sysexits EX_SOFTWARE): a bug. */
export const EXIT_BUG = 70;

export const EXIT_STATUS_TABLE: readonly { status: number; meaning: string }[] = [
  { status: EXIT_OK, meaning: 'success (stopped on SIGTERM/SIGINT, or --check-config found no problem)' },
  { status: EXIT_FAILURE, meaning: 'start-up failed (storage, a listening socket, the md driver); see the message' },
  { status: EXIT_USAGE, meaning: 'invalid command line' },
  { status: EXIT_BUG, meaning: 'an uncaught exception (a bug; see the log)' },
  { status: EXIT_DATA_DIR_LOCKED, meaning: 'another mdclusterd uses the data directory (its pid is named)' },
  { status: EXIT_CONFIG, meaning: 'the configuration, or a TLS file it names, is invalid; restarting cannot help (RestartPreventExitStatus)' },
];
