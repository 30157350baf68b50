// The driver-agnostic md scenarios (test/md-scenarios) on the simulated driver: each report
// must equal the reference report in test/md-scenarios/expected/<name>.json (the one the
// kernel lane's differential test compares the real kernel against), be deterministic, and
// not depend on the disk store (memory or a real directory).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { manualSimDeps } from '../../daemon/src/md/sim/deps.js';
import { ensureSimDisks } from '../../daemon/src/md/sim/driver.js';
import { FileDiskStore } from '../../daemon/src/md/sim/file-disk-store.js';
import { SimMdDriver } from '../../daemon/src/md/sim/sim-driver.js';
import type { ScenarioDef, ScenarioReport } from '../md-scenarios/index.js';
import { MD_SCENARIOS } from '../md-scenarios/index.js';
import { MIB_SECTORS, SimFixture } from './simdriver-fixture.js';

const PATHS = ['/dev/vda', '/dev/vdb', '/dev/vdc'];

function expected(name: string): ScenarioReport {
  return JSON.parse(readFileSync(join(import.meta.dirname, '..', 'md-scenarios', 'expected', `${name}.json`), 'utf8')) as ScenarioReport;
}

async function runOnMemory(s: ScenarioDef): Promise<ScenarioReport> {
  const f = new SimFixture();
  f.addDisks(['vda', 'vdb', 'vdc'].slice(0, s.components), s.componentMiB);
  const driver = f.host();
  const report = await s.run({ driver, components: PATHS.slice(0, s.components), device: 'md0', sleep: async (ms) => f.time.advance(ms) });
  expect(await driver.listArrays()).toEqual([]);
  return report;
}

describe.each(MD_SCENARIOS.map((s) => [s.name, s] as const))('scenario %s on the simulated driver', (name, s) => {
  test('matches the reference report', async () => {
    expect(await runOnMemory(s)).toEqual(expected(name));
  });

  test('is deterministic and independent of the disk store', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'simscen-'));
    try {
      ensureSimDisks(dir, ['vda', 'vdb', 'vdc'].slice(0, s.components).map((id, i) => ({ diskId: id, sizeSectors: s.componentMiB * MIB_SECTORS, minor: 16 * i })));
      const f = new SimFixture();
      const driver = new SimMdDriver({ store: new FileDiskStore(dir), deps: manualSimDeps(f.time, 99), hostName: 'other' });
      const onDisk = await s.run({ driver, components: PATHS.slice(0, s.components), device: 'md0', sleep: async (ms) => f.time.advance(ms) });
      expect(onDisk).toEqual(await runOnMemory(s));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

test('the reference reports hold only normalized values (no times, uuids, device numbers)', () => {
  for (const s of MD_SCENARIOS) {
    const text = JSON.stringify(expected(s.name));
    expect(text).not.toMatch(/[0-9a-f]{8}:[0-9a-f]{8}/);
    expect(text).not.toMatch(/"(major|minor|uuid|ctimeSec|utimeSec|events|syncSpeedKiBps|devPath|name)"/);
    expect(text).not.toContain('/dev/');
  }
});
