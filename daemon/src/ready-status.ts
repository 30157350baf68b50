// The systemd STATUS= text of a running daemon: what it waits for while no leader is known
// (quorum, being added), and its role once there is one. Owns: that wording.
// Invariant: a pure function of one NodeView (same view, same text), so daemon.ts sends a new
// STATUS= only when the text changes.
import type { NodeView } from './node/view.js';

export function waitingFor(v: Pick<NodeView, 'id' | 'role' | 'term' | 'lead' | 'conf' | 'peers' | 'state' | 'writer'>): string {
  const voters = v.conf.voters;
  if (voters.length === 0 && v.conf.learners.length === 0) return 'waiting to be added to the cluster (cluster.join = true: mdctl --cluster add-node on the master)';
  if (v.lead === null) {
    const reachable = voters.filter((id) => id === v.id || v.peers.get(id)?.up === true).length;
    const quorum = Math.floor(voters.length / 2) + 1;
    return `up; waiting for a leader: ${reachable} of ${voters.length} voters reachable, quorum is ${quorum} (term ${v.term})`;
  }
  const master = v.state.master?.node ?? 'none';
  const what = v.writer ? `master of ${v.state.arrays.length} arrays` : v.role === 'leader' ? 'leader, not yet writable' : 'standby';
  return `${what}; leader ${v.lead}, master ${master}, term ${v.term}`;
}
