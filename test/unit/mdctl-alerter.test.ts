// Unit tests of mdctl --monitor's Alerter: de-duplication by event key, RebuildNN at any
// --increment (mdadm's two-digit names, one alert per step crossed), and what each channel
// (--program argv, --mail, --syslog, stdout) receives. The channels are recording sinks.
import { describe, expect, it } from 'vitest';
import { MONITOR_MAX_SEEN_KEYS } from '../../daemon/src/common/limits.js';
import type { ClusterEvent } from '../../daemon/src/control/protocol.js';
import { Alerter, rebuildEventName, syslogPriority, type AlertSinks, type AlerterOptions } from '../../daemon/src/md/format/alerter.js';

interface Recorded { program: string[][]; mail: { to: string; subject: string; body: string }[]; syslog: [string, string][]; stdout: string[] }

function make(over: Partial<AlerterOptions> = {}): { a: Alerter; rec: Recorded } {
  const rec: Recorded = { program: [], mail: [], syslog: [], stdout: [] };
  const sinks: AlertSinks = {
    program: (argv) => rec.program.push(argv), mail: (to, subject, body) => rec.mail.push({ to, subject, body }),
    syslog: (p, m) => rec.syslog.push([p, m]), stdout: (l) => rec.stdout.push(l),
  };
  const a = new Alerter({
    program: '/usr/local/sbin/md-alert', mail: null, syslog: false, incrementPercent: 20, host: 'node1',
    nowMs: () => Date.UTC(2026, 10, 21, 23, 9, 35), mdstat: () => 'Personalities : [raid1]\n', ...over,
  }, sinks);
  return { a, rec };
}

let seq = 0;
function ev(name: ClusterEvent['name'], over: Partial<ClusterEvent> = {}): ClusterEvent {
  return { key: String(++seq), name, device: '/dev/md0', component: null, node: 'node1', timeMs: 0, ...over };
}

/** Feeds events and raises what they give; returns the event names raised. */
function feed(a: Alerter, events: ClusterEvent[]): string[] {
  const out: string[] = [];
  for (const e of events) for (const x of a.onEvent(e)) { a.raise(x); out.push(x.event); }
  return out;
}

describe('Alerter de-duplication', () => {
  it('raises an event once per key, however often it is delivered', () => {
    const { a, rec } = make();
    const fail = ev('Fail', { component: '/dev/sdb' });
    expect(feed(a, [fail, fail, { ...fail }])).toEqual(['Fail']);
    expect(rec.program).toEqual([['/usr/local/sbin/md-alert', 'Fail', '/dev/md0', '/dev/sdb']]);
    expect(feed(a, [ev('Fail', { component: '/dev/sdb' })])).toEqual(['Fail']);
  });
  it('distinguishes events of one entry by name, device and component', () => {
    const { a } = make();
    const key = 'k1';
    expect(feed(a, [
      ev('Fail', { key, component: '/dev/sdb' }), ev('Fail', { key, component: '/dev/sdc' }), ev('RebuildStarted', { key }), ev('Fail', { key, component: '/dev/sdb' }),
    ])).toEqual(['Fail', 'Fail', 'RebuildStarted']);
  });
  it('forgets the oldest key once MONITOR_MAX_SEEN_KEYS are remembered, and never grows past it', () => {
    const { a } = make();
    const first = ev('NewArray', { key: 'first' });
    expect(a.onEvent(first)).toHaveLength(1);
    for (let i = 0; i < MONITOR_MAX_SEEN_KEYS; i++) a.onEvent(ev('NewArray', { key: `k${i}` }));
    expect(a.onEvent(ev('NewArray', { key: `k${MONITOR_MAX_SEEN_KEYS - 1}` }))).toHaveLength(0);
    expect(a.onEvent(first)).toHaveLength(1);
  });
});

