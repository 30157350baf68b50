// The daemon's alerts (daemon/src/node/alert-delivery.ts) on fake hooks: only the master
// delivers; an entry's alerts wait until the replicated watermark (alerts-sent) passes them; a
// new master delivers what is above the watermark, and nothing below it; alerts of no entry go
// out from the master only. And mdadm.conf's MAILADDR/MAILFROM/PROGRAM (md/format/mdadm-conf-alerts.ts).
import { describe, expect, it } from 'vitest';
import type { Command } from '../../daemon/src/cluster/commands.js';
import { emptyClusterState, type ClusterState } from '../../daemon/src/cluster/types.js';
import { nodeId, term as termOf } from '../../daemon/src/common/types.js';
import type { ClusterEvent } from '../../daemon/src/control/protocol.js';
import { silentLogger } from '../../daemon/src/log/logger.js';
import { parseMdadmConf } from '../../daemon/src/md/format/mdadm-conf.js';
import { AlertDelivery } from '../../daemon/src/node/alert-delivery.js';
import type { RaftStatus } from '../../daemon/src/raft/types.js';

interface World { status: RaftStatus; state: ClusterState; proposed: Command[]; runs: string[][]; d: AlertDelivery }

function world(id: string, opts: { program?: string | null; mail?: string | null } = {}): World {
  const w = { status: { id: nodeId(id), term: termOf(2), role: 'follower', nowTick: 100 } as unknown as RaftStatus, state: emptyClusterState(), proposed: [] as Command[], runs: [] as string[][] } as World;
  w.d = new AlertDelivery(
    { program: opts.program === undefined ? '/usr/local/bin/alert' : opts.program, mail: opts.mail ?? null, mailFrom: 'md@example.org', syslog: false, incrementPercent: 20, host: 'h1' },
    { raftStatus: () => w.status, state: () => w.state, propose: (c) => { w.proposed.push(c); }, mdstat: () => 'Personalities : [raid1]\n' },
    { clock: { monoMs: () => 0, wallMs: () => 0 }, logger: silentLogger, commands: { run: async (cmd, argv, _t, stdin) => { w.runs.push([cmd, ...argv, ...(stdin === undefined ? [] : [`<${stdin.split('\n')[0]}`])]); return { ok: true }; } } },
  );
  return w;
}
const ev = (key: string, name: ClusterEvent['name'], component: string | null = null): ClusterEvent => ({ key, name, device: name.startsWith('Master') || name.startsWith('Node') ? null : '/dev/md0', component, node: 'n1', timeMs: 0 });
const becomeMaster = (w: World, term: number): void => {
  w.status = { ...w.status, role: 'leader', term: termOf(term) } as RaftStatus;
  w.state.master = { node: w.status.id, term: termOf(term) };
};
const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('alert delivery', () => {
  it('a standby queues the alerts of applied entries and delivers nothing', async () => {
    const w = world('n2');
    w.d.onEvent(ev('7', 'Fail', '/dev/sdb'));
    w.d.flush();
    await settle();
    expect([w.runs, w.proposed, w.d.pendingCount]).toEqual([[], [], 1]);
  });

  it('the master delivers in index order, then confirms with alerts-sent; the watermark prunes the queue', async () => {
    const w = world('n1');
    becomeMaster(w, 3);
    w.d.onEvent(ev('7', 'Fail', '/dev/sdb'));
    w.d.onEvent(ev('8', 'RebuildStarted'));
    w.d.flush();
    await settle();
    expect(w.runs).toEqual([['/usr/local/bin/alert', 'Fail', '/dev/md0', '/dev/sdb'], ['/usr/local/bin/alert', 'RebuildStarted', '/dev/md0']]);
    expect(w.proposed).toEqual([{ op: 'alerts-sent', term: 3, through: 8 }]);
    w.d.flush();
    await settle();
    expect(w.runs).toHaveLength(2); // delivered once
    w.state.alertsSentThrough = 8; // the alerts-sent entry applied
    w.d.flush();
    expect(w.d.pendingCount).toBe(0);
  });

  it('a new master delivers the alerts above the watermark (the old master died before confirming), none below', async () => {
    const w = world('n2');
    w.d.onEvent(ev('7', 'Fail', '/dev/sdb'));
    w.d.onEvent(ev('9', 'RebuildStarted'));
    w.state.alertsSentThrough = 7; // the old master confirmed the Fail
    w.d.flush();
    becomeMaster(w, 4);
    w.d.onEvent(ev('12', 'MasterChanged', 'n1 -> n2 (term 4)'));
    w.d.flush();
    await settle();
    expect(w.runs.map((r) => r[1])).toEqual(['RebuildStarted', 'MasterChanged']);
    expect(w.proposed).toEqual([{ op: 'alerts-sent', term: 4, through: 12 }]);
  });

  it("an event of no entry (this node's view) goes out at once, from the master only", async () => {
    const standby = world('n2');
    standby.d.onEvent(ev('health:n2:1', 'NodeDown', 'n3 unreachable from n2'));
    const master = world('n1');
    becomeMaster(master, 2);
    master.d.onEvent(ev('health:n1:1', 'NodeDown', 'n3 unreachable from n1'));
    await settle();
    expect(standby.runs).toEqual([]);
    expect(master.runs).toEqual([['/usr/local/bin/alert', 'NodeDown', 'cluster', 'n3 unreachable from n1']]);
    expect([standby.d.pendingCount, master.d.pendingCount]).toEqual([0, 0]);
  });

  it('mails what mdadm mails, with From: from MAILFROM', async () => {
    const w = world('n1', { program: null, mail: 'root@localhost' });
    becomeMaster(w, 2);
    w.d.onEvent(ev('5', 'Fail', '/dev/sdb'));
    w.d.onEvent(ev('6', 'RebuildStarted'));
    w.d.flush();
    await settle();
    expect(w.runs).toEqual([['/usr/sbin/sendmail', '-t', '<From: md@example.org']]);
  });
});

describe('mdadm.conf alert keywords', () => {
  it('reads MAILADDR, MAILFROM and PROGRAM (three letters or more, any case, continuation lines, comments)', () => {
    expect(parseMdadmConf('# alerts\nMAILADDR root@example.org other@x\nmailfrom md monitor <md@example.org>\nPROG /usr/sbin/handle-md # the handler\nARRAY /dev/md0 UUID=1:2:3:4\n'))
      .toMatchObject({ mailAddr: 'root@example.org', mailFrom: 'md monitor <md@example.org>', program: '/usr/sbin/handle-md' });
    expect(parseMdadmConf('MA root@x\nMAIL root@y\nPROGRAM\n  /bin/handler\n')).toMatchObject({ mailAddr: null, mailFrom: null, program: '/bin/handler' });
  });
});
