// The typed result every format parser returns. Owns: the one shape of "parsed or refused"
// for /proc/mdstat, mdadm --detail --export and mdadm --examine text.
// Invariants: a parser never throws on input from outside; a refusal is an OpError with code
// E_BAD_FORMAT (details: format, line (1-based, 0 = whole text), reason) or E_TOO_LARGE.
import { OpError } from '../../common/errors.js';
import { MD_FORMAT_MAX_LINES, MD_FORMAT_MAX_TEXT_BYTES } from '../../common/limits.js';

export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: OpError };

export type FormatName = 'mdstat' | 'export' | 'examine' | 'detail';

export function parsed<T>(value: T): ParseResult<T> {
  return { ok: true, value };
}

export function badFormat<T>(format: FormatName, line: number, reason: string): ParseResult<T> {
  return { ok: false, error: new OpError('E_BAD_FORMAT', `${format} line ${line}: ${reason}`, { format, line, reason }) };
}

/** Thrown inside a parser and caught at its entry point only; never escapes a parser. */
export class FormatFailure extends Error {
  override name = 'FormatFailure';
  constructor(readonly lineNo: number, readonly reason: string) {
    super(reason);
  }
}

/** Splits text into lines after checking the size bounds; the refusal when out of bounds. */
export function splitBoundedLines(format: FormatName, text: unknown): ParseResult<string[]> {
  if (typeof text !== 'string') return badFormat(format, 0, 'input is not a string');
  if (text.length > MD_FORMAT_MAX_TEXT_BYTES) {
    return { ok: false, error: new OpError('E_TOO_LARGE', `${format} text exceeds ${MD_FORMAT_MAX_TEXT_BYTES} bytes`, { format, length: text.length }) };
  }
  const lines = text.split('\n');
  if (lines.length > MD_FORMAT_MAX_LINES) {
    return { ok: false, error: new OpError('E_TOO_LARGE', `${format} text exceeds ${MD_FORMAT_MAX_LINES} lines`, { format, lines: lines.length }) };
  }
  return parsed(lines);
}

/** A decimal count that fits a safe integer, or null. Accepts only [0-9]+. */
export function parseCount(s: string): number | null {
  if (!/^[0-9]{1,16}$/.test(s)) return null;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : null;
}

/** parseCount that fails the current parse (FormatFailure) instead of returning null. */
export function countOrFail(s: string, lineNo: number, what: string): number {
  const n = parseCount(s);
  if (n === null) throw new FormatFailure(lineNo, `${what} is not a count: ${JSON.stringify(s.slice(0, 40))}`);
  return n;
}
