// Property test of the simulated md driver: random operation sequences, with valid and junk
// arguments, on two hosts sharing disks, interleaved with time passing. Every failure must be
// an OpError (never a crash), and every array every host reports must satisfy md's
// invariants (unique desc numbers, one member per slot, faulty members hold no slot, the
// degraded count matches the slots, sync progress within bounds).
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { OpError } from '../../daemon/src/common/errors.js';
import type { ArrayState } from '../../daemon/src/md/types.js';
import type { SimMdDriver } from '../../daemon/src/md/sim/sim-driver.js';
import { SimFixture } from './simdriver-fixture.js';

const DEVICES = ['md0', 'md1', '/dev/md0', 'bogus'];
const PATHS = ['/dev/vda', '/dev/vdb', '/dev/vdc', '/dev/vdd', '/dev/vde', '/dev/nope', 'junk', ''];

const create = fc.record({
  k: fc.constant('create'), dev: fc.constantFrom('md0', 'md1'), level: fc.constantFrom('raid1', 'raid1', 'raid10', 'raid5'),
  n: fc.integer({ min: 2, max: 3 }), spares: fc.integer({ min: 0, max: 2 }), clean: fc.boolean(), bitmap: fc.boolean(),
});

const op = fc.oneof(
  create,
  fc.record({ k: fc.constant('create'), dev: fc.constantFrom(...DEVICES), level: fc.constantFrom('raid1', 'raid10', 'raid0', 'raid5', 'raid6', 'linear', 'bad'),
    n: fc.integer({ min: 0, max: 5 }), spares: fc.integer({ min: 0, max: 2 }), clean: fc.boolean(), bitmap: fc.boolean() }),
  fc.record({ k: fc.constant('assemble'), dev: fc.constantFrom(...DEVICES), n: fc.integer({ min: 0, max: 5 }), ro: fc.boolean(), run: fc.boolean() }),
  fc.record({ k: fc.constantFrom('setFaulty', 'hotRemove', 'hotAdd', 'reAdd', 'injectFault', 'wm'), dev: fc.constantFrom(...DEVICES), p: fc.constantFrom(...PATHS) }),
  fc.record({ k: fc.constantFrom('setFaulty', 'hotRemove', 'hotAdd', 'reAdd'), dev: fc.constant('md0'), p: fc.constantFrom(...PATHS.slice(0, 5)) }),
  fc.record({ k: fc.constantFrom('stop', 'ro', 'rw', 'run', 'write', 'read'), dev: fc.constantFrom(...DEVICES) }),
  fc.record({ k: fc.constant('action'), dev: fc.constantFrom(...DEVICES), a: fc.constantFrom('idle', 'frozen', 'check', 'repair', 'resync', 'recover', 'reshape', 'zzz') }),
  fc.record({ k: fc.constantFrom('syncMax', 'syncMin', 'resyncStart'), dev: fc.constantFrom(...DEVICES), v: fc.oneof(fc.integer({ min: -10, max: 300_000 }), fc.constant('max'), fc.constant(null)) }),
  fc.record({ k: fc.constant('replace'), dev: fc.constantFrom(...DEVICES), p: fc.constantFrom(...PATHS), q: fc.constantFrom(...PATHS) }),
  fc.record({ k: fc.constant('speed'), max: fc.integer({ min: -1, max: 300_000 }) }),
  fc.record({ k: fc.constant('advance'), ms: fc.integer({ min: 0, max: 120_000 }) }),
  fc.record({ k: fc.constant('crash') }),
);

type Op = typeof op extends fc.Arbitrary<infer T> ? T : never;

