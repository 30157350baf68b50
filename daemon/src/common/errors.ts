// The catalog of operating errors. Owns: every stable error code the daemon, its control
// socket, its HTTP endpoints and mdctl can report. Invariant: codes are never renamed or
// reused once released; a new failure mode gets a new code here, in its section.
// Programmer errors are not here: they assert (common/assert.ts) and crash.

export const ERROR_CODES = {
  // --- generic input ---
  E_BAD_REQUEST: 'the request is malformed',
  E_BAD_CONFIG: 'the configuration is invalid',
  E_USAGE: 'the command line is invalid',
  E_TOO_LARGE: 'the input exceeds a size limit',
  E_UNSUPPORTED_VERSION: 'the protocol version is not supported',
  E_INTERNAL: 'an internal error occurred (a bug: see the daemon log)',
  E_BUSY: 'the daemon is serving too many connections; retry later',
  // --- cluster / raft ---
  E_NOT_LEADER: 'this node is not the leader',
  E_NO_LEADER: 'no leader is known',
  E_NO_QUORUM: 'no quorum is reachable',
  E_TIMEOUT: 'the operation timed out',
  E_PROPOSAL_DROPPED: 'the proposal was dropped',
  E_CONF_CHANGE_PENDING: 'a membership change is already pending',
  // --- client sessions (exactly-once requests: cluster/sessions.ts) ---
  E_SESSION_EXPIRED: 'the client session or request is too old to tell whether it was applied; the outcome is unknown',
  E_SESSIONS_FULL: 'too many client sessions or pending md operations; retry later',
  E_UNKNOWN_NODE: 'no such node',
  E_TRANSFER_FAILED: 'leadership transfer failed',
  E_LEARNER_BEHIND: 'the learner has not caught up with the leader\'s log',
  E_LEASE_HELD: 'a leader lease may still be running; refusing to campaign',
  E_SHUTTING_DOWN: 'the daemon is shutting down',
  // --- storage ---
  E_STORAGE_CORRUPT: 'the on-disk log is corrupt',
  E_STORAGE_IO: 'the on-disk log could not be read or written',
  E_DATA_DIR_LOCKED: 'another daemon is using the data directory',
  // --- md state validation ---
  E_NO_SUCH_ARRAY: 'no such array',
  E_NO_SUCH_DEVICE: 'no such device',
  E_ARRAY_EXISTS: 'the array already exists',
  E_DEVICE_BUSY: 'the device is already in use',
  E_DEVICE_NOT_CONFIRMED: 'not every live node has confirmed it sees the device',
  E_LAST_IN_SYNC: 'refusing to fail the last in-sync member without --force',
  E_INVALID_STATE: 'the array or member is not in a state that allows this',
  E_ARRAY_BUSY: 'the array has member changes in progress; retry when they finish',
  E_INVALID_ARGUMENT: 'an argument is out of range',
  // --- md driver / kernel ---
  E_KERNEL: 'the kernel refused the request',
  E_MDADM_MISSING: 'mdadm is not installed',
  E_MDADM_FAILED: 'mdadm failed',
  E_NOT_SUPPORTED: 'the operation is not supported by this driver',
  E_EXTERNAL_METADATA: 'the array or device uses external metadata (DDF/IMSM), which cluster operations do not support yet',
  E_NO_SUPERBLOCK: 'the device carries no valid md v1.x superblock',
  E_KERNEL_FORMAT: 'the kernel reported a value this driver does not understand',
  E_BAD_FORMAT: 'the text is not in the expected md/mdadm output format',
  E_SIM_DISK_INVALID: 'a simulated disk file or disk directory entry is malformed',
  // --- master role ---
  E_NOT_WRITABLE: 'this node does not hold the writer role',
  // --- transport ---
  E_PEER_REFUSED: 'the peer was refused',
  E_PEER_DUPLICATE: 'a node with this identity is already connected from another address',
  E_PEER_PROTOCOL: 'the peer sent an invalid frame',
  E_LISTEN_FAILED: 'a listening socket could not be opened',
  E_SDNOTIFY: 'the systemd notification could not be sent',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** An operating error: expected, reportable, never a crash. */
export class OpError extends Error {
  override name = 'OpError';
  constructor(
    readonly code: ErrorCode,
    message?: string,
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message ?? ERROR_CODES[code]);
  }
  toJSON(): { code: ErrorCode; message: string; details: Readonly<Record<string, unknown>> } {
    return { code: this.code, message: this.message, details: this.details };
  }
}

export function isErrorCode(s: unknown): s is ErrorCode {
  return typeof s === 'string' && Object.prototype.hasOwnProperty.call(ERROR_CODES, s);
}
