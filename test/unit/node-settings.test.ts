// The one config -> NodeSettings derivation (daemon/src/node-settings.ts), shared by the daemon
// and the cluster simulator.
import { describe, expect, it } from 'vitest';
import { nodeId } from '../../daemon/src/common/types.js';
import { nodeSettingsFromConfig, type NodeConfig } from '../../daemon/src/node-settings.js';

function config(leaseTicks: number): NodeConfig {
  return {
    nodeId: nodeId('a'),
    peers: new Map([[nodeId('a'), { host: '10.0.0.1', port: 7001 }], [nodeId('b'), { host: 'fd00::2', port: 7001 }]]),
    cluster: { join: true },
    timing: { tickMs: 10, heartbeatTicks: 2, electionTicks: 30, leaseTicks, driftBoundTicks: 2, clockDriftPpm: null },
    master: { fenceAction: 'reboot', fenceCommand: ['/bin/true'], fenceTimeoutMs: 100, fenceRequired: true, checkpointIntervalMs: 200, unconfirmedGraceMs: 300 },
  };
}

describe('nodeSettingsFromConfig', () => {
  it('carries the timing into the Raft config and the master section into the writer role', () => {
    const reboot = (): void => {};
    const s = nodeSettingsFromConfig(config(20), { reboot, writerLogFile: '/x/writer.log', snapshotEveryEntries: 7 });
    expect(s.id).toBe('a');
    expect(s.join).toBe(true);
    expect(s.peers).toEqual([{ id: 'a', address: '10.0.0.1:7001' }, { id: 'b', address: '[fd00::2]:7001' }]);
    expect(s.raft).toMatchObject({ electionTimeoutTicks: 30, heartbeatTicks: 2, leaseTicks: 20, clockDriftBoundTicks: 2, checkQuorum: true, preVote: true });
    expect(s.writer).toMatchObject({ demoteMarginTicks: 4, fenceAction: 'reboot', fenceCommand: ['/bin/true'], fenceTimeoutMs: 100, fenceRequired: true, checkpointIntervalMs: 200, unconfirmedGraceMs: 300 });
    expect(s.writer.reboot).toBe(reboot);
    expect([s.tickMs, s.writerLogFile, s.snapshotEveryEntries]).toEqual([10, '/x/writer.log', 7]);
  });

  it('keeps a demote margin of at least one tick', () => {
    expect(nodeSettingsFromConfig(config(3), { reboot: () => {}, writerLogFile: null, snapshotEveryEntries: 2 }).writer.demoteMarginTicks).toBe(1);
  });
});

describe('nodeSettingsFromConfig relations', () => {
  it('refuses a lease too short to leave a demote margin inside it', () => {
    expect(() => nodeSettingsFromConfig(config(1), { reboot: () => {}, writerLogFile: null, snapshotEveryEntries: 2 })).toThrow(/demote margin/);
  });
});
