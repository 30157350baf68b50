#!/usr/bin/env bash
# Kernel lab: builds the guest boot files (an uncompressed PVH vmlinux and a busybox
# initramfs) for the newest installed Debian kernel, into a cache directory.
# Owns: the guest image layout. Usage: build-guest.sh [CACHE_DIR]; prints the guest directory
# (CACHE_DIR/guest-<kver>) as the last line of stdout.
# Invariants:
# - The guest directory is complete or absent: it is built in a temp dir and renamed into
#   place; a `stamp` file names the kernel version and the hash of every input, and the guest
#   is rebuilt when any of them changes (new kernel, edited /init, new busybox).
# - Concurrent callers serialise on CACHE_DIR/.build.lock (flock), so parallel test workers
#   never see a half-built guest.
# - The initramfs holds only busybox, /init, the modprobe helper and the modules needed to
#   reach the host's root over 9p (virtio_pci, 9p, overlay); everything else (md modules,
#   virtio_blk, virtio_net, mdadm, node) comes from the host's / once /init has chrooted.
set -euo pipefail

LAB_DIR=$(cd "$(dirname "$0")" && pwd)
CACHE_DIR=${1:-"$LAB_DIR/../.cache"}
mkdir -p "$CACHE_DIR"
CACHE_DIR=$(cd "$CACHE_DIR" && pwd)
BUSYBOX=/bin/busybox
# Modules the initramfs loads itself, in dependency order per `modprobe --show-depends`.
INITRAMFS_MODULES=(virtio_pci 9pnet_virtio 9p overlay)

die() { echo "build-guest: $*" >&2; exit 1; }
STAGE_DIR=""
trap '[ -z "$STAGE_DIR" ] || rm -rf "$STAGE_DIR"' EXIT

newest_kernel() {
  local v best=""
  for v in /boot/vmlinuz-*; do
    [ -e "$v" ] || continue
    v=${v#/boot/vmlinuz-}
    [ -d "/lib/modules/$v" ] || continue
    if [ -z "$best" ] || [ "$(printf '%s\n%s\n' "$best" "$v" | sort -V | tail -n1)" = "$v" ]; then best=$v; fi
  done
  [ -n "$best" ] || die "no /boot/vmlinuz-* with matching /lib/modules (is linux-image-amd64 installed?)"
  printf '%s\n' "$best"
}

# Decompresses the kernel payload of a bzImage: tries every xz, zstd and gzip stream start
# found in the file and keeps the first output that is an ELF image.
extract_vmlinux() { # vmlinuz out
  local src=$1 out=$2 pattern tool off
  for spec in 'xz:\xFD7zXZ\x00' 'zstd:\x28\xB5\x2F\xFD' 'gzip:\x1F\x8B\x08'; do
    tool=${spec%%:*}; pattern=${spec#*:}
    command -v "$tool" >/dev/null || continue
    while read -r off; do
      [ -n "$off" ] || continue
      tail -c "+$((off + 1))" "$src" | "$tool" -dc > "$out" 2>/dev/null || true
      if [ "$(head -c 4 "$out" | od -An -tx1 | tr -d ' \n')" = "7f454c46" ]; then return 0; fi
    done < <(LC_ALL=C grep -obUaP "$pattern" "$src" | cut -d: -f1)
  done
  rm -f "$out"
  return 1
}

module_load_list() { # kver -> lines "path args" in load order, without duplicates
  local kver=$1 m
  for m in "${INITRAMFS_MODULES[@]}"; do
    modprobe -S "$kver" --show-depends "$m" || die "modprobe --show-depends $m failed"
  done | awk '$1 == "insmod" && !seen[$2]++ { $1 = ""; sub(/^ /, ""); print }'
}

inputs_hash() {
  cat "$0" "$LAB_DIR/guest/init.sh" "$LAB_DIR/guest/lab-modprobe.sh" "$BUSYBOX" | sha256sum | cut -d' ' -f1
}

build() { # kver dest
  local kver=$1 dest=$2 stage path args
  stage=$(mktemp -d "$CACHE_DIR/.stage.XXXXXX")
  STAGE_DIR=$stage
  extract_vmlinux "/boot/vmlinuz-$kver" "$stage/vmlinux" || die "could not extract an ELF vmlinux from /boot/vmlinuz-$kver"
  local root=$stage/root
  mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,host,ovl,newroot,lib/modules}
  cp "$BUSYBOX" "$root/bin/busybox"
  cp "$LAB_DIR/guest/init.sh" "$root/init"
  cp "$LAB_DIR/guest/lab-modprobe.sh" "$root/sbin/lab-modprobe"
  chmod 755 "$root/init" "$root/sbin/lab-modprobe" "$root/bin/busybox"
  mknod -m 600 "$root/dev/console" c 5 1 2>/dev/null || true
  : > "$root/modules.list"
  while read -r path args; do
    [ -f "$path" ] || die "module file missing: $path"
    cp "$path" "$root/lib/modules/"
    printf '%s %s\n' "/lib/modules/$(basename "$path")" "$args" >> "$root/modules.list"
  done < <(module_load_list "$kver")
  (cd "$root" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --quiet) | gzip -9 > "$stage/initramfs.cpio.gz"
  printf 'kver=%s\ninputs=%s\n' "$kver" "$(inputs_hash)" > "$stage/stamp"
  rm -rf "$root"
  rm -rf "$dest"
  chmod 755 "$stage"
  mv "$stage" "$dest"
  STAGE_DIR=""
}

main() {
  local kver dest want
  kver=${LAB_KERNEL_VERSION:-$(newest_kernel)}
  [ -f "/boot/vmlinuz-$kver" ] || die "/boot/vmlinuz-$kver not found"
  command -v modprobe >/dev/null || die "modprobe (kmod) not installed"
  command -v cpio >/dev/null || die "cpio not installed"
  [ -x "$BUSYBOX" ] || die "$BUSYBOX not found (busybox-static)"
  dest="$CACHE_DIR/guest-$kver"
  want=$(printf 'kver=%s\ninputs=%s\n' "$kver" "$(inputs_hash)")
  exec 9> "$CACHE_DIR/.build.lock"
  flock -w 300 9 || die "timed out waiting for $CACHE_DIR/.build.lock"
  if [ ! -f "$dest/stamp" ] || [ "$(cat "$dest/stamp")" != "$want" ]; then
    echo "build-guest: building $dest" >&2
    build "$kver" "$dest"
  fi
  printf '%s\n' "$dest"
}

main "$@"
