// The `load` benchmark's probe (a child process, `node dist/bench/lag-probe.js <seconds> <tickMs>`):
// a 10 ms timer on the main thread and another on a worker thread, neither doing any other work,
// each measuring how late it ran (raft-time.ts tickLagMs, like the daemon's tick). Under the
// same scheduling as the daemons it shows what a worker thread for ticks, heartbeats and lease
// would see: the lag the CPU scheduler alone causes, without the daemon's own work on the loop.
// Owns: nothing shared. Invariant: prints one JSON line { main, worker } (LatencySummary of
// the lags in ms) to stdout after <seconds>, then exits.
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { tickLagMs } from '../daemon/src/node/raft-time.js';
import { summarize } from '../test/integration/lib/bench-util.js';

function measure(seconds: number, tickMs: number): Promise<number[]> {
  return new Promise((resolve) => {
    const lags: number[] = [];
    let last = performance.now();
    const end = last + seconds * 1000;
    const h = setInterval(() => {
      const now = performance.now();
      lags.push(tickLagMs(last, now, tickMs));
      last = now;
      if (now >= end) { clearInterval(h); resolve(lags); }
    }, tickMs);
  });
}

if (isMainThread) {
  const seconds = Number(process.argv[2] ?? 60);
  const tickMs = Number(process.argv[3] ?? 10);
  const worker = new Worker(new URL(import.meta.url), { workerData: { seconds, tickMs } });
  const fromWorker = new Promise<number[]>((resolve, reject) => { worker.once('message', resolve); worker.once('error', reject); });
  const [main, inWorker] = await Promise.all([measure(seconds, tickMs), fromWorker]);
  process.stdout.write(`${JSON.stringify({ main: summarize(main), worker: summarize(inWorker) })}\n`);
  await worker.terminate();
} else {
  const { seconds, tickMs } = workerData as { seconds: number; tickMs: number };
  parentPort!.postMessage(await measure(seconds, tickMs));
}
