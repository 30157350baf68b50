#!/bin/sh
# md-basics scenario raid10 (lab guest, disks vda..vdd of 32 MiB). Owns: a 4-disk raid10
# near=2 (128K chunk) through a throttled initial resync, clean, fail, remove, a zeroed
# member added back with a throttled recovery, and clean again; captures in every state.
set -eu
. test/kernel/lab/guest/lib.sh
MD=md0

lab_speed 1 1000
lab_run mdadm --create /dev/$MD --run --level=10 --layout=n2 --raid-devices=4 --chunk=128 --bitmap=none /dev/vda /dev/vdb /dev/vdc /dev/vdd
lab_wait_sync_at_least $MD 2048 60
lab_capture 01-resync-running $MD
lab_speed 1 200000
lab_wait_settled $MD 180
lab_capture 02-clean $MD

lab_run mdadm /dev/$MD --fail /dev/vdb
lab_capture 03-failed $MD
lab_run mdadm /dev/$MD --remove /dev/vdb
lab_capture 04-removed $MD
lab_run mdadm --zero-superblock /dev/vdb
lab_speed 1 1000
lab_run mdadm /dev/$MD --add /dev/vdb
lab_wait_sync_at_least $MD 2048 60
lab_capture 05-recovery-running $MD
lab_speed 1 200000
lab_wait_settled $MD 180
lab_capture 06-recovered $MD