async function apply(d: SimMdDriver, o: Op, f: SimFixture): Promise<void> {
  const members = (n: number): string[] => PATHS.slice(0, n);
  switch (o.k) {
    case 'create': return d.create({ device: o.dev, level: o.level as never, raidDevices: o.n, spareDevices: o.spares, members: PATHS.slice(0, o.n + o.spares), assumeClean: o.clean, bitmap: o.bitmap ? 'internal' : 'none' });
    case 'assemble': return d.assemble({ device: o.dev, members: members(o.n), readOnly: o.ro, run: o.run });
    case 'setFaulty': return d.setFaulty(o.dev, o.p);
    case 'hotRemove': return d.hotRemove(o.dev, o.p);
    case 'hotAdd': return d.hotAdd(o.dev, o.p);
    case 'reAdd': return d.reAdd(o.dev, o.p);
    case 'injectFault': return d.injectFault(o.dev, o.p);
    case 'wm': return d.setWriteMostly(o.dev, o.p, true);
    case 'stop': return d.stop(o.dev);
    case 'ro': return d.setReadOnly(o.dev);
    case 'rw': return d.setReadWrite(o.dev);
    case 'run': return d.run(o.dev);
    case 'write': return d.writeToArray(o.dev, 64);
    case 'read': await d.readArray(o.dev); return;
    case 'action': return d.setSyncAction(o.dev, o.a as never);
    case 'syncMax': return d.setSyncMax(o.dev, o.v as never);
    case 'syncMin': return d.setSyncMin(o.dev, o.v as never);
    case 'resyncStart': return d.setResyncStart(o.dev, o.v as never);
    case 'replace': return d.replace(o.dev, o.p, o.q);
    case 'speed': return d.setSpeedLimits({ minKiBps: 1, maxKiBps: o.max });
    case 'advance': f.time.advance(o.ms); return;
    case 'crash': d.crash(); return;
  }
}

function checkInvariants(a: ArrayState): void {
  const descs = a.members.map((m) => m.descNumber);
  expect(new Set(descs).size).toBe(descs.length);
  let missing = 0;
  for (let s = 0; s < a.raidDisks; s++) {
    const main = a.members.filter((m) => m.slot === s && !m.flags.includes('replacement'));
    expect(main.length).toBeLessThanOrEqual(1);
    if (!main.some((m) => m.flags.includes('in_sync'))) missing++;
  }
  if (a.level !== 'raid0' && a.level !== 'linear') expect(a.degraded).toBe(missing);
  for (const m of a.members) {
    if (m.slot !== null) expect(m.slot).toBeLessThan(a.raidDisks);
    if (m.flags.includes('faulty')) expect([m.slot, m.flags.includes('in_sync')]).toEqual([null, false]);
    expect(m.flags.includes('in_sync')).toBe(m.recoveryStartSectors === null);
  }
  if (a.syncCompleted !== null) {
    expect(a.syncCompleted.doneSectors).toBeLessThanOrEqual(a.syncCompleted.totalSectors);
    expect(['resync', 'recover', 'check', 'repair']).toContain(a.syncAction);
  } else {
    expect(['idle', 'frozen']).toContain(a.syncAction);
  }
  expect(a.events).toBeGreaterThanOrEqual(0);
}

test('random operation sequences never crash and keep md invariants', async () => {
  const script = fc.tuple(create, fc.array(fc.tuple(fc.boolean(), op), { minLength: 1, maxLength: 40 }));
  await fc.assert(fc.asyncProperty(script, async ([first, rest]) => {
    const ops: Array<[boolean, Op]> = [[false, first], ...rest];
    const f = new SimFixture();
    f.addDisks(['vda', 'vdb', 'vdc', 'vdd', 'vde'], 64);
    const hosts = [f.host({ name: 'n1' }), f.host({ name: 'n2' })];
    for (const [second, o] of ops) {
      const d = hosts[second ? 1 : 0];
      try {
        await apply(d, o, f);
      } catch (e) {
        if (!(e instanceof OpError)) throw e;
      }
      for (const h of hosts) {
        for (const dev of await h.listArrays()) checkInvariants(await h.readArray(dev));
        expect(typeof (await h.readMdstat())).toBe('string');
      }
    }
    for (const h of hosts) await h.close();
    expect(f.time.pendingCount).toBe(0);
  }), { numRuns: 300, seed: 20261121 });
}, 120_000);
