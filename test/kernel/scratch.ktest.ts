import { it } from 'vitest';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { bootGuest, describeResult } from './lab/index.js';
it('scratch', async () => {
  const sc = process.env.SC ?? 'raid1';
  const n = Number(process.env.NDISKS ?? '4');
  const r = await bootGuest({ name: sc, cmd: ['sh', `test/kernel/scenarios/${sc}.sh`], disks: Array.from({ length: n }, () => ({ sizeMiB: 32 })), timeoutMs: 300_000 });
  console.log(describeResult(r, 4000));
  for (const [k, v] of Object.entries(r.files)) { const p = join('/tmp/scratch-out', sc, k); mkdirSync(dirname(p), { recursive: true }); writeFileSync(p, v); }
});
