#!/bin/busybox sh
# Kernel lab guest: the kernel's modprobe helper (/proc/sys/kernel/modprobe points here).
# Owns: loading modules the kernel asks for (md-level-1, ...). The kernel runs this from the
# initramfs root, so it enters the chroot that /init prepared and runs the host's modprobe
# there, which knows the full module tree and /etc/modprobe.d (md_mod start_ro=1).
exec /bin/busybox chroot /newroot /sbin/modprobe "$@"
