// Fuzz surface (b): the control socket (control/server.ts + control/handlers.ts +
// cluster/commands.ts parseCommand) of a real one-node daemon (test/fuzz/daemon-instance.ts).
// Input: the bytes one client writes on one connection (a newline is added when missing);
// each non-blank line is one request. The client keeps its side open until every reply came. Owns: the request generator and the reply checks.
// Documented outcome: every non-blank line gets exactly one reply line, a JSON object with
// v: 1 and ok true (result) or false (error with a stable code other than E_INTERNAL); a line
// over CONTROL_MAX_LINE_BYTES gets E_TOO_LARGE and the connection ends. Anything else, or a
// server log of "control request failed unexpectedly", is a crash.
// Hang: no reply within the request's own documented wait (its timeoutMs, or the handler's
// default for requests that wait on Raft or membership) plus SLACK_MS.
// The daemon is restarted (fresh state) when a request left it unable to serve (it removed
// itself, or its leadership is gone) and every RESTART_EVERY inputs.
import { createConnection, type Socket } from 'node:net';
import fc from 'fast-check';
import { isErrorCode } from '../../../daemon/src/common/errors.js';
import { MEMBERSHIP_DEFAULT_TIMEOUT_MS, MEMBERSHIP_MAX_TIMEOUT_MS } from '../../../daemon/src/common/limits.js';
import { DaemonInstance } from '../daemon-instance.js';
import { Hang, type Surface, type Target } from '../engine.js';

const SLACK_MS = 1000;
const RESTART_EVERY = 20_000;
/** control/handlers.ts DEFAULT_TIMEOUT_MS and MAX_TIMEOUT_MS (not exported there). */
const HANDLER_DEFAULT_TIMEOUT_MS = 15_000;
const HANDLER_MAX_TIMEOUT_MS = 600_000;
/** Requests that wait on Raft for HANDLER_DEFAULT_TIMEOUT_MS whatever their timeoutMs. */
const RAFT_WAITING = new Set(['state', 'mdstat', 'step-down', 'confirm']);
/** Every request type that waits (documentedWaitMs), as it appears quoted in a line. */
const WAITING_TYPE_WORDS = ['propose', 'add-node', 'remove-node', ...RAFT_WAITING].map((t) => `"${t}"`);

/**
 * The longest wait control/handlers.ts documents for this line (0: answered without waiting):
 * propose waits its timeoutMs (an integer in (0, MAX_TIMEOUT_MS]; absent: the default; any
 * other value is refused at once), membership requests theirs (up to
 * MEMBERSHIP_MAX_TIMEOUT_MS), and state, mdstat, step-down and confirm the default.
 */
function documentedWaitMs(line: string): number {
  // Without a backslash a JSON string is its raw text: a line naming none of the waiting types
  // has none of them as its type, and needs no parse (the common case, half the harness's time).
  if (!line.includes('\\') && !WAITING_TYPE_WORDS.some((w) => line.includes(w))) return 0;
  let r: Record<string, unknown>;
  try { r = JSON.parse(line) as Record<string, unknown>; } catch { return 0; }
  if (typeof r !== 'object' || r === null) return 0;
  const own = (max: number, dflt: number): number => {
    const t = r.timeoutMs;
    if (t === undefined) return dflt;
    return typeof t === 'number' && Number.isInteger(t) && t > 0 && t <= max ? t : 0;
  };
  if (r.type === 'propose') return own(HANDLER_MAX_TIMEOUT_MS, HANDLER_DEFAULT_TIMEOUT_MS);
  if (r.type === 'add-node' || r.type === 'remove-node') return own(MEMBERSHIP_MAX_TIMEOUT_MS, MEMBERSHIP_DEFAULT_TIMEOUT_MS);
  if (RAFT_WAITING.has(String(r.type))) return HANDLER_DEFAULT_TIMEOUT_MS;
  return 0;
}

