import { it } from 'vitest';
import { saveCaptures } from './lab/captures.js';
import { bootCluster, describeResult } from './lab/index.js';
it('scratch cluster', async () => {
  const n = Number(process.env.NODES ?? '3');
  const rs = await bootCluster(n, { sharedDisks: [{ sizeMiB: 32 }, { sizeMiB: 32 }], node: () => ({ cmd: ['sh', 'test/kernel/scenarios/shared-disks.sh'], timeoutMs: 300_000 }) });
  for (const r of rs) { console.log(describeResult(r, 2500)); await saveCaptures(`scratch/${r.name}`, r.files); }
});
