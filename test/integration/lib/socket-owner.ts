// Which local process owns the client end of a loopback TCP connection (Linux /proc): the
// harness's peer proxies use it to tell which daemon dialed them, because every daemon dials a
// peer at the same (replicated) address and TLS hides the client's identity from a proxy.
// Owns: parsing /proc/net/tcp and /proc/<pid>/fd. Invariant: never throws; returns null when
// the owner cannot be determined (the caller decides how to treat an unknown source).
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** Socket inode of the IPv4 TCP socket with local port `localPort` connected to remote port `remotePort`, or null. */
export function socketInode(localPort: number, remotePort: number): number | null {
  let text: string;
  try { text = readFileSync('/proc/net/tcp', 'utf8'); } catch { return null; }
  const lp = localPort.toString(16).toUpperCase().padStart(4, '0');
  const rp = remotePort.toString(16).toUpperCase().padStart(4, '0');
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10) continue;
    if (f[1].endsWith(`:${lp}`) && f[2].endsWith(`:${rp}`)) {
      const inode = Number(f[9]);
      return Number.isSafeInteger(inode) && inode > 0 ? inode : null;
    }
  }
  return null;
}

/** The pid among `pids` holding socket `inode` open, or null. */
export function pidHoldingSocket(inode: number, pids: Iterable<number>): number | null {
  const want = `socket:[${inode}]`;
  for (const pid of pids) {
    let fds: string[];
    try { fds = readdirSync(`/proc/${pid}/fd`); } catch { continue; }
    for (const fd of fds) {
      try { if (readlinkSync(`/proc/${pid}/fd/${fd}`) === want) return pid; } catch { /* fd closed meanwhile */ }
    }
  }
  return null;
}
