// Unit tests for the shared branded types and the error catalog.
import { describe, expect, it } from 'vitest';
import { nodeId, term, logIndex, sectors, isNodeId, isTerm } from '../../daemon/src/common/types.js';
import { OpError, isErrorCode, ERROR_CODES } from '../../daemon/src/common/errors.js';
import { AssertionError } from '../../daemon/src/common/assert.js';

describe('branded types', () => {
  it('accepts valid values and rejects invalid ones', () => {
    expect(nodeId('node1')).toBe('node1');
    expect(() => nodeId('')).toThrow(AssertionError);
    expect(() => nodeId('a b')).toThrow(AssertionError);
    expect(term(3)).toBe(3);
    expect(() => term(-1)).toThrow(AssertionError);
    expect(() => logIndex(1.5)).toThrow(AssertionError);
    expect(sectors(0)).toBe(0);
    expect(isNodeId('x'.repeat(64))).toBe(false);
    expect(isTerm(Number.MAX_SAFE_INTEGER + 1)).toBe(false);
  });
});

describe('error catalog', () => {
  it('OpError carries a stable code and serialises', () => {
    const e = new OpError('E_NO_SUCH_ARRAY', 'no array /dev/md9', { device: '/dev/md9' });
    expect(e.toJSON()).toEqual({ code: 'E_NO_SUCH_ARRAY', message: 'no array /dev/md9', details: { device: '/dev/md9' } });
    expect(new OpError('E_TIMEOUT').message).toBe(ERROR_CODES.E_TIMEOUT);
    expect(isErrorCode('E_TIMEOUT')).toBe(true);
    expect(isErrorCode('toString')).toBe(false);
  });
});
