// parseHostPort (daemon/src/config/hostport.ts): every address it accepts makes a valid wss://
// URL. A host name whose last label is a number is read by URL parsers as an IPv4 address and
// refused when it is not one; such a replicated node-add address crashed every daemon that
// dialed it (npm run fuzz, control surface).
import { describe, expect, it } from 'vitest';
import { formatHostPort, parseHostPort } from '../../daemon/src/config/hostport.js';

describe('parseHostPort', () => {
  it('accepts IPv4, bracketed IPv6 and host names with a port in 1..65535', () => {
    expect(parseHostPort('127.0.0.1:7000')).toEqual({ host: '127.0.0.1', port: 7000 });
    expect(parseHostPort('[::1]:7000')).toEqual({ host: '::1', port: 7000 });
    expect(parseHostPort('node1.example.com:1')).toEqual({ host: 'node1.example.com', port: 1 });
    expect(parseHostPort('node-2:65535')).toEqual({ host: 'node-2', port: 65535 });
    expect(parseHostPort('10-0-0-1.lan:9')).toEqual({ host: '10-0-0-1.lan', port: 9 });
  });

  it('refuses a host name whose last label is a number (a URL parser takes it for an IPv4 address)', () => {
    for (const bad of ['127.02147483648.0.1:1', '1.2.3.256:1', 'host.123:80', 'a.0x1f:1', '0x7f:1', '4294967296:1', 'node.0X:1']) {
      expect(parseHostPort(bad), bad).toBeNull();
    }
  });

  it('refuses ports out of range, missing parts and IPv6 without brackets', () => {
    for (const bad of ['host:0', 'host:65536', 'host:', ':80', 'host', '::1:80', '[::1]80', '[x]:80', 'a b:1', 'host:+1']) {
      expect(parseHostPort(bad), bad).toBeNull();
    }
  });

  it('every accepted address makes a URL the ws client accepts', () => {
    for (const ok of ['127.0.0.1:7000', '[::1]:7000', 'node1.example.com:1', 'a.b1:2', 'x123:4']) {
      const hp = parseHostPort(ok);
      expect(hp, ok).not.toBeNull();
      expect(() => new URL(`wss://${formatHostPort(hp!)}/mdclusterd/peer/v1`), ok).not.toThrow();
    }
  });
});
