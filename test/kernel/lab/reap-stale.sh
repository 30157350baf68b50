# Sourced by the lanes' run.sh (test/kernel, test/cluster): reaping what dead lab runs left.
# Owns: pid_alive and reap_stale. Invariant: only netns / run dirs / qemu of owners that are
# no longer alive are touched.
pid_alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null; }

# Lab netns and run dirs are named mdlab-<owner pid>-...; reap those of dead owners only, so
# another engineer's run in progress is never touched. qemu is killed by its own pid, and
# only when its command line names the run dir.
reap_stale() {
  local ns owner dir pid
  while read -r ns _; do
    [[ $ns =~ ^mdlab-([0-9]+)- ]] || continue
    owner=${BASH_REMATCH[1]}
    pid_alive "$owner" || ip netns del "$ns" 2>/dev/null || true
  done < <(ip netns list 2>/dev/null)
  for dir in "${TMPDIR:-/tmp}"/mdlab-*; do
    [ -d "$dir" ] || continue
    [[ $(basename "$dir") =~ ^mdlab-([0-9]+)- ]] || continue
    owner=${BASH_REMATCH[1]}
    pid_alive "$owner" && continue
    while read -r pid; do
      if pid_alive "$pid" && tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -qF "$dir"; then
        kill -KILL "$pid" 2>/dev/null || true
      fi
    done < <(cat "$dir"/qemu.pid "$dir"/*/qemu.pid 2>/dev/null)
    [ "${LAB_KEEP_RUNS:-0}" = 1 ] || rm -rf "$dir"
  done
}
