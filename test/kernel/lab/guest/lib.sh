# Kernel lab guest helpers, sourced by scenario scripts that run INSIDE a lab guest (POSIX sh,
# the host's dash through the 9p root). Owns: the guest side of the lab's conventions:
# - results:   files under $LAB_OUT (the host reads them back as GuestResult.files);
# - captures:  lab_capture NAME MD... writes NAME/mdstat.txt (taken first), and per array
#              NAME/sysfs-MD.txt (the kernel-samples sysfs.txt layout) and NAME/detail-MD.txt;
# - facts:     lab_fact KEY VALUE appends "KEY=VALUE" to $LAB_OUT/facts.txt;
# - marks:     lab_mark TEXT prints "LAB-MARK TEXT" on the console (host: waitForMark);
# - bus:       lab_signal / lab_wait_signal through /lab/bus, shared by a cluster's guests;
# - endings:   lab_crash (sysrq b: no clean shutdown) and lab_poweroff (clean stop).
# Invariants: every wait is bounded (a timeout fails the script with a message naming what
# it waited for); helpers fail loudly (exit 1) instead of going on with a wrong state.
export LC_ALL=C
: "${LAB_OUT:=/lab/out}"
LAB_BUS=/lab/bus
LAB_POLL_INTERVAL_S=0.1

lab_uptime() { read -r _lab_up _lab_idle < /proc/uptime; echo "$_lab_up"; }
# Whole seconds of uptime, without a fork (dash builtins only).
lab_uptime_s() { read -r _lab_up _lab_idle < /proc/uptime; echo "${_lab_up%.*}"; }
lab_log() { echo "[$(lab_uptime)] $*"; }
lab_die() { echo "[$(lab_uptime)] FAILED: $*" >&2; exit 1; }
lab_mark() { echo "LAB-MARK $*" > /dev/console; }
lab_fact() { printf '%s=%s\n' "$1" "$2" >> "$LAB_OUT/facts.txt"; }

# lab_run CMD...: logs and runs a command; a failure ends the script.
lab_run() {
  lab_log "+ $*"
  "$@" || lab_die "command failed ($?): $*"
}

# lab_sysfs MD FILE: one md sysfs attribute (without the trailing newline).
lab_sysfs() { _lab_read "/sys/block/$1/md/$2" && echo "$_lab_v"; }
# _lab_read FILE: one sysfs value into $_lab_v without a fork; fails if unreadable.
_lab_read() { _lab_v=""; { IFS= read -r _lab_v || [ -n "$_lab_v" ]; } 2>/dev/null < "$1"; }
lab_sysfs_set() { lab_log "echo $3 > /sys/block/$1/md/$2"; echo "$3" > "/sys/block/$1/md/$2" || lab_die "write $3 to $1/md/$2"; }

# lab_speed MIN MAX: the system-wide resync/recovery speed limits, in KiB/s.
lab_speed() {
  [ -d /proc/sys/dev/raid ] || modprobe md_mod || lab_die "modprobe md_mod"
  echo "$1" > /proc/sys/dev/raid/speed_limit_min
  echo "$2" > /proc/sys/dev/raid/speed_limit_max
}

# lab_poll_for SECONDS CMD...: polls CMD until it succeeds (status 0) or SECONDS pass (1).
lab_poll_for() {
  _lab_deadline=$(( $(lab_uptime_s) + $1 + 1 )); shift
  while ! "$@" > /dev/null 2>&1; do
    [ "$(lab_uptime_s)" -lt "$_lab_deadline" ] || return 1
    sleep "$LAB_POLL_INTERVAL_S"
  done
}

# lab_wait_for SECONDS WHAT CMD...: lab_poll_for that fails the script on timeout.
lab_wait_for() {
  _lab_limit=$1; _lab_what=$2; shift 2
  lab_poll_for "$_lab_limit" "$@" || lab_die "timed out after ${_lab_limit}s waiting for: $_lab_what"
}