function checkReply(r: Record<string, unknown>, line: string): { tooLarge: boolean } {
  if (r.v !== 1 || typeof r.id !== 'number') throw new Error(`reply without v/id: ${line.slice(0, 200)}`);
  if (r.ok === true) return { tooLarge: false };
  const err = r.error as { code?: unknown; message?: unknown } | undefined;
  if (r.ok !== false || err === undefined || typeof err.code !== 'string' || !isErrorCode(err.code) || typeof err.message !== 'string') {
    throw new Error(`malformed reply: ${line.slice(0, 200)}`);
  }
  if (err.code === 'E_INTERNAL') throw new Error(`E_INTERNAL reply: ${err.message}`);
  return { tooLarge: err.code === 'E_TOO_LARGE' };
}

function exchange(path: string, input: Buffer, expected: number, waitMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const sock: Socket = createConnection(path);
    let buf = '';
    let replies = 0;
    let tooLarge = false;
    let done = false;
    const finish = (err: Error | null): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err); else resolve();
    };
    const timer = setTimeout(() => finish(new Hang(`${expected - replies} of ${expected} replies missing after ${waitMs} ms`)), waitMs);
    sock.setEncoding('utf8');
    sock.on('error', (e) => finish(new Error(`control socket error: ${e.message}`)));
    sock.on('data', (chunk: string) => {
      buf += chunk;
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        let parsed: Record<string, unknown>;
        try { parsed = JSON.parse(line) as Record<string, unknown>; } catch { return finish(new Error(`reply is not JSON: ${line.slice(0, 200)}`)); }
        if ('event' in parsed) continue; // a subscription's stream
        try { tooLarge = checkReply(parsed, line).tooLarge || tooLarge; } catch (e) { return finish(e as Error); }
        if (++replies === expected) return finish(null);
      }
    });
    sock.on('close', () => {
      if (tooLarge || replies >= expected) finish(null);
      else finish(new Error(`connection closed after ${replies} of ${expected} replies`));
    });
    // Written without a half-close, as mdctl does: the server ends a connection whose client
    // ended its side without waiting for pending replies (see the report of issue #19 item 3).
    sock.on('connect', () => sock.write(input, () => { if (expected === 0) finish(null); }));
  });
}