describe('RebuildNN', () => {
  const progress = (ps: number[], device = '/dev/md0') => ps.map((p) => ev('Rebuild', { percent: p, device }));
  it('names steps with two digits, as mdadm does', () => {
    expect(rebuildEventName(5)).toBe('Rebuild05');
    expect(rebuildEventName(40)).toBe('Rebuild40');
  });
  it('raises each --increment step once, named by the percent reached (mdadm: mse->percent), never at 0 or 100', () => {
    const { a } = make();
    expect(feed(a, [ev('RebuildStarted'), ...progress([0, 5, 19, 20, 21, 39, 45, 99, 100]), ev('RebuildFinished')]))
      .toEqual(['RebuildStarted', 'Rebuild20', 'Rebuild45', 'Rebuild99', 'RebuildFinished']);
  });
  it('with --increment 5 every 5 %; a jump over several steps gives one alert for the last', () => {
    const { a } = make({ incrementPercent: 5 });
    expect(feed(a, [ev('RebuildStarted'), ...progress([4, 5, 7, 10, 33, 34, 35])])).toEqual(['RebuildStarted', 'Rebuild05', 'Rebuild10', 'Rebuild33', 'Rebuild35']);
  });
  it('with --increment 1 and 99 too', () => {
    const one = make({ incrementPercent: 1 }).a;
    expect(feed(one, progress([1, 2, 2, 3]))).toEqual(['Rebuild01', 'Rebuild02', 'Rebuild03']);
    const big = make({ incrementPercent: 99 }).a;
    expect(feed(big, progress([50, 98, 99]))).toEqual(['Rebuild99']);
  });
  it('tracks arrays separately and starts again after RebuildFinished / RebuildStarted', () => {
    const { a } = make();
    expect(feed(a, [...progress([45], '/dev/md0'), ...progress([25], '/dev/md1')])).toEqual(['Rebuild45', 'Rebuild25']);
    expect(feed(a, [ev('RebuildFinished'), ev('RebuildStarted'), ...progress([21])])).toEqual(['RebuildFinished', 'RebuildStarted', 'Rebuild21']);
  });
  it('does not report progress made before the monitor started', () => {
    const { a } = make();
    a.noteProgress('/dev/md0', 47);
    expect(feed(a, progress([48, 59, 61]))).toEqual(['Rebuild61']);
  });
});

describe('alert channels', () => {
  it('--program gets "event device [component]" as argv', () => {
    const { a, rec } = make();
    feed(a, [ev('DegradedArray'), ev('Fail', { component: '/dev/sdc' })]);
    expect(rec.program).toEqual([['/usr/local/sbin/md-alert', 'DegradedArray', '/dev/md0'], ['/usr/local/sbin/md-alert', 'Fail', '/dev/md0', '/dev/sdc']]);
  });
  it('cluster events name the cluster as device and carry their detail', () => {
    const { a, rec } = make();
    feed(a, [ev('MasterChanged', { device: null, detail: 'node1 -> node2 (term 5)' })]);
    expect(rec.program).toEqual([['/usr/local/sbin/md-alert', 'MasterChanged', 'cluster', 'node1 -> node2 (term 5)']]);
  });
  it('--mail only for the events mdadm mails (and lost quorum / fencing)', () => {
    const { a, rec } = make({ program: null, mail: 'root@localhost' });
    feed(a, [ev('RebuildStarted'), ev('Fail', { component: '/dev/sdb' }), ev('NewArray'), ev('QuorumLost', { device: null }), ev('TestMessage')]);
    expect(rec.mail.map((m) => m.subject)).toEqual(['Fail event on /dev/md0:node1', 'QuorumLost event on cluster:node1', 'TestMessage event on /dev/md0:node1']);
    expect(rec.mail[0].to).toBe('root@localhost');
    expect(rec.mail[0].body).toContain('A Fail event had been detected on md device /dev/md0.\n\nIt could be related to component device /dev/sdb.');
    expect(rec.mail[0].body).toContain('Personalities : [raid1]');
  });
  it('--syslog gets every alert, crit for failures, warning for rebuilds', () => {
    const { a, rec } = make({ program: null, syslog: true });
    feed(a, [ev('Fail', { component: '/dev/sdb' }), ev('RebuildStarted'), ev('NewArray')]);
    expect(rec.syslog).toEqual([
      ['crit', 'Fail event detected on md device /dev/md0, component device /dev/sdb'],
      ['warning', 'RebuildStarted event detected on md device /dev/md0'],
      ['info', 'NewArray event detected on md device /dev/md0'],
    ]);
    expect(syslogPriority('DeviceDisappeared')).toBe('crit');
    expect(rec.stdout).toEqual([]);
  });
  it('with nothing configured, prints mdadm\'s line on stdout', () => {
    const { a, rec } = make({ program: null });
    expect(a.configured).toBe(false);
    feed(a, [ev('Fail', { component: '/dev/sdb' }), ev('NewArray')]);
    expect(rec.stdout).toEqual(['Nov 21 23:09:35: Fail on /dev/md0 /dev/sdb\n', 'Nov 21 23:09:35: NewArray on /dev/md0 unknown device\n']);
  });
});

describe('RebuildFinished', () => {
  it('carries md\'s mismatch count in the component\'s place, as mdadm does, only when there were mismatches', () => {
    const { a } = make();
    expect(a.onEvent(ev('RebuildFinished', { key: 'k1', mismatchCount: 128, raidLevel: 1 }))).toEqual([{ event: 'RebuildFinished', device: '/dev/md0', component: ' mismatches found: 128 (on raid level 1)' }]);
    expect(a.onEvent(ev('RebuildFinished', { key: 'k2', mismatchCount: 0, raidLevel: 1 }))).toEqual([{ event: 'RebuildFinished', device: '/dev/md0', component: null }]);
  });
});
