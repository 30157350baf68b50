// When a node gossips (daemon/src/node/gossip.ts maybeAnnounce): at once when its term, its
// applied index or its set of writable arrays changed (a new master waits for the old one's
// "none writable" in the new term), otherwise only every GOSSIP_REFRESH_MS. Fake hooks and clock.
import { describe, expect, it } from 'vitest';
import { nodeId } from '../../daemon/src/common/types.js';
import { GOSSIP_REFRESH_MS, Gossip } from '../../daemon/src/node/gossip.js';

function world(): { g: Gossip; sent: { applied: number; term: number; writable: string[] }[]; set: { nowMs: number; term: number; writable: string[]; generation: number } } {
  const set = { nowMs: 0, term: 3, writable: ['md0'], generation: 1 };
  const sent: { applied: number; term: number; writable: string[] }[] = [];
  const g = new Gossip({
    term: () => set.term, writableDevices: () => set.writable, writableGeneration: () => set.generation,
    send: (body) => { sent.push(JSON.parse(new TextDecoder().decode(body)) as { applied: number; term: number; writable: string[] }); },
    peerIds: () => [nodeId('n2')], voters: () => [nodeId('n1'), nodeId('n2')],
  }, { monoMs: () => set.nowMs, wallMs: () => set.nowMs }, { setTimeout: () => ({ cancel() {} }), setInterval: () => ({ cancel() {} }) }, 10);
  return { g, sent, set };
}

describe('gossip announcements', () => {
  it('sends nothing while nothing changed, until the refresh is due', () => {
    const { g, sent, set } = world();
    g.maybeAnnounce(7);
    expect(sent).toHaveLength(1);
    set.nowMs = GOSSIP_REFRESH_MS - 1;
    g.maybeAnnounce(7);
    expect(sent).toHaveLength(1);
    set.nowMs = GOSSIP_REFRESH_MS;
    g.maybeAnnounce(7);
    expect(sent).toHaveLength(2);
  });

  it('sends at once when the writable arrays, the term or the applied index changed', () => {
    const { g, sent, set } = world();
    g.maybeAnnounce(7);
    set.nowMs = 1;
    set.writable = []; set.generation = 2; // the demotion closed md0's interval
    g.maybeAnnounce(7);
    expect(sent.at(-1)).toEqual({ applied: 7, term: 3, writable: [] });
    set.term = 4;
    g.maybeAnnounce(7);
    expect(sent.at(-1)).toEqual({ applied: 7, term: 4, writable: [] });
    g.maybeAnnounce(8);
    expect(sent.at(-1)).toEqual({ applied: 8, term: 4, writable: [] });
    expect(sent).toHaveLength(4);
  });
});
