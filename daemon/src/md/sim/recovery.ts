// md_check_recovery for the simulated kernel: what md does whenever its thread wakes up
// (after every state change): take failed devices out of their slots, activate spares,
// and pick and start the sync that is due.
// Owns: the choice between recovery, resync and a requested check/repair, and which slot
// (or replacement position) a spare goes to.
// Invariants (Linux 6.1):
// - A read-only or auto-read-only array never starts a sync; it only drops failed devices
//   from their slots (the superblock update waits for read-write).
// - A frozen array (sync_action=frozen) starts nothing and changes no slots.
// - Recovery has priority over resync; a requested check/repair runs when neither is due.
// - A spare goes to its previous slot when re-added and free, else to the first slot that
//   is empty, or becomes the replacement of the first member that wants one.
import type { KernelCtx } from './context.js';
import { hasRedundancy } from './geometry.js';
import type { SimArray, SimMember } from './model.js';
import { memberInSlot, recoveringMembers, replacementInSlot } from './model.js';
import { updateSuperblocks } from './sb-writer.js';
import { startSync } from './sync.js';

/** The md thread's pass over one array. Safe to call any time (idempotent when nothing is due). */
export function checkRecovery(ctx: KernelCtx, a: SimArray): void {
  if (!hasRedundancy(a.level)) return;
  if (a.ro !== 'rw') {
    if (dropFailedFromSlots(a)) updateSuperblocks(ctx, a, false);
    return;
  }
  if (a.sbPending) updateSuperblocks(ctx, a, false);
  if (a.sync !== null || a.frozen) return;
  if (a.reshape !== null) {
    startSync(ctx, a, 'reshape');
    return;
  }
  const spares = removeAndAddSpares(ctx, a);
  if (spares > 0) startSync(ctx, a, 'recover');
  else if (a.requested !== null) startSync(ctx, a, a.requested);
  else if (a.recoveryCpSectors !== null) startSync(ctx, a, 'resync');
}

/** Removes failed members from their slots (a replacement in that slot moves in). */
function dropFailedFromSlots(a: SimArray): boolean {
  let removed = false;
  for (const m of a.members) {
    if (!m.faulty || m.slot === null) continue;
    const slot = m.slot;
    const wasReplacement = m.replacement;
    m.savedSlot = slot; // saved_raid_disk: where a "re-add" of the still-bound member goes back
    m.slot = null;
    m.replacement = false;
    removed = true;
    if (!wasReplacement) {
      const repl = replacementInSlot(a, slot);
      if (repl !== undefined) repl.replacement = false;
    }
  }
  return removed;
}

/** remove_and_add_spares: returns how many members (new or resumed) need recovery. */
function removeAndAddSpares(ctx: KernelCtx, a: SimArray): number {
  const removed = dropFailedFromSlots(a);
  let added = false;
  for (const m of a.members) {
    if (m.faulty || m.slot !== null) continue;
    if (placeSpare(a, m)) added = true;
  }
  if (removed || added) updateSuperblocks(ctx, a, false);
  return recoveringMembers(a).length;
}

/** pers->hot_add_disk: gives spare `m` a slot or a replacement position; false if none fits. */
function placeSpare(a: SimArray, m: SimMember): boolean {
  const saved = m.savedSlot;
  if (saved !== null && saved < a.raidDisks && memberInSlot(a, saved) === undefined) {
    occupy(m, saved, false);
    return true;
  }
  for (let s = 0; s < a.raidDisks; s++) {
    const holder = memberInSlot(a, s);
    if (holder === undefined) {
      occupy(m, s, false);
      return true;
    }
    if (holder.wantReplacement && holder.inSync && replacementInSlot(a, s) === undefined) {
      occupy(m, s, true);
      return true;
    }
  }
  return false;
}

function occupy(m: SimMember, slot: number, replacement: boolean): void {
  m.slot = slot;
  m.inSync = false;
  m.replacement = replacement;
  if (!m.bitmapRecovery || m.savedSlot !== slot) m.bitmapRecovery = false;
  m.savedSlot = null;
}

/** Makes spare `spare` the replacement of `target` right away (mdadm --replace --with). */
export function makeReplacement(a: SimArray, target: SimMember, spare: SimMember): void {
  target.wantReplacement = true;
  occupy(spare, target.slot!, true);
  spare.recoveryOffsetSectors = 0;
}
