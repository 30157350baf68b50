// etc/prometheus/alerts.yml: valid for Prometheus (`promtool check rules`) and doing what it
// says on recorded series (`promtool test rules etc/prometheus/alerts.test.yml`). promtool comes
// from Debian's `prometheus` package (.ci/run installs it); without it this test FAILS and says
// so: it is never skipped as a pass.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const RULES = 'etc/prometheus/alerts.yml';
const RULE_TESTS = 'etc/prometheus/alerts.test.yml';

function promtool(): string {
  const p = process.env.PROMTOOL ?? '/usr/bin/promtool';
  if (existsSync(p)) return p;
  const which = spawnSync('sh', ['-c', 'command -v promtool'], { encoding: 'utf8' });
  if (which.status === 0 && which.stdout.trim()) return which.stdout.trim();
  throw new Error('PROMTOOL MISSING: cannot check etc/prometheus/alerts.yml. Install it with `apt-get install -y --no-install-recommends prometheus` (or set PROMTOOL=/path/to/promtool).');
}

function run(args: string[]): { ok: boolean; out: string } {
  const r = spawnSync(promtool(), args, { encoding: 'utf8', timeout: 60_000 });
  return { ok: r.status === 0, out: `${r.stdout}${r.stderr}` };
}

describe('Prometheus alerting rules', () => {
  it('promtool check rules accepts alerts.yml', () => {
    const r = run(['check', 'rules', RULES]);
    expect(r.out).toMatch(/SUCCESS: \d+ rules found/);
    expect(r.ok, r.out).toBe(true);
  });

  it('promtool test rules: every alert fires on its recorded series and not before', () => {
    const r = run(['test', 'rules', RULE_TESTS]);
    expect(r.ok, r.out).toBe(true);
  });

  it('names only mdclusterd_* metrics (no node_md_* from this daemon)', () => {
    const text = readFileSync(RULES, 'utf8').split('\n').filter((l) => !l.trimStart().startsWith('#')).join('\n');
    expect(text).not.toMatch(/\bnode_md_/);
    expect(text.match(/\bmdclusterd_[a-z_]+/g)!.length).toBeGreaterThan(10);
  });
});
