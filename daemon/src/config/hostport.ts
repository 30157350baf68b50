// Parsing of "host:port" strings from the configuration. Owns: what a listen or peer address
// may look like. Invariant: parseHostPort never throws; it returns null for anything that is
// not an IPv4 address, a bracketed IPv6 address or an RFC 1123 host name, followed by a port
// in 1..65535. The returned host has no brackets (ready for net.listen / ws URLs use
// formatHostPort to put them back). Every accepted address makes a valid wss:// URL: a name
// whose last label is a number (decimal or 0x hex) is refused, since a URL parser reads it as
// an IPv4 address (WHATWG "ends in a number") and refuses it when it is not one: a replicated
// node-add with "127.02147483648.0.1:1" crashed every daemon that dialed it (npm run fuzz).
import { isIP } from 'node:net';
import { CONFIG_MAX_ADDRESS_CHARS } from '../common/limits.js';

/** A parsed address. Invariant: 1 <= port <= 65535; host is an IP literal or a host name. */
export interface HostPort {
  host: string;
  port: number;
}

const HOST_NAME_PATTERN = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const PORT_PATTERN = /^[0-9]{1,5}$/;
/** A last label a URL parser takes for (part of) an IPv4 address. */
const NUMERIC_LABEL_PATTERN = /^(?:[0-9]+|0[xX][0-9A-Fa-f]*)$/;

export function isHostName(s: string): boolean {
  return HOST_NAME_PATTERN.test(s) && !NUMERIC_LABEL_PATTERN.test(s.slice(s.lastIndexOf('.') + 1));
}

export function parseHostPort(s: unknown): HostPort | null {
  if (typeof s !== 'string' || s.length > CONFIG_MAX_ADDRESS_CHARS) return null;
  let host: string;
  let portText: string;
  if (s.startsWith('[')) {
    const close = s.indexOf(']');
    if (close < 0 || s[close + 1] !== ':') return null;
    host = s.slice(1, close);
    portText = s.slice(close + 2);
    if (isIP(host) !== 6) return null;
  } else {
    const colon = s.lastIndexOf(':');
    if (colon <= 0) return null;
    host = s.slice(0, colon);
    portText = s.slice(colon + 1);
    if (isIP(host) !== 4 && (host.includes(':') || !isHostName(host))) return null;
  }
  if (!PORT_PATTERN.test(portText)) return null;
  const port = Number(portText);
  if (port < 1 || port > 65535) return null;
  return { host, port };
}

export function formatHostPort(hp: HostPort): string {
  return isIP(hp.host) === 6 ? `[${hp.host}]:${hp.port}` : `${hp.host}:${hp.port}`;
}
