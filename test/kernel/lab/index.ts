// Kernel lab public API: boot real Linux md guests under qemu from tests. Owns nothing; it
// re-exports the entry points tests use (see test/kernel/README.md for the guest side).
export { bootGuest, startGuest, describeResult } from './guest.js';
export type { GuestHandle } from './guest.js';
export { bootCluster, startCluster } from './cluster.js';
export type { ClusterHandle, ClusterSpec } from './cluster.js';
export { detectAccel, guestImage } from './machine.js';
export type { DiskSpec, GuestOutcome, GuestResult, GuestSpec } from './types.js';
