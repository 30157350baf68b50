// One process of the TLS-heartbeat floor (bench/tls-floor.ts): what a bare Node process costs
// to keep peer links alive, with nothing else in it. Owns nothing but its sockets.
// Roles (argv: role, tls dir, own id, then role arguments):
//   receiver <dir> <id>                   listens on 127.0.0.1:0 (mutual TLS 1.3), prints
//                                         "port N", and echoes 16 bytes per 32 bytes received.
//   sender <dir> <id> <heartbeatMs> <port>...  dials every port (mutual TLS 1.3), prints "ready"
//                                         once all are up, then every heartbeatMs writes one
//                                         32-byte heartbeat on each link; echoes are read and dropped.
// Invariants: imports only node: modules (the floor must not include the daemon's code); one
// timer for all links (the cheapest heartbeat a daemon could do); exits when stdin closes, so
// it never outlives the benchmark.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, createServer, type TLSSocket } from 'node:tls';

const HEARTBEAT_BYTES = 32;
const ECHO_BYTES = 16;

const [role, dir, id, ...rest] = process.argv.slice(2);
const material = {
  ca: readFileSync(join(dir, 'ca.crt')), cert: readFileSync(join(dir, `${id}.crt`)), key: readFileSync(join(dir, `${id}.key`)),
  minVersion: 'TLSv1.3' as const, maxVersion: 'TLSv1.3' as const,
};
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));

if (role === 'receiver') {
  const echo = Buffer.alloc(ECHO_BYTES, 1);
  const server = createServer({ ...material, requestCert: true, rejectUnauthorized: true }, (sock: TLSSocket) => {
    let pending = 0;
    sock.on('data', (d: Buffer) => {
      pending += d.length;
      while (pending >= HEARTBEAT_BYTES) { pending -= HEARTBEAT_BYTES; sock.write(echo); }
    });
    sock.on('error', () => sock.destroy());
  });
  server.listen(0, '127.0.0.1', () => {
    const a = server.address();
    process.stdout.write(`port ${typeof a === 'object' && a !== null ? a.port : 0}\n`);
  });
} else if (role === 'sender') {
  const heartbeatMs = Number(rest[0]);
  const ports = rest.slice(1).map(Number);
  const heartbeat = Buffer.alloc(HEARTBEAT_BYTES, 2);
  const links: TLSSocket[] = [];
  let up = 0;
  for (const port of ports) {
    const s = connect({ ...material, host: '127.0.0.1', port }, () => {
      if (++up === ports.length) {
        process.stdout.write('ready\n');
        setInterval(() => { for (const l of links) l.write(heartbeat); }, heartbeatMs);
      }
    });
    s.on('data', () => { /* echoes: read and dropped */ });
    s.on('error', (e) => { process.stderr.write(`link to ${port}: ${e.message}\n`); process.exit(1); });
    links.push(s);
  }
} else {
  process.stderr.write(`unknown role ${String(role)}\n`);
  process.exit(2);
}
