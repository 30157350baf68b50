// The TLS-heartbeat floor of issue 15: what keeping two peer links alive costs a bare Node
// process, so that the daemon's idle CPU and RSS (bench/idle.ts) can be judged against it in
// the same run. Starts 2 receivers and 1 sender (bench/tls-floor-peer.ts) with the daemon's own
// node flags, mutual TLS 1.3 on loopback, the sender writing a 32-byte heartbeat on each link
// every heartbeatMs (the daemon's heartbeat interval) and the receivers echoing 16 bytes.
// Owns: those 3 processes, from start() to stop(). Invariants: the processes import only node:
// modules; they exit when this process closes their stdin (or dies); CPU is utime+stime over
// the caller's window (samples taken by the caller, as for the daemons).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DAEMON_NODE_OPTIONS } from '../daemon/src/common/limits.js';
import { nodeId } from '../daemon/src/common/types.js';
import { generateClusterCerts } from '../daemon/src/transport/certs.js';

const PEER_JS = join(dirname(fileURLToPath(import.meta.url)), 'tls-floor-peer.js');
const START_TIMEOUT_MS = 30_000;

export interface FloorProc {
  role: 'sender' | 'receiver';
  pid: number;
}

export class TlsFloor {
  private readonly children: ChildProcess[] = [];
  readonly procs: FloorProc[] = [];

  private constructor(private readonly dir: string) {}

  /** Starts the receivers and the sender; resolves once both links are up. */
  static async start(heartbeatMs: number): Promise<TlsFloor> {
    const dir = mkdtempSync(join(tmpdir(), 'mdclusterd-floor-'));
    const f = new TlsFloor(dir);
    try {
      const ids = ['s', 'r1', 'r2'];
      await generateClusterCerts({ dir, nodes: ids.map(nodeId), hosts: new Map(ids.map((id) => [nodeId(id), ['127.0.0.1']])) });
      const ports: string[] = [];
      for (const id of ['r1', 'r2']) {
        const line = await f.spawnUntil('receiver', [dir, id], /^port (\d+)$/);
        ports.push(line[1]);
      }
      await f.spawnUntil('sender', [dir, 's', String(heartbeatMs), ...ports], /^ready$/);
      return f;
    } catch (e) {
      f.stop();
      throw e;
    }
  }

  private spawnUntil(role: FloorProc['role'], args: string[], want: RegExp): Promise<RegExpExecArray> {
    const child = spawn(process.execPath, [...DAEMON_NODE_OPTIONS, PEER_JS, role, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.children.push(child);
    return new Promise((resolve, reject) => {
      let out = '';
      let err = '';
      const timer = setTimeout(() => reject(new Error(`floor ${role} did not start in ${START_TIMEOUT_MS} ms: ${err}`)), START_TIMEOUT_MS);
      child.stderr?.on('data', (d: Buffer) => { err += d.toString(); });
      child.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        for (const l of out.split('\n')) {
          const m = want.exec(l);
          if (m) { clearTimeout(timer); this.procs.push({ role, pid: child.pid! }); resolve(m); return; }
        }
      });
      child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`floor ${role} exited (${code}): ${err}`)); });
    });
  }

  /** Ends the processes (closing their stdin) and removes the certificates. */
  stop(): void {
    for (const c of this.children) { c.stdin?.end(); c.kill(); }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
