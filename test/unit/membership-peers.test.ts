// The peer directory (daemon/src/node/peers.ts): the rule deciding which nodes a node talks to
// through a membership change, and the linger before a departed peer is forgotten, against a
// recording transport.
import { describe, expect, it } from 'vitest';
import { nodeId, type NodeId } from '../../daemon/src/common/types.js';
import type { NodeRecord } from '../../daemon/src/cluster/types.js';
import type { HostPort } from '../../daemon/src/config/hostport.js';
import { silentLogger } from '../../daemon/src/log/logger.js';
import type { PeerTransport } from '../../daemon/src/node/deps.js';
import { desiredPeers, PeerDirectory } from '../../daemon/src/node/peers.js';

const [n1, n2, n3, n4] = ['n1', 'n2', 'n3', 'n4'].map(nodeId);
const addr = (id: string): string => `10.0.0.${id.slice(1)}:8401`;
const rec = (...ids: NodeId[]): NodeRecord[] => ids.map((id) => ({ id, address: addr(id) }));
const conf = (voters: NodeId[], learners: NodeId[] = []) => ({ voters, learners });
const cfg = (...ids: NodeId[]): Map<NodeId, string> => new Map(ids.map((id) => [id, addr(id)]));
const sorted = (m: ReadonlyMap<NodeId, string>): string[] => [...m.keys()].sort();

class RecordingTransport implements PeerTransport {
  readonly calls: string[] = [];
  async start(): Promise<void> {}
  send(): void {}
  onMessage(): void {}
  onPeerState(): void {}
  async close(): Promise<void> {}
  addPeer(id: NodeId, a: HostPort): boolean { this.calls.push(`add ${id} ${a.host}:${a.port}`); return true; }
  removePeer(id: NodeId): boolean { this.calls.push(`remove ${id}`); return true; }
}

describe('desiredPeers', () => {
  it('a founding node before any record: the Raft members at their configured addresses, never itself', () => {
    const p = desiredPeers(n1, [], conf([n1, n2, n3]), new Map(), cfg(n1, n2, n3));
    expect(sorted(p)).toEqual(['n2', 'n3']);
    expect(p.get(n2)).toBe(addr('n2'));
  });

  it('a joining node with no membership yet uses its configured peers', () => {
    expect(sorted(desiredPeers(n4, [], conf([]), new Map(), cfg(n1, n2, n3, n4)))).toEqual(['n1', 'n2', 'n3']);
  });

  it('a node-add reaches every transport before the learner is in the conf', () => {
    const p = desiredPeers(n1, rec(n1, n2, n3, n4), conf([n1, n2, n3]), cfg(n2, n3), cfg(n1, n2, n3));
    expect(sorted(p)).toEqual(['n2', 'n3', 'n4']);
  });

  it('the recorded address wins over the configured one', () => {
    const moved = [{ id: n2, address: '192.168.1.2:9000' }];
    expect(desiredPeers(n1, moved, conf([n1, n2]), new Map(), cfg(n1, n2)).get(n2)).toBe('192.168.1.2:9000');
  });

  it('a member whose record is gone keeps its previous address while it is in the conf, and leaves with it', () => {
    const prev = new Map([[n4, '10.9.9.9:1']]);
    // node-remove applied first (the master removing itself): still in the conf
    expect(desiredPeers(n1, rec(n1, n2, n3), conf([n1, n2, n3, n4]), prev, cfg(n1, n2, n3)).get(n4)).toBe('10.9.9.9:1');
    // then the conf remove: gone
    expect(sorted(desiredPeers(n1, rec(n1, n2, n3), conf([n1, n2, n3]), prev, cfg(n1, n2, n3)))).toEqual(['n2', 'n3']);
  });

  it('a configured node removed from both memberships is not a peer (a stale config file does not resurrect it)', () => {
    expect(sorted(desiredPeers(n1, rec(n1, n2), conf([n1, n2]), new Map(), cfg(n1, n2, n3)))).toEqual(['n2']);
  });

  it('learners are peers', () => {
    expect(sorted(desiredPeers(n1, [], conf([n1, n2], [n4]), new Map([[n4, addr('n4')]]), cfg(n1, n2)))).toEqual(['n2', 'n4']);
  });
});

describe('PeerDirectory', () => {
  it('pushes additions and moves at once, removals only after the linger time', () => {
    const t = new RecordingTransport();
    const d = new PeerDirectory(n1, cfg(n1, n2, n3), t, silentLogger, 500);
    expect(d.ids().sort()).toEqual(['n2', 'n3']);
    expect(d.sync(rec(n1, n2, n3), conf([n1, n2, n3]), 0)).toEqual({ added: [], moved: [], left: [] });
    expect(t.calls).toEqual([]);
    d.sync(rec(n1, n2, n3, n4), conf([n1, n2, n3], [n4]), 10);
    expect(t.calls).toEqual(['add n4 10.0.0.4:8401']);
    d.sync([...rec(n1, n3, n4), { id: n2, address: '10.0.1.2:8401' }], conf([n1, n2, n3, n4]), 20);
    expect(t.calls.at(-1)).toBe('add n2 10.0.1.2:8401');
    expect(d.sync(rec(n1, n2, n4), conf([n1, n2, n4]), 100).left).toEqual(['n3']);
    expect(d.ids().sort()).toEqual(['n2', 'n4']); // no longer gossiped to ...
    expect(d.address(n3)).toBe(addr('n3')); // ... but still known
    expect(d.expire(599)).toEqual([]);
    expect(t.calls).not.toContain('remove n3');
    expect(d.expire(600)).toEqual(['n3']);
    expect(t.calls.at(-1)).toBe('remove n3');
    expect(d.expire(10_000)).toEqual([]);
  });

  it('a peer that comes back while lingering is kept (a truncated conf entry) and never removed', () => {
    const t = new RecordingTransport();
    const d = new PeerDirectory(n1, cfg(n1, n2, n3), t, silentLogger, 500);
    d.sync(rec(n1, n2), conf([n1, n2]), 0);
    d.sync(rec(n1, n2), conf([n1, n2, n3]), 100);
    expect(d.ids().sort()).toEqual(['n2', 'n3']);
    expect(d.expire(1000)).toEqual([]);
    expect(t.calls).toEqual([]);
  });

  it('an address the transport cannot parse is not dialed, and does not throw', () => {
    const t = new RecordingTransport();
    const d = new PeerDirectory(n1, cfg(n1), t, silentLogger, 500);
    expect(() => d.sync([{ id: n2, address: 'not..valid:1' }], conf([n1, n2]), 0)).not.toThrow();
    expect(t.calls).toEqual([]);
  });
});
