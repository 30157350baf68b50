// Listening ports for test daemons. Owns the choice of a port that a daemon started later (and
// restarted after kill -9) can still bind.
// Why not listen(0): the kernel hands out a port from the ephemeral range, and between our
// close() and the daemon's bind() any outgoing connection on the machine may take the same
// port (seen: EADDRINUSE under load). Ports below the ephemeral range are never used for
// outgoing connections, so only another listener can take them.
// Invariants: a port is handed out at most once per process; it was bindable on 127.0.0.1
// when handed out; it lies in [PORT_FLOOR, ephemeral low bound).
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** Lowest port handed out (above the well-known and common service ports). */
const PORT_FLOOR = 10_000;
/** Upper bound on bind attempts for one port (a busy range is a machine problem, not a race). */
const MAX_PORT_ATTEMPTS = 200;

const issued = new Set<number>();

function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    if (Number.isInteger(low) && low > PORT_FLOOR + 1000) return low;
  } catch { /* not Linux: fall through */ }
  return 32_768;
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen({ port, host: '127.0.0.1', exclusive: true }, () => s.close(() => resolve(true)));
  });
}

/** A port below the ephemeral range that is free now and not handed out before by this process. */
export async function freePort(): Promise<number> {
  const low = ephemeralLow();
  const span = low - PORT_FLOOR;
  for (let attempt = 0; attempt < MAX_PORT_ATTEMPTS; attempt++) {
    const port = PORT_FLOOR + Math.floor(Math.random() * span);
    if (issued.has(port)) continue;
    if (await canBind(port)) {
      issued.add(port);
      return port;
    }
  }
  throw new Error(`no free port in ${PORT_FLOOR}-${low - 1} after ${MAX_PORT_ATTEMPTS} attempts`);
}
