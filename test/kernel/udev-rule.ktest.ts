// The package's udev rule (etc/udev/rules.d/63-mdclusterd.rules, shipped as
// /usr/lib/udev/rules.d/63-mdclusterd.rules) under udev's own rules engine, in one guest of the
// kernel lab. The guests run no udevd, so the rule is exercised with `udevadm test` (systemd
// 252's udevadm from the guest's Debian tree): it reads every rules file, runs the builtins and
// IMPORT{program} lines for real (blkid, and 64-md-raid-assembly.rules' `mdadm --incremental`)
// and only leaves RUN+= programs out. The device is a real md member on the real kernel: a
// loop device carrying the superblock of a stopped raid1.
// Checked: without a file in /etc/mdclusterd/managed-arrays.d/ the member is left to mdadm's
// incremental assembly (it really assembles it: md9 inactive with the member); with the file
// named by the member's ID_FS_UUID (as `blkid -o value -s UUID` prints it) the rule sets
// ANACONDA, UDISKS_IGNORE and MDCLUSTERD_MANAGED and mdadm's rule skips the device (no MD_*
// properties, no array in /proc/mdstat).
// Not exercised: a real uevent delivered by a running udevd (and so the rule's effect on the
// event's RUN+= programs, which udevadm test does not run), and udisks honouring UDISKS_IGNORE.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { labPaths } from './lab/config.js';
import { bootGuest, describeResult } from './lab/index.js';
import type { GuestResult } from './lab/types.js';

const RULE = 'etc/udev/rules.d/63-mdclusterd.rules';

// Each section: the properties udevadm test printed (the block after its banner), then /proc/mdstat.
const SCRIPT = `set -eu
modprobe loop; modprobe md_mod; modprobe raid1
truncate -s 32M /tmp/a.img /tmp/b.img
A=$(losetup -f --show /tmp/a.img); B=$(losetup -f --show /tmp/b.img)
mdadm --create /dev/md9 --run --level=1 --raid-devices=2 --metadata=1.2 "$A" "$B" 2>&1
mdadm --stop /dev/md9 2>&1
install -m 0644 "$RULE_FILE" /usr/lib/udev/rules.d/63-mdclusterd.rules
mkdir -p /etc/mdclusterd/managed-arrays.d
section() {
  echo "=== $1"
  udevadm test --action=add "/sys/class/block/\${A#/dev/}" 2>/dev/null | sed -n '/^DEVPATH=/,/^$/p'
  echo "--- mdstat"
  cat /proc/mdstat
  echo "--- rules read"
  udevadm test --action=add "/sys/class/block/\${A#/dev/}" 2>&1 >/dev/null | grep -c 'Reading rules file: /usr/lib/udev/rules.d/63-mdclusterd.rules' || true
}
section unmanaged
mdadm --stop --scan 2>&1
UUID=$(blkid -o value -s UUID "$A")
echo "uuid=$UUID"
touch "/etc/mdclusterd/managed-arrays.d/$UUID"
section managed
`;

interface Section { props: Map<string, string>; mdstat: string; rulesRead: string }

function section(out: string, name: string): Section {
  const start = out.indexOf(`=== ${name}\n`);
  if (start < 0) throw new Error(`no section ${name} in:\n${out}`);
  const end = out.indexOf('\n=== ', start + 1);
  const text = out.slice(start, end < 0 ? undefined : end);
  const [propsText, rest] = text.split('--- mdstat\n') as [string, string];
  const [mdstat, rulesRead] = rest.split('--- rules read\n') as [string, string];
  const props = new Map(propsText.split('\n').filter((l) => /^[A-Z_]+=/.test(l)).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as [string, string]));
  return { props, mdstat, rulesRead: rulesRead.trim().split('\n')[0]! };
}

describe('63-mdclusterd.rules under udevadm test, on a real md member', () => {
  let r: GuestResult;
  beforeAll(async () => {
    r = await bootGuest({ cmd: ['sh', '-c', SCRIPT], cwd: labPaths().repoRoot, env: { RULE_FILE: join(labPaths().repoRoot, RULE) }, name: 'udev-rule', timeoutMs: 300_000 });
    expect(r.outcome, describeResult(r)).toBe('exited');
    expect(r.exitCode, describeResult(r)).toBe(0);
  }, 360_000);

  it('the guest runs the shipped rule file', () => {
    expect(readFileSync(join(labPaths().repoRoot, RULE), 'utf8')).toMatch(/ENV\{ANACONDA\}="mdclusterd"/);
    expect(section(r.stdout, 'unmanaged').rulesRead).toBe('1');
  });

  it('an unlisted array\'s member is left to mdadm --incremental (which assembles it)', () => {
    const s = section(r.stdout, 'unmanaged');
    expect(s.props.get('ID_FS_TYPE')).toBe('linux_raid_member');
    expect(s.props.has('MDCLUSTERD_MANAGED')).toBe(false);
    expect(s.props.has('ANACONDA')).toBe(false);
    expect(s.props.get('MD_DEVICE')).toBe('md9');
    expect(s.mdstat).toMatch(/^md9 : inactive loop\d+\[0\]\(S\)/m);
  });

  it('a member of a listed array is marked managed and mdadm\'s incremental assembly skips it', () => {
    const uuid = /^uuid=(\S+)$/m.exec(r.stdout)?.[1];
    const s = section(r.stdout, 'managed');
    expect(s.props.get('ID_FS_UUID')).toBe(uuid);
    expect(s.props.get('MDCLUSTERD_MANAGED')).toBe('1');
    expect(s.props.get('ANACONDA')).toBe('mdclusterd');
    expect(s.props.get('UDISKS_IGNORE')).toBe('1');
    expect([...s.props.keys()].filter((k) => k.startsWith('MD_') || k === 'SYSTEMD_WANTS')).toEqual([]);
    expect(s.mdstat).not.toMatch(/^md\d+ :/m);
  });
});
