// SIGHUP reload (daemon/src/reload.ts, config/reload.ts): which changed keys are applied and
// which are logged as needing a restart; an invalid file or invalid TLS files change nothing;
// fence-required never loses its fence command; the systemd STATUS= text (ready-status.ts).
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { nodeId } from '../../daemon/src/common/types.js';
import { parseConfigText } from '../../daemon/src/config/load.js';
import { diffConfigs, isRuntimeKey } from '../../daemon/src/config/reload.js';
import { CapturingLogger } from '../../daemon/src/log/logger.js';
import { makeReloader } from '../../daemon/src/reload.js';
import { waitingFor } from '../../daemon/src/ready-status.js';
import { generateClusterCerts } from '../../daemon/src/transport/certs.js';
import type { TlsMaterial } from '../../daemon/src/transport/tls-material.js';

let dir: string;
let tlsDir: string;

const base = (extra = ''): string => `
node-id = "n1"
data-dir = "${dir}/data"
[peers]
n1 = "127.0.0.1:8401"
n2 = "127.0.0.2:8401"
n3 = "127.0.0.3:8401"
[tls]
ca = "${tlsDir}/ca.crt"
cert = "${tlsDir}/n1.crt"
key = "${tlsDir}/n1.key"
${extra}
`;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mdreload-'));
  tlsDir = join(dir, 'tls');
  await generateClusterCerts({ dir: tlsDir, nodes: ['n1', 'n2', 'n3'].map(nodeId), hosts: new Map() });
});

function world(initialText: string) {
  const file = join(dir, `c-${Math.random().toString(16).slice(2)}.toml`);
  writeFileSync(file, initialText);
  const config = parseConfigText(initialText, file);
  const log = new CapturingLogger();
  const levels: string[] = [];
  const fences: { command: string[]; timeoutMs: number }[] = [];
  const tls: TlsMaterial[] = [];
  const r = makeReloader(config, {
    logger: log,
    node: { setFenceCommand: (command, timeoutMs) => { fences.push({ command, timeoutMs }); } },
    transport: { reloadTls: (m) => { tls.push(m); } },
    setLogLevel: (l) => { levels.push(l); },
    onTls: () => {},
  });
  return { file, log, levels, fences, tls, r, write: (text: string) => writeFileSync(file, text) };
}

describe('diffConfigs', () => {
  it('names changed keys in the file\'s spelling and splits them into applied and needs-restart', () => {
    const a = parseConfigText(base(), '/x/a.toml');
    const b = parseConfigText(base('[log]\nlevel = "debug"\n[timing]\ntick-ms = 20\n[alerts]\nmail = "ops@example.com"\n[listen]\ncontrol-socket = "/run/x.sock"\n'), '/x/b.toml');
    expect(diffConfigs(a, b)).toEqual({
      applied: ['alerts.mail', 'log.level'],
      needsRestart: ['listen.control-socket', 'timing.tick-ms'],
    });
    expect(diffConfigs(a, a)).toEqual({ applied: [], needsRestart: [] });
  });

  it('treats peers, node id, data dir, md and timing as restart-only; log level, alerts, fence command and TLS as run-time', () => {
    for (const k of ['peers.n4', 'node-id', 'data-dir', 'md.driver', 'timing.lease-ticks', 'master.fence-required', 'master.fence-action', 'log.journal-prefix', 'cluster.join', 'transport.dead-after-ms']) {
      expect(isRuntimeKey(k), k).toBe(false);
    }
    for (const k of ['log.level', 'alerts.program', 'master.fence-command', 'master.fence-timeout-ms', 'tls.cert']) expect(isRuntimeKey(k), k).toBe(true);
  });
});

describe('makeReloader', () => {
  it('applies the log level and logs what needs a restart by name', () => {
    const w = world(base());
    w.write(base('[log]\nlevel = "debug"\n[timing]\ntick-ms = 20\n'));
    const out = w.r.reload();
    expect(out).toMatchObject({ ok: true, applied: ['log.level'], needsRestart: ['timing.tick-ms'] });
    expect(w.levels).toEqual(['debug']);
    expect(w.tls).toHaveLength(1);
    expect(w.log.find('configuration reloaded', 'info')).toHaveLength(1);
    const restart = w.log.find('need a restart', 'warn');
    expect(restart).toHaveLength(1);
    expect(restart[0].msg).toContain('timing.tick-ms');
    // The running config keeps the old timing: reloading the same file again reports it again.
    expect(w.r.running().timing.tickMs).toBe(10);
    expect(w.r.reload()).toMatchObject({ applied: [], needsRestart: ['timing.tick-ms'] });
    expect(w.levels).toEqual(['debug']);
  });

  it('hands a new fence command to the node; never empties it under fence-required', () => {
    const w = world(base('[master]\nfence-command = ["/bin/true", "{node}"]\nfence-required = true\n'));
    w.write(base('[master]\nfence-command = ["/bin/echo", "{node}"]\nfence-required = true\nfence-timeout-ms = 2000\n'));
    expect(w.r.reload()).toMatchObject({ ok: true, applied: ['master.fence-command', 'master.fence-timeout-ms'] });
    expect(w.fences).toEqual([{ command: ['/bin/echo', '{node}'], timeoutMs: 2000 }]);
    w.write(base('[master]\nfence-required = false\n'));
    const out = w.r.reload();
    expect(out.needsRestart).toContain('master.fence-required');
    expect(out.needsRestart.some((k) => k.startsWith('master.fence-command'))).toBe(true);
    expect(w.fences).toHaveLength(1);
  });

  it('changes nothing when the file or the TLS files are invalid, and says so', () => {
    const w = world(base());
    w.write(base('[log]\nlevel = "loud"\n'));
    const bad = w.r.reload();
    expect(bad.ok).toBe(false);
    expect(bad.error).toContain('log.level');
    w.write(base('[log]\nlevel = "debug"\n').replace(`${tlsDir}/n1.key`, `${tlsDir}/n2.key`));
    expect(w.r.reload()).toMatchObject({ ok: false });
    expect(w.log.find('reload (SIGHUP) refused', 'error')).toHaveLength(2);
    expect(w.levels).toEqual([]);
    expect(w.tls).toEqual([]);
    // A key that became readable by others is refused on reload as at start-up.
    chmodSync(join(tlsDir, 'n1.key'), 0o644);
    try {
      w.write(base());
      expect(w.r.reload().error).toContain('accessible by group or others');
    } finally {
      chmodSync(join(tlsDir, 'n1.key'), 0o600);
    }
  });
});

describe('waitingFor (STATUS=)', () => {
  const view = (over: Partial<Parameters<typeof waitingFor>[0]>) => waitingFor({
    id: nodeId('n1'), role: 'follower', term: 4, lead: null, writer: false,
    conf: { voters: ['n1', 'n2', 'n3'].map(nodeId), learners: [] },
    peers: new Map([['n2', { up: true, applied: null }], ['n3', { up: false, applied: null }]]),
    state: { master: null, arrays: [] } as never,
    ...over,
  });
  it('says what it waits for without a leader, and the role with one', () => {
    expect(view({})).toBe('up; waiting for a leader: 2 of 3 voters reachable, quorum is 2 (term 4)');
    expect(view({ conf: { voters: [], learners: [] } })).toMatch(/^waiting to be added to the cluster/);
    expect(view({ lead: nodeId('n2') })).toBe('standby; leader n2, master none, term 4');
  });
});