const dev = fc.constantFrom('md0', 'md1', 'md_x', 'md600', 'sda', '');
const member = fc.constantFrom('/dev/sda', '/dev/sdb', '/dev/sdc', '/dev/sdd', '/dev/nope', 'sda', '/', 'missing');
const command = fc.oneof(
  fc.record({ op: fc.constant('create'), device: dev, uuid: fc.constantFrom('0123abcd:0123abcd:0123abcd:0123abcd', 'x'), name: fc.constantFrom('home', 'a b', ''),
    level: fc.constantFrom('raid1', 'raid0', 'raid5', 'raid10', 'linear', 'raid9'), raidDevices: fc.integer({ min: 0, max: 5 }),
    members: fc.array(member, { maxLength: 4 }), spares: fc.integer({ min: 0, max: 2 }), metadata: fc.constantFrom('1.2', '1.0', '0.90'),
    bitmap: fc.constantFrom('internal', 'none'), chunkKiB: fc.constantFrom(null, 4, 64, 3), layout: fc.constantFrom(null, 'n2', 'left-symmetric'),
    assumeClean: fc.boolean(), sizeKiB: fc.constantFrom(null, 0, 1024) }, { requiredKeys: ['op', 'device', 'uuid', 'name', 'level', 'raidDevices', 'members', 'spares', 'metadata', 'bitmap', 'chunkKiB', 'layout', 'assumeClean', 'sizeKiB'] }),
  fc.record({ op: fc.constantFrom('stop', 'run', 'read-only', 'read-write'), device: dev }),
  fc.record({ op: fc.constantFrom('hot-remove', 'hot-add', 'add-spare', 're-add'), device: dev, member }),
  fc.record({ op: fc.constant('set-faulty'), device: dev, member, force: fc.boolean() }),
  fc.record({ op: fc.constant('replace'), device: dev, member, with: member }),
  fc.record({ op: fc.constant('write-mostly'), device: dev, member, on: fc.boolean() }),
  fc.record({ op: fc.constant('sync-action'), device: dev, action: fc.constantFrom('check', 'repair', 'idle', 'frozen', 'resync') }),
  fc.record({ op: fc.constantFrom('device-seen', 'node-remove', 'observe', 'checkpoint', 'master', 'md-done'), node: fc.constantFrom('node1', 'node2'), path: member }),
  fc.record({ op: fc.constant('node-add'), node: fc.constantFrom('node2', 'n'), address: fc.constantFrom('127.0.0.1:1', 'x') }),
  fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
);
const timeoutMs = fc.constantFrom(undefined, 50, 200, 1000, 0, -1, 1.5, 600_001);
const request = fc.record({
  v: fc.constantFrom(1, 1, 1, 2, '1', null),
  id: fc.oneof(fc.nat(1000), fc.constantFrom(-1, 1.5, 2 ** 60, '7')),
  type: fc.constantFrom('propose', 'state', 'mdstat', 'kernel', 'examine', 'subscribe', 'step-down', 'add-node', 'remove-node', 'confirm', 'nope', 'constructor', '__proto__'),
  command, timeoutMs, local: fc.constantFrom(undefined, true, false, 1),
  session: fc.constantFrom(undefined, { client: 'fuzz', seq: 1 }, { client: 'fuzz', seq: 2, ack: 1 }, { client: '', seq: 0 }, 'x'),
  waitAll: fc.constantFrom(undefined, true, false), waitMd: fc.constantFrom(undefined, true, false),
  device: fc.constantFrom(undefined, 'md0', '/dev/md0', 'md9', '../x'), path: fc.constantFrom(undefined, '/dev/sda', '/dev/sdz', 'rel', '/a b'),
  to: fc.constantFrom(undefined, 'node1', 'node2', ''), node: fc.constantFrom(undefined, 'node1', 'node2', 'bad id'),
  address: fc.constantFrom(undefined, '127.0.0.1:1', 'nohost', '[::1]:99999'), force: fc.constantFrom(undefined, true, false),
}, { requiredKeys: ['v', 'id', 'type'] });
const linesArb = fc.array(request.map((r) => JSON.stringify(r)), { minLength: 1, maxLength: 3 }).map((ls) => Buffer.from(ls.join('\n') + '\n'));

export const controlSurface: Surface = {
  name: 'control',
  description: 'bytes on one control-socket connection of a real one-node daemon; refusal: an error reply with a stable code (not E_INTERNAL)',
  // The surface bounds each exchange itself (documented wait + SLACK_MS, thrown as Hang).
  hangBoundMs: 700_000,
  async setup(hangScale: number): Promise<Target> {
    let daemon = new DaemonInstance();
    await daemon.start();
    let inputs = 0;
    return {
      structured: linesArb,
      run: async (input: Uint8Array) => {
        if (++inputs % RESTART_EVERY === 0 || !daemon.healthy()) {
          await daemon.stop();
          daemon = new DaemonInstance();
          await daemon.start();
        }
        const bytes = Buffer.from(input);
        const text = bytes.toString('utf8');
        const lines = text.split('\n');
        if (!text.endsWith('\n')) lines.push('');
        const requestLines = lines.filter((l) => l.trim());
        const waitMs = Math.max(0, ...requestLines.map(documentedWaitMs)) + SLACK_MS * hangScale;
        await exchange(daemon.controlSocket, text.endsWith('\n') ? bytes : Buffer.concat([bytes, Buffer.from('\n')]), requestLines.length, waitMs);
        const crashes = daemon.crashRecords();
        if (crashes.length > 0) throw new Error(crashes.join('; '));
      },
      close: () => daemon.stop(),
    };
  },
};
