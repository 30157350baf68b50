#!/bin/sh
# md-basics scenario raid5 (lab guest, disks vda..vdd of 32 MiB). Owns: a 4-disk raid5
# (64K chunk) through its initial recovery, clean, fail, remove, a zeroed member added back
# with a throttled full recovery, and clean again; captures in every state.
set -eu
. test/kernel/lab/guest/lib.sh
MD=md0

lab_speed 1 1000
lab_run mdadm --create /dev/$MD --run --level=5 --raid-devices=4 --chunk=64 --bitmap=none /dev/vda /dev/vdb /dev/vdc /dev/vdd
lab_wait_sync_at_least $MD 2048 60
lab_capture 01-initial-recovery $MD
lab_speed 1 200000
lab_wait_settled $MD 180
lab_capture 02-clean $MD

lab_run mdadm /dev/$MD --fail /dev/vdc
lab_capture 03-failed $MD
lab_run mdadm /dev/$MD --remove /dev/vdc
lab_capture 04-removed $MD
lab_run mdadm --zero-superblock /dev/vdc
lab_speed 1 1000
lab_run mdadm /dev/$MD --add /dev/vdc
lab_wait_sync_at_least $MD 2048 60
lab_capture 05-recovery-running $MD
lab_speed 1 200000
lab_wait_settled $MD 180
lab_capture 06-recovered $MD
