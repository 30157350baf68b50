// mdctl's exactly-once proposer (mdctl/src/propose.ts) against fake daemons on real unix
// sockets: an unanswered request is asked again with the SAME session through the next daemon;
// an answer, success or refusal, is final; no answer within the deadline is reported unknown.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Proposer } from '../../mdctl/src/propose.js';
import { ClientError } from '../../mdctl/src/client.js';

interface Seen { socket: string; session: { client: string; seq: number }; command: unknown }
type Behaviour = (req: Record<string, unknown>, sock: Socket) => void;

const servers: Server[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function fakeDaemon(path: string, seen: Seen[], behave: Behaviour): Promise<void> {
  const srv = createServer((sock) => {
    let buf = '';
    sock.setEncoding('utf8');
    sock.on('error', () => sock.destroy());
    sock.on('data', (d: string) => {
      buf += d;
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const req = JSON.parse(buf.slice(0, nl)) as Record<string, unknown>;
        buf = buf.slice(nl + 1);
        seen.push({ socket: path, session: req.session as Seen['session'], command: req.command });
        behave(req, sock);
      }
    });
  });
  servers.push(srv);
  await new Promise<void>((res) => srv.listen(path, res));
}

const reply = (sock: Socket, req: Record<string, unknown>, body: object): void => { sock.write(JSON.stringify({ v: 1, id: req.id, ...body }) + '\n'); };
const cmd = { op: 'set-faulty', device: 'md0', member: '/dev/sdb', force: false } as const;

function sockets(n: number): string[] {
  const d = mkdtempSync(join(tmpdir(), 'mdctl-propose-'));
  dirs.push(d);
  return Array.from({ length: n }, (_, i) => join(d, `n${i + 1}.sock`));
}

describe('mdctl exactly-once proposer', () => {
  it('a daemon that dies without answering: the same session is asked again through the next daemon, and its answer is the outcome', async () => {
    const [a, b] = sockets(2);
    const seen: Seen[] = [];
    await fakeDaemon(a, seen, (_req, sock) => sock.destroy()); // killed mid-request
    await fakeDaemon(b, seen, (req, sock) => reply(sock, req, { ok: true, result: { index: 42, md: 'done' } }));
    const p = new Proposer([a, b], 'mdctl.test.1.abcd');
    await expect(p.propose({ command: cmd, timeoutMs: 5_000 })).resolves.toEqual({ index: 42, md: 'done' });
    p.close();
    expect(seen.map((s) => s.socket)).toEqual([a, b]);
    expect(seen[0].session).toEqual({ client: 'mdctl.test.1.abcd', seq: 1 });
    expect(seen[1].session).toEqual(seen[0].session);
  });

  it('E_NOT_LEADER and E_TIMEOUT are retried with the same session; each new command gets the next seq', async () => {
    const [a] = sockets(1);
    const seen: Seen[] = [];
    let n = 0;
    await fakeDaemon(a, seen, (req, sock) => {
      n++;
      if (n === 1) reply(sock, req, { ok: false, error: { code: 'E_NOT_LEADER', message: 'not the leader' } });
      else if (n === 2) reply(sock, req, { ok: false, error: { code: 'E_TIMEOUT', message: 'timed out' } });
      else reply(sock, req, { ok: true, result: { index: n, md: 'none' } });
    });
    const p = new Proposer([a], 'mdctl.test.2.abcd');
    await p.propose({ command: cmd, timeoutMs: 5_000 });
    await p.propose({ command: cmd, timeoutMs: 5_000 });
    p.close();
    expect(seen.map((s) => s.session.seq)).toEqual([1, 1, 1, 2]);
  });

  it('a refusal is final: not retried, reported with the daemon\'s code', async () => {
    const [a, b] = sockets(2);
    const seen: Seen[] = [];
    await fakeDaemon(a, seen, (req, sock) => reply(sock, req, { ok: false, error: { code: 'E_DEVICE_BUSY', message: '/dev/sdb is active' } }));
    await fakeDaemon(b, seen, (req, sock) => reply(sock, req, { ok: true, result: { index: 1, md: 'done' } }));
    const p = new Proposer([a, b], 'mdctl.test.3.abcd');
    const err = await p.propose({ command: cmd, timeoutMs: 5_000 }).catch((e: unknown) => e);
    p.close();
    expect(err).toBeInstanceOf(ClientError);
    expect((err as ClientError).code).toBe('E_DEVICE_BUSY');
    expect(seen).toHaveLength(1);
  });

  it('no daemon answers within the deadline: the outcome is reported unknown (E_TIMEOUT), not guessed', async () => {
    const [a] = sockets(1);
    const seen: Seen[] = [];
    await fakeDaemon(a, seen, () => { /* never answers */ });
    const p = new Proposer([a, join(tmpdir(), 'no-such-mdclusterd.sock')], 'mdctl.test.4.abcd');
    const err = await p.propose({ command: cmd, timeoutMs: 600 }).catch((e: unknown) => e);
    p.close();
    expect((err as ClientError).code).toBe('E_TIMEOUT');
    expect((err as ClientError).message).toMatch(/unknown/);
  });
});
