// sd_notify over a real unix datagram socket: a receiver bound through koffi (node:dgram has no
// unix sockets) gets READY=1 / STATUS= / WATCHDOG=1 / STOPPING=1, on a path and on an abstract
// name; failures come back as E_SDNOTIFY values, never exceptions.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import koffi from 'koffi';
import { AF_UNIX, SOCK_CLOEXEC, SOCK_DGRAM, SOCK_NONBLOCK, SdNotifier, errnoName, unixAddress, watchdogIntervalMs } from '../../daemon/src/node/sdnotify.js';
import { SDNOTIFY_MAX_MESSAGE_BYTES } from '../../daemon/src/common/limits.js';

const libc = koffi.load('libc.so.6');
const socketFn = libc.func('int socket(int, int, int)');
const bindFn = libc.func('int bind(int fd, const void *addr, uint32_t len)');
const recvFn = libc.func('intptr_t recv(int fd, void *buf, size_t len, int flags)');
const closeFn = libc.func('int close(int fd)');
const MSG_DONTWAIT = 0x40;

/** A datagram receiver bound at `name` ("/path" or "@abstract"). */
class Receiver {
  readonly fd: number;
  constructor(name: string) {
    const addr = unixAddress(name)!;
    this.fd = socketFn(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0) as number;
    expect(this.fd).toBeGreaterThanOrEqual(0);
    const rc = bindFn(this.fd, addr.buf, addr.len) as number;
    if (rc !== 0) throw new Error(`bind failed: ${errnoName(koffi.errno())}`);
  }
  /** Every datagram waiting now. */
  drain(): string[] {
    const out: string[] = [];
    const buf = Buffer.alloc(SDNOTIFY_MAX_MESSAGE_BYTES + 1);
    for (let i = 0; i < 100; i++) {
      const n = Number(recvFn(this.fd, buf, buf.length, MSG_DONTWAIT));
      if (n < 0) break;
      out.push(buf.toString('utf8', 0, n));
    }
    return out;
  }
  close(): void {
    closeFn(this.fd);
  }
}

const cleanup: (() => void)[] = [];
afterEach(() => {
  while (cleanup.length > 0) cleanup.pop()!();
});

function setup(name: string): { rx: Receiver; n: SdNotifier } {
  const rx = new Receiver(name);
  const n = new SdNotifier({ NOTIFY_SOCKET: name });
  cleanup.push(() => { n.close(); rx.close(); });
  return { rx, n };
}

describe('sd_notify', () => {
  it('delivers each notification as one datagram to a socket path', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'mdnotify-')), 'notify.sock');
    const { rx, n } = setup(path);
    expect(n.enabled).toBe(true);
    expect(n.ready('serving 3 arrays')).toBeNull();
    expect(n.status('line one\nline two')).toBeNull();
    expect(n.watchdog()).toBeNull();
    expect(n.stopping()).toBeNull();
    expect(rx.drain()).toEqual(['READY=1\nSTATUS=serving 3 arrays', 'STATUS=line one line two', 'WATCHDOG=1', 'STOPPING=1']);
    expect(n.failures).toBe(0);
  });

  it('handles the abstract namespace ("@name")', () => {
    const name = `@mdclusterd-test-${process.pid}-${randomBytes(4).toString('hex')}`;
    const { rx, n } = setup(name);
    expect(n.ready()).toBeNull();
    expect(rx.drain()).toEqual(['READY=1']);
    // The abstract address has no trailing NUL and starts with one.
    const a = unixAddress(name)!;
    expect(a.buf[2]).toBe(0);
    expect(a.len).toBe(2 + Buffer.byteLength(name));
    // Independent check: the kernel lists the bound abstract name exactly (an extra NUL would
    // show as a trailing "@").
    const listed = readFileSync('/proc/net/unix', 'utf8').split('\n').map((l) => l.trim().split(/\s+/).at(-1));
    expect(listed).toContain(name);
  });

  it('is a no-op without NOTIFY_SOCKET, and disabled for unusable values', () => {
    const off = new SdNotifier({});
    expect(off.enabled).toBe(false);
    expect(off.ready()).toBeNull();
    expect(off.disabledReason).toMatch(/not set/);
    const vsock = new SdNotifier({ NOTIFY_SOCKET: 'vsock:2:1234' });
    expect(vsock.enabled).toBe(false);
    expect(vsock.disabledReason).toMatch(/not a unix socket path/);
    expect(unixAddress(`/${'x'.repeat(107)}`)).toBeNull();
    expect(unixAddress(`/${'x'.repeat(106)}`)).not.toBeNull();
    expect(unixAddress('relative')).toBeNull();
  });

  it('reports failures as E_SDNOTIFY with the errno, without throwing', () => {
    const n = new SdNotifier({ NOTIFY_SOCKET: join(mkdtempSync(join(tmpdir(), 'mdnotify-')), 'absent.sock') });
    cleanup.push(() => n.close());
    const err = n.ready();
    expect(err?.code).toBe('E_SDNOTIFY');
    expect(err?.details['errno']).toBe('ENOENT');
    expect(n.failures).toBe(1);
    const big = n.send('X'.repeat(SDNOTIFY_MAX_MESSAGE_BYTES + 1));
    expect(big?.code).toBe('E_SDNOTIFY');
    n.close();
    expect(n.ready()).toBeNull();
    expect(n.enabled).toBe(false);
  });

  it('derives the watchdog ping interval from WATCHDOG_USEC and WATCHDOG_PID', () => {
    expect(watchdogIntervalMs({ WATCHDOG_USEC: '200000' }, 42)).toBe(100);
    expect(watchdogIntervalMs({ WATCHDOG_USEC: '200000', WATCHDOG_PID: '42' }, 42)).toBe(100);
    expect(watchdogIntervalMs({ WATCHDOG_USEC: '200000', WATCHDOG_PID: '43' }, 42)).toBeNull();
    expect(watchdogIntervalMs({ WATCHDOG_USEC: '0' }, 42)).toBeNull();
    expect(watchdogIntervalMs({ WATCHDOG_USEC: 'abc' }, 42)).toBeNull();
    expect(watchdogIntervalMs({}, 42)).toBeNull();
  });
});
