// The fault-free start of every cluster-simulator run, done as an admin would with mdctl:
// wait for a master, confirm every shared disk from every node (mdctl --cluster confirm), then
// create md0 as raid1 over two disks plus one spare (mdadm --create ... through node.propose).
// Owns: the create command (uuid drawn from the seed) and the retry policy of the set-up.
// Invariant: set-up only talks to the daemons through their control dispatchers; it ends when
// the create command is applied (or md0 already exists), never on a timeout alone.
import { OpError } from '../../../daemon/src/common/errors.js';
import type { Rand } from '../rand.js';
import type { SimHost } from './host.js';
import type { Scheduler } from './scheduler.js';
import { ARRAY_DEVICE, DISK_IDS } from './world.js';

/** Poll period of the set-up's waits, in simulated microseconds. */
const POLL_US = 10_000;
/** Admin request timeout during the set-up (simulated ms). */
const SETUP_TIMEOUT_MS = 3_000;

export interface SetupEnv {
  hosts: readonly SimHost[];
  sched: Scheduler;
  rand: Rand;
  bitmap: 'internal' | 'none';
  trace(kind: string, node: string, detail: string): void;
}

function sleep(sched: Scheduler, us: number): Promise<void> {
  return new Promise<void>((resolve) => { sched.after(us, resolve); });
}

async function until(sched: Scheduler, cond: () => boolean): Promise<void> {
  while (!cond()) await sleep(sched, POLL_US);
}

function uuidPart(rand: Rand): string {
  return rand.prng.nextU32().toString(16).padStart(8, '0');
}

export function createCommand(rand: Rand, bitmap: 'internal' | 'none'): Record<string, unknown> {
  return {
    op: 'create', device: ARRAY_DEVICE, uuid: [0, 1, 2, 3].map(() => uuidPart(rand)).join(':'), name: 'sim:0', level: 'raid1',
    raidDevices: 2, members: ['/dev/sda', '/dev/sdb', '/dev/sdc'], spares: 1, metadata: '1.2', bitmap,
    chunkKiB: null, layout: null, assumeClean: false, sizeKiB: null,
  };
}

const codeOf = (e: unknown): string => (e instanceof OpError ? e.code : String(e));

/** Runs the set-up; resolves once md0's create command is applied somewhere. */
export async function setupArray(env: SetupEnv): Promise<void> {
  const { hosts, sched, rand } = env;
  await until(sched, () => hosts.some((h) => h.live?.node.writer.isWriter() === true));
  env.trace('setup', '-', 'a master holds the writer role; confirming the shared disks on every node');
  await Promise.all(hosts.flatMap((h) => DISK_IDS.map(async (d) => {
    for (;;) {
      try {
        await h.request({ type: 'confirm', path: `/dev/${d}` });
        return;
      } catch (e) {
        env.trace('setup', h.id, `confirm /dev/${d}: ${codeOf(e)}; retrying`);
        await sleep(sched, POLL_US);
      }
    }
  })));
  const command = createCommand(rand, env.bitmap);
  for (;;) {
    const h = rand.pick(hosts.filter((x) => x.up));
    try {
      const r = await h.request({ type: 'propose', command, timeoutMs: SETUP_TIMEOUT_MS });
      env.trace('setup', h.id, `mdadm --create /dev/${ARRAY_DEVICE} -l1 -n2 -x1 sda sdb sdc: applied ${JSON.stringify(r)}`);
      return;
    } catch (e) {
      if (e instanceof OpError && e.code === 'E_ARRAY_EXISTS') return;
      env.trace('setup', h.id, `create: ${codeOf(e)}; retrying`);
    }
  }
}
