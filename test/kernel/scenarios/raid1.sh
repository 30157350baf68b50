#!/bin/sh
# md-basics scenario raid1 (runs inside a lab guest with 3 disks vda vdb vdc of 32 MiB).
# Owns: one raid1 array's life through create, throttled resync, a freeze at a checkpoint,
# sync_max parking and resuming, fail, remove, add + recovery, read-only, read-write and a
# stop + assemble (auto-read-only from start_ro=1), with a capture in every state.
# Invariants: captures are numbered in the order taken; facts.txt records the numbers the
# host checks (checkpoint, where the resync resumed and parked, the EPERM write).
# The checkpoint is taken past 8192 sectors, so a restart from 0 could not look like a resume.
set -eu
. test/kernel/lab/guest/lib.sh
MD=md0
SLOW_KIBPS=1000
FAST_KIBPS=200000

lab_speed 1 "$SLOW_KIBPS"
lab_run mdadm --create /dev/$MD --run --level=1 --raid-devices=2 --bitmap=none /dev/vda /dev/vdb
lab_wait_sync_at_least $MD 8192 60
lab_capture 01-resync-running $MD

# Freeze: the resync stops and its checkpoint is kept in resync_start.
lab_sysfs_set $MD sync_action frozen
lab_wait_for 30 "resync stopped" lab_sysfs_is $MD sync_completed none
checkpoint=$(lab_sysfs $MD resync_start)
lab_fact checkpoint "$checkpoint"
lab_capture 02-resync-frozen $MD

# Park: sync_max can only be lowered while frozen; idle resumes from the checkpoint.
park=$(( (checkpoint + 4096) / 8 * 8 ))
lab_fact park "$park"
lab_sysfs_set $MD sync_max "$park"
# Crawl (10 KB/s) while the resync restarts, so its first reported position is where it
# started: the checkpoint if it resumed, near 0 if it had started over.
lab_speed 1 10
lab_sysfs_set $MD sync_action idle
lab_wait_for 30 "resync resumed" lab_sync_at_least $MD 0
lab_fact resumed_at "$(lab_sync_done $MD)"
lab_speed 1 "$SLOW_KIBPS"
lab_wait_sync_at_least $MD "$park" 60
sleep 1
lab_fact parked_completed "$(lab_sysfs $MD sync_completed)"
lab_capture 03-resync-parked $MD

lab_speed 1 "$FAST_KIBPS"
lab_sysfs_set $MD sync_max max
lab_wait_settled $MD 120
lab_capture 04-clean $MD

lab_run mdadm /dev/$MD --fail /dev/vdb
lab_capture 05-failed $MD
lab_run mdadm /dev/$MD --remove /dev/vdb
lab_capture 06-removed $MD

lab_speed 1 "$SLOW_KIBPS"
lab_run mdadm /dev/$MD --add /dev/vdc
lab_wait_sync_at_least $MD 2048 60
lab_capture 07-recovery-running $MD
lab_speed 1 "$FAST_KIBPS"
lab_wait_settled $MD 120
lab_capture 08-recovered $MD

lab_run mdadm --readonly /dev/$MD
if dd if=/dev/zero of=/dev/$MD bs=4096 count=1 oflag=direct 2> "$LAB_OUT/readonly-write.err"; then
  lab_fact readonly_write refused=no
else
  lab_fact readonly_write refused=yes
fi
lab_capture 09-readonly $MD
lab_run mdadm --readwrite /dev/$MD
lab_capture 10-readwrite $MD

lab_run mdadm --stop /dev/$MD
lab_capture 11-stopped
lab_run mdadm --assemble /dev/$MD /dev/vda /dev/vdc
lab_capture 12-assembled $MD
