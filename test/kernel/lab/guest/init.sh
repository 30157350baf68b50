#!/bin/busybox sh
# Kernel lab guest /init (pid 1 inside the initramfs). Owns: bringing the guest from kernel
# start to the test command and back to power-off.
# Steps: mount the host's / read-only over 9p (tag hostroot) with a tmpfs overlay on top as
# /newroot; mount proc/sys/dev/run/tmp there; mount the run's results share (tag labres) on
# /newroot/lab and, with lab.bus=1, the cluster bus share (tag labbus) on /newroot/lab/bus;
# load virtio_blk (and virtio_net + a static address with lab.ip=); run /lab/job.sh (written
# by the host) chrooted, with stdout/stderr into the results share; write its exit status to
# /lab/exit-code; stop md arrays; power off.
# Invariants: every line meant for the host starts with "LAB-" on the console; a failure of
# any step prints "LAB-INIT-FAILED: <why>" and powers off, so the host never waits for a guest
# that cannot run; /lab/exit-code is written only after the job ended by itself.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
/bin/busybox --install -s

say() { echo "$*" > /dev/console; }
fail() { say "LAB-INIT-FAILED: $*"; sync; poweroff -f; sleep 5; }
uptime_s() { cut -d' ' -f1 /proc/uptime; }

mount -t proc proc /proc || fail "mount /proc"
mount -t sysfs sysfs /sys || fail "mount /sys"
mount -t devtmpfs devtmpfs /dev || fail "mount /dev"
exec < /dev/console > /dev/console 2>&1

lab_host=guest; lab_ip=""; lab_bus=0
for word in $(cat /proc/cmdline); do
  case "$word" in
    lab.host=*) lab_host=${word#lab.host=} ;;
    lab.ip=*) lab_ip=${word#lab.ip=} ;;
    lab.bus=*) lab_bus=${word#lab.bus=} ;;
  esac
done

while read -r ko args; do
  [ -n "$ko" ] || continue
  insmod "$ko" $args || fail "insmod $ko"
done < /modules.list

ninep="trans=virtio,version=9p2000.L,msize=524288"
mount -t 9p -o "$ninep,ro,cache=loose" hostroot /host || fail "mount host root over 9p"
mount -t tmpfs -o mode=755 tmpfs /ovl || fail "mount overlay tmpfs"
mkdir -p /ovl/upper /ovl/work
mount -t overlay overlay -o lowerdir=/host,upperdir=/ovl/upper,workdir=/ovl/work /newroot || fail "mount overlay"
R=/newroot
mount -t proc proc $R/proc || fail "mount guest /proc"
mount -t sysfs sysfs $R/sys || fail "mount guest /sys"
mount -t devtmpfs devtmpfs $R/dev || fail "mount guest /dev"
mkdir -p $R/dev/pts $R/dev/shm
mount -t devpts devpts $R/dev/pts
mount -t tmpfs tmpfs $R/dev/shm
mount -t tmpfs -o mode=755 tmpfs $R/run || fail "mount guest /run"
mkdir -p $R/lab
mount -t 9p -o "$ninep,cache=none" labres $R/lab || fail "mount results share"
# A fresh /tmp, unless the job runs in a checkout under the host's /tmp (a CI clone there):
# then /tmp stays the overlay's view of the host's /tmp (still writable, through the overlay).
if grep -q "^cd '/tmp/" $R/lab/job.sh 2>/dev/null; then :; else
  mount -t tmpfs -o mode=1777 tmpfs $R/tmp || fail "mount guest /tmp"
fi
if [ "$lab_bus" = 1 ]; then
  mkdir -p $R/lab/bus
  mount -t 9p -o "$ninep,cache=none" labbus $R/lab/bus || fail "mount cluster bus share"
fi
echo /sbin/lab-modprobe > /proc/sys/kernel/modprobe

hostname "$lab_host"
ip link set lo up
/sbin/lab-modprobe virtio_blk || fail "modprobe virtio_blk"
if [ -n "$lab_ip" ]; then
  /sbin/lab-modprobe virtio_net || fail "modprobe virtio_net"
  tries=0
  while [ ! -e /sys/class/net/eth0 ]; do
    tries=$((tries + 1)); [ "$tries" -le 50 ] || fail "no eth0"
    sleep 0.1
  done
  ip link set eth0 up || fail "eth0 up"
  ip addr add "$lab_ip" dev eth0 || fail "address $lab_ip"
fi

[ -f $R/lab/job.sh ] || fail "no /lab/job.sh in the results share"
say "LAB-JOB-START uptime=$(uptime_s)"
chroot $R /bin/sh /lab/job.sh > $R/lab/stdout 2> $R/lab/stderr < /dev/null
rc=$?
echo "$rc" > $R/lab/exit-code
say "LAB-JOB-END rc=$rc uptime=$(uptime_s)"
chroot $R /sbin/mdadm --stop --scan > /dev/null 2>&1
sync
poweroff -f
