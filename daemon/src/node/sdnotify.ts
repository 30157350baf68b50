// sd_notify(3) for Type=notify: READY=1, STATUS=..., WATCHDOG=1, STOPPING=1 sent as one
// datagram to $NOTIFY_SOCKET, over a unix datagram socket made through koffi (node:dgram has
// no unix sockets).
// Owns: parsing NOTIFY_SOCKET (a path, or "@name" for the abstract namespace), the socket's
// life, and the watchdog interval derived from WATCHDOG_USEC/WATCHDOG_PID.
// Invariants:
// - Without NOTIFY_SOCKET (not started by systemd) every call is a no-op returning null.
// - send() never throws for an operating failure: it returns an OpError('E_SDNOTIFY') carrying
//   the errno (and counts it); the socket is non-blocking, so a stuck manager cannot stall the
//   event loop.
// - One datagram per call, at most SDNOTIFY_MAX_MESSAGE_BYTES; STATUS text is kept on one line.
import { constants as osConstants, endianness } from 'node:os';
import koffi from 'koffi';
import { OpError } from '../common/errors.js';
import { SDNOTIFY_MAX_MESSAGE_BYTES } from '../common/limits.js';

export const AF_UNIX = 1;
export const SOCK_DGRAM = 2;
export const SOCK_NONBLOCK = 0o4000;
export const SOCK_CLOEXEC = 0o2000000;
const MSG_NOSIGNAL = 0x4000;
/** sizeof(struct sockaddr_un): 2 bytes of family + 108 of sun_path. */
export const SOCKADDR_UN_BYTES = 110;
const SUN_PATH_BYTES = 108;

const libc = koffi.load('libc.so.6');
const socketFn = libc.func('int socket(int domain, int type, int protocol)');
const sendtoFn = libc.func('intptr_t sendto(int fd, const void *buf, size_t len, int flags, const void *addr, uint32_t addrlen)');
const closeFn = libc.func('int close(int fd)');

const ERRNO_NAMES: ReadonlyMap<number, string> = new Map(Object.entries(osConstants.errno).map(([n, v]) => [v, n]));
export const errnoName = (e: number): string => ERRNO_NAMES.get(e) ?? `E${e}`;

/** A sockaddr_un and its length. Invariant: len <= SOCKADDR_UN_BYTES. */
export interface UnixAddress {
  buf: Buffer;
  len: number;
}

/**
 * Builds the sockaddr_un for a NOTIFY_SOCKET value: "/path" (NUL-terminated) or "@name"
 * (abstract: a leading NUL, no terminator, length counts only the bytes used). Null if the
 * value is neither or does not fit in sun_path.
 */
export function unixAddress(value: string): UnixAddress | null {
  if (value.length === 0 || (value[0] !== '/' && value[0] !== '@')) return null;
  const name = Buffer.from(value, 'utf8');
  const abstract = value[0] === '@';
  if (!abstract && name.includes(0)) return null;
  const pathBytes = abstract ? name.length : name.length + 1;
  if (pathBytes > SUN_PATH_BYTES) return null;
  const buf = Buffer.alloc(SOCKADDR_UN_BYTES);
  if (endianness() === 'LE') buf.writeUInt16LE(AF_UNIX, 0);
  else buf.writeUInt16BE(AF_UNIX, 0);
  name.copy(buf, 2);
  if (abstract) buf[2] = 0;
  return { buf, len: 2 + pathBytes };
}

/** Half of WATCHDOG_USEC in ms (sd_watchdog_enabled(3) advice), or null if the watchdog is off for us. */
export function watchdogIntervalMs(env: NodeJS.ProcessEnv, pid: number): number | null {
  const usecText = env['WATCHDOG_USEC'];
  if (usecText === undefined || !/^[0-9]{1,15}$/.test(usecText)) return null;
  const usec = Number(usecText);
  if (usec === 0) return null;
  const pidText = env['WATCHDOG_PID'];
  if (pidText !== undefined && pidText !== String(pid)) return null;
  return Math.max(1, Math.floor(usec / 2000));
}

export class SdNotifier {
  /** Null when not running under systemd (or NOTIFY_SOCKET is unusable). */
  private readonly addr: UnixAddress | null;
  /** Invariant: -1 until the first send, and after close(). */
  private fd = -1;
  private closed = false;
  /** Failed sends since start. */
  failures = 0;
  /** Why notifications are off, when they are. */
  readonly disabledReason: string | null;

  constructor(env: NodeJS.ProcessEnv = process.env) {
    const value = env['NOTIFY_SOCKET'];
    this.addr = value === undefined ? null : unixAddress(value);
    if (value === undefined) this.disabledReason = 'NOTIFY_SOCKET is not set';
    else if (this.addr === null) this.disabledReason = `NOTIFY_SOCKET ${JSON.stringify(value.slice(0, 120))} is not a unix socket path or @abstract name`;
    else this.disabledReason = null;
  }

  get enabled(): boolean {
    return this.addr !== null && !this.closed;
  }

  ready(status?: string): OpError | null {
    return this.send(status === undefined ? 'READY=1' : `READY=1\nSTATUS=${oneLine(status)}`);
  }

  status(text: string): OpError | null {
    return this.send(`STATUS=${oneLine(text)}`);
  }

  watchdog(): OpError | null {
    return this.send('WATCHDOG=1');
  }

  stopping(status?: string): OpError | null {
    return this.send(status === undefined ? 'STOPPING=1' : `STOPPING=1\nSTATUS=${oneLine(status)}`);
  }

  /** Sends `state` (newline-separated VAR=value assignments) as one datagram. */
  send(state: string): OpError | null {
    if (this.addr === null || this.closed) return null;
    const msg = Buffer.from(state, 'utf8');
    if (msg.length > SDNOTIFY_MAX_MESSAGE_BYTES) {
      this.failures++;
      return new OpError('E_SDNOTIFY', `sd_notify message of ${msg.length} bytes exceeds ${SDNOTIFY_MAX_MESSAGE_BYTES}`);
    }
    if (this.fd < 0) {
      const fd = socketFn(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0) as number;
      if (fd < 0) return this.fail('socket', koffi.errno());
      this.fd = fd;
    }
    const rc = Number(sendtoFn(this.fd, msg, msg.length, MSG_NOSIGNAL, this.addr.buf, this.addr.len));
    if (rc < 0) return this.fail('sendto', koffi.errno());
    return null;
  }

  close(): void {
    this.closed = true;
    if (this.fd >= 0) closeFn(this.fd);
    this.fd = -1;
  }

  private fail(syscall: string, errno: number): OpError {
    this.failures++;
    const name = errnoName(errno);
    return new OpError('E_SDNOTIFY', `sd_notify ${syscall} failed: ${name}`, { syscall, errno: name });
  }
}

function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').slice(0, SDNOTIFY_MAX_MESSAGE_BYTES / 2);
}