# lab_sync_done MD: the "done" part of md/sync_completed in sectors, or "none".
lab_sync_done() {
  _lab_sc=$(lab_sysfs "$1" sync_completed)
  case "$_lab_sc" in
    *" / "*) echo "${_lab_sc%% / *}" ;;
    *) echo "$_lab_sc" ;;
  esac
}
lab_sync_at_least() { _lab_d=$(lab_sync_done "$1"); [ "$_lab_d" != none ] && [ "$_lab_d" -ge "$2" ]; }
lab_sysfs_is() { [ "$(lab_sysfs "$1" "$2")" = "$3" ]; }
# In sync and idle: nothing degraded, no sync running, no resync pending.
lab_md_settled() {
  lab_sysfs_is "$1" sync_action idle && lab_sysfs_is "$1" degraded 0 && lab_sysfs_is "$1" resync_start none &&
    lab_sysfs_is "$1" sync_completed none
}
lab_wait_settled() { lab_wait_for "$2" "$1 in sync and idle" lab_md_settled "$1"; }
lab_wait_sync_at_least() { lab_wait_for "$3" "$1 sync_completed >= $2" lab_sync_at_least "$1" "$2"; }

_lab_sysfs_line() {
  if _lab_read "$2"; then printf '%s=%s\n' "$1" "$_lab_v"; else printf '%s=<error>\n' "$1"; fi
}

# lab_sysfs_dump MD: every regular file of /sys/block/MD/md as name=value, glob order;
# dev-* directories as state, slot, errors, offset, size, recovery_start; rdN links skipped.
lab_sysfs_dump() {
  _lab_base=/sys/block/$1/md
  for _lab_e in "$_lab_base"/*; do
    _lab_n=${_lab_e#"$_lab_base"/}
    if [ -L "$_lab_e" ]; then
      continue
    elif [ -d "$_lab_e" ]; then
      case "$_lab_n" in
        dev-*) for _lab_f in state slot errors offset size recovery_start; do _lab_sysfs_line "$_lab_n/$_lab_f" "$_lab_e/$_lab_f"; done ;;
        *) for _lab_f in "$_lab_e"/*; do [ -f "$_lab_f" ] && _lab_sysfs_line "$_lab_n/${_lab_f##*/}" "$_lab_f"; done ;;
      esac
    elif [ -f "$_lab_e" ]; then
      _lab_sysfs_line "$_lab_n" "$_lab_e"
    fi
  done
}

# lab_capture NAME MD...: /proc/mdstat first, then each array's sysfs and mdadm --detail.
lab_capture() {
  _lab_dir=$LAB_OUT/$1; shift
  mkdir -p "$_lab_dir"
  cat /proc/mdstat > "$_lab_dir/mdstat.txt"
  lab_uptime > "$_lab_dir/uptime.txt"
  for _lab_md in "$@"; do
    lab_sysfs_dump "$_lab_md" > "$_lab_dir/sysfs-$_lab_md.txt"
    mdadm --detail "/dev/$_lab_md" > "$_lab_dir/detail-$_lab_md.txt" 2>&1 || true
  done
  lab_log "captured ${_lab_dir#"$LAB_OUT"/}"
}

# Cluster bus: a file per signal in the shared /lab/bus (9p without caching).
lab_signal() { : > "$LAB_BUS/$1" || lab_die "cannot signal $1"; lab_log "signal $1"; }
lab_signal_seen() { [ -e "$LAB_BUS/$1" ]; }
lab_wait_signal() { lab_wait_for "$2" "signal $1" lab_signal_seen "$1"; lab_log "seen $1"; }

# lab_crash: reboot at once (no sync, no array stop); qemu exits because of -no-reboot.
lab_crash() {
  lab_log "crash (sysrq b)"
  echo b > /proc/sysrq-trigger
  sleep 60
}

# lab_poweroff: stop every array, record a clean exit and power off now.
lab_poweroff() {
  mdadm --stop --scan > /dev/null 2>&1
  echo 0 > /lab/exit-code
  sync
  echo o > /proc/sysrq-trigger
  sleep 60
}

# lab_tcp_send HOST PORT TEXT: one TCP connection carrying TEXT (busybox nc); fails if refused.
lab_tcp_send() { printf '%s\n' "$3" | busybox nc -w 5 "$1" "$2"; }
