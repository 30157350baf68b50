// The master's md verdicts (daemon/src/node/md-op-reporter.ts): "done" only for commands the
// plan had already seen carried out (applied at or before the plan's base), "failed" only for the
// commands an md action was carrying out, at once on a permanent error, after MD_MAX_OP_ATTEMPTS
// on transient ones, and never the same verdict twice in one term.
import { describe, expect, it } from 'vitest';
import type { Command } from '../../daemon/src/cluster/commands.js';
import type { PendingMdOp } from '../../daemon/src/cluster/types.js';
import { OpError } from '../../daemon/src/common/errors.js';
import { MD_MAX_OP_ATTEMPTS } from '../../daemon/src/common/limits.js';
import { term } from '../../daemon/src/common/types.js';
import { silentLogger } from '../../daemon/src/log/logger.js';
import { MdOpReporter } from '../../daemon/src/node/md-op-reporter.js';
import { arrayRecord, memberRecord } from './record-fixtures.js';

function pending(seq: number, sinceIndex: number, target: PendingMdOp['target']): PendingMdOp {
  return { client: 'c', seq, op: 'member' in target ? 'hot-add' : 'read-only', target, sinceIndex, undo: { members: [], array: null, created: false } };
}

function setup() {
  const sent: Command[] = [];
  const r = new MdOpReporter('n1', (cmd) => sent.push(cmd), silentLogger);
  const rec = arrayRecord({
    members: [memberRecord('/dev/sda', { slot: 0 }), memberRecord('/dev/sdb', { slot: 1 }), memberRecord('/dev/sdc', { role: 'spare', slot: null, inSync: false, pendingAdd: 'add' })],
    pendingMd: [pending(1, 10, { member: '/dev/sdc' }), pending(2, 12, { array: 'read-only' })],
  });
  return { sent, r, rec };
}
const verdicts = (sent: Command[]) => sent.map((c) => (c.op === 'md-done' ? `${c.seq}:${c.ok ? 'ok' : c.code}` : c.op));

describe('md verdicts reported by the master', () => {
  it('a converged plan from the record at index 11 reports done only for commands applied at or before 11', () => {
    const { sent, r, rec } = setup();
    r.converged(rec, 11, term(3));
    expect(verdicts(sent)).toEqual(['1:ok']);
    r.converged(rec, 11, term(3)); // in flight: not proposed again in the same term
    expect(verdicts(sent)).toEqual(['1:ok']);
    r.converged(rec, 12, term(4)); // a new term may propose again
    expect(verdicts(sent)).toEqual(['1:ok', '1:ok', '2:ok']);
  });

  it('a permanent md error fails the command the action was carrying out, and only that one', () => {
    const { sent, r, rec } = setup();
    r.failed(rec, { kind: 'hot-add', member: '/dev/sdc' }, new OpError('E_KERNEL', 'ENOSPC', { errno: 'ENOSPC' }), term(3));
    expect(verdicts(sent)).toEqual(['1:E_KERNEL']);
  });

  it('a transient error fails the command only after MD_MAX_OP_ATTEMPTS rounds', () => {
    const { sent, r, rec } = setup();
    for (let i = 1; i < MD_MAX_OP_ATTEMPTS; i++) r.failed(rec, { kind: 'read-only' }, new OpError('E_KERNEL', 'EAGAIN', { errno: 'EAGAIN' }), term(3));
    expect(verdicts(sent)).toEqual([]);
    r.failed(rec, { kind: 'read-only' }, new OpError('E_KERNEL', 'EAGAIN', { errno: 'EAGAIN' }), term(3));
    expect(verdicts(sent)).toEqual(['2:E_KERNEL']);
  });
});
