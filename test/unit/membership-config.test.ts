// The `[cluster] join` key (daemon/src/config): a joining node is declared in its config file,
// so a restart can never turn it into a founding node; and the node shell then starts without
// a founding membership (no bootstrap conf entries), as raft/types.ts RaftRestored asks.
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OpError } from '../../daemon/src/common/errors.js';
import { loadConfig, parseConfigText } from '../../daemon/src/config/load.js';

const FILE = '/etc/mdclusterd/mdclusterd.toml';
const BASE = `
node-id = "n4"
[peers]
n1 = "10.0.0.1:8401"
n2 = "10.0.0.2:8401"
n3 = "10.0.0.3:8401"
n4 = "10.0.0.4:8401"
[tls]
ca = "/tls/ca.crt"
cert = "/tls/n4.crt"
key = "/tls/n4.key"
`;

function configError(text: string): string {
  try {
    parseConfigText(text, FILE);
  } catch (e) {
    expect(e).toBeInstanceOf(OpError);
    expect((e as OpError).code).toBe('E_BAD_CONFIG');
    return (e as OpError).message;
  }
  throw new Error('config was accepted');
}

describe('[cluster] join', () => {
  it('defaults to a founding node', () => {
    expect(parseConfigText(BASE, FILE).cluster).toEqual({ join: false });
  });

  it('join = true marks a joining node', () => {
    expect(parseConfigText(`${BASE}\n[cluster]\njoin = true\n`, FILE).cluster).toEqual({ join: true });
  });

  it('the shipped example documents the key and keeps the founding default', () => {
    expect(loadConfig(resolve('etc/mdclusterd.toml')).cluster).toEqual({ join: false });
  });

  it('a non-boolean or an unknown key in [cluster] stops start-up naming the key', () => {
    expect(configError(`${BASE}\n[cluster]\njoin = "yes"\n`)).toMatch(/mdclusterd\.toml: cluster\.join: expected true or false/);
    expect(configError(`${BASE}\n[cluster]\nbootstrap = true\n`)).toMatch(/mdclusterd\.toml: cluster\.bootstrap: unknown key \(allowed here: join\)/);
  });
});
