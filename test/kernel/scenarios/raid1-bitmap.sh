#!/bin/sh
# md-basics scenario raid1-bitmap (lab guest, disks vda vdb of 32 MiB). Owns: a raid1 with an
# internal write-intent bitmap (1 MiB chunks) through fail, remove, 8 MiB written while
# degraded and --re-add, whose recovery copies only the chunks the bitmap marked dirty.
# Invariants: the re-add recovery runs throttled to THROTTLE_KIBPS the whole time, so a full
# recovery would need about 31 s; facts.txt records how long the re-add took (guest uptime)
# for the host to check it was partial, and that the mirrors are equal afterwards.
set -eu
. test/kernel/lab/guest/lib.sh
MD=md0
THROTTLE_KIBPS=1000

lab_speed 1 200000
lab_run mdadm --create /dev/$MD --run --level=1 --raid-devices=2 --bitmap=internal --bitmap-chunk=1M /dev/vda /dev/vdb
lab_wait_settled $MD 120
lab_capture 01-clean $MD

lab_run mdadm /dev/$MD --fail /dev/vdb
lab_run mdadm /dev/$MD --remove /dev/vdb
lab_run dd if=/dev/urandom of=/dev/$MD bs=1M count=8 seek=8 oflag=direct status=none
lab_capture 02-degraded-written $MD

lab_speed 1 "$THROTTLE_KIBPS"
started=$(lab_uptime)
lab_run mdadm /dev/$MD --re-add /dev/vdb
if lab_poll_for 10 lab_sync_at_least $MD 1; then lab_fact readd_progress_seen yes; fi
lab_capture 03-readded $MD
lab_wait_settled $MD 120
lab_fact readd_seconds "$(awk -v a="$started" -v b="$(lab_uptime)" 'BEGIN { printf "%.2f", b - a }')"
lab_capture 04-clean-again $MD
data_offset_bytes=$(( $(lab_sysfs $MD dev-vda/offset) * 512 ))
lab_run cmp -n $((31 * 1024 * 1024)) -i "$data_offset_bytes" /dev/vda /dev/vdb
lab_fact mirrors_equal yes
