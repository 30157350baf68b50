#!/bin/sh
# Shared-disks scenario, run by every guest of a lab cluster (LAB_NODE_INDEX 1..LAB_NODES,
# node<i> = 10.0.0.<i>); the shared disks are vda and vdb in every guest. Owns:
# 1. TCP between the guests: each node listens on TCP_PORT and sends one line to the next
#    node in a ring; $LAB_OUT/tcp-received holds what it got.
# 2. The stale standby: node1 (the "master") creates a raid1 on the shared disks; the others
#    assemble it read-only; node1 fails vdb; the standbys' kernels still show [UU] although
#    the superblocks on disk say otherwise (examine after dropping the page cache); only a
#    stop + assemble shows [2/1] [U_].
# Invariants: steps are ordered only through the bus (lab_signal/lab_wait_signal); every
# wait is bounded; captures are named <step>-<role>.
set -eu
. test/kernel/lab/guest/lib.sh
i=$LAB_NODE_INDEX
n=$LAB_NODES
MD=md0
TCP_PORT=7000
WAIT_S=120

# ---- TCP ring ----
next=$(( i % n + 1 ))
prev=$(( (i + n - 2) % n + 1 ))
busybox nc -l -p "$TCP_PORT" > "$LAB_OUT/tcp-received" &
listener=$!
lab_signal "listening-$i"
j=1; while [ "$j" -le "$n" ]; do lab_wait_signal "listening-$j" "$WAIT_S"; j=$((j + 1)); done
lab_wait_for 30 "TCP connection to node$next" lab_tcp_send "10.0.0.$next" "$TCP_PORT" "hello from node$i"
lab_wait_for 30 "TCP line from node$prev" grep -qx "hello from node$prev" "$LAB_OUT/tcp-received"
kill "$listener" 2> /dev/null || true

examine_to() { # dev file: the superblock as on disk now (page cache dropped first)
  blockdev --flushbufs "$1"
  mdadm --examine "$1" > "$2" 2>&1 || true
}

if [ "$i" -eq 1 ]; then
  lab_run mdadm --create /dev/$MD --run --level=1 --raid-devices=2 --assume-clean --bitmap=none /dev/vda /dev/vdb
  lab_capture 01-master $MD
  lab_signal created
  j=2; while [ "$j" -le "$n" ]; do lab_wait_signal "assembled-$j" "$WAIT_S"; j=$((j + 1)); done
  lab_run mdadm /dev/$MD --fail /dev/vdb
  lab_wait_for 30 "superblock on vda records the failure" sh -c "mdadm --examine /dev/vda | grep -q 'Array State : A\.'"
  lab_capture 02-master $MD
  examine_to /dev/vda "$LAB_OUT/02-master/examine-vda.txt"
  lab_signal failed
  j=2; while [ "$j" -le "$n" ]; do lab_wait_signal "standby-done-$j" "$WAIT_S"; j=$((j + 1)); done
else
  lab_wait_signal created "$WAIT_S"
  lab_run mdadm --assemble --readonly /dev/$MD /dev/vda /dev/vdb
  lab_capture 01-standby $MD
  examine_to /dev/vda "$LAB_OUT/01-standby/examine-vda.txt"
  lab_signal "assembled-$i"
  lab_wait_signal failed "$WAIT_S"
  lab_capture 02-standby $MD
  examine_to /dev/vda "$LAB_OUT/02-standby/examine-vda.txt"
  lab_run mdadm --stop /dev/$MD
  lab_run mdadm --assemble --readonly /dev/$MD /dev/vda /dev/vdb
  lab_capture 03-standby $MD
  lab_signal "standby-done-$i"
fi
