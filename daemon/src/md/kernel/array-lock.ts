// One-at-a-time access to each md array from this daemon. Owns: a FIFO async lock per array
// name. Why: md refuses STOP_ARRAY_RO and STOP_ARRAY with EBUSY while anyone else holds
// /dev/mdX open ("md: mdX still in use"), and the daemon itself opens it for reads (the
// GET_* ioctls of readArray, done every 100 ms by the master's checkpoint sampler) and for
// changes from two places at once (the reconcile loop and the writer role's demotion). Seen on
// Linux 6.1 in the cluster lane: a lease flap made both call STOP_ARRAY_RO together, each saw
// the other's open, both got EBUSY, the fence escalated to STOP_ARRAY (EBUSY again) and the
// node rebooted itself.
// Invariants: calls for one key run strictly one after another in call order; a rejected call
// releases the lock like a resolved one; the map holds an entry only while a call for that key
// is queued or running (bounded by the number of arrays in use).

export class ArrayLocks {
  /** Invariant: key -> the promise that settles when the last queued call for key is done. */
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => { release = resolve; });
    const tail = prev.then(() => mine);
    this.tails.set(key, tail);
    try {
      await prev;
      return await fn();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }

  /** Keys with a call queued or running (tests). */
  get busyKeys(): number {
    return this.tails.size;
  }
}
