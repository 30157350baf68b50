// The pino logger's journald prefixes, level filtering and JSON shape, and the test loggers.
import { closeSync, fstatSync, mkdtempSync, openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createPinoLogger, priorityPrefix, stdoutIsJournal } from '../../daemon/src/log/pino-logger.js';
import { CapturingLogger, silentLogger } from '../../daemon/src/log/logger.js';
import type { Logger as NodeShellLogger } from '../../daemon/src/node/deps.js';
import { LOG_CAPTURE_MAX_ENTRIES } from '../../daemon/src/common/limits.js';

function sink(): { lines: string[]; write(line: string): void } {
  const lines: string[] = [];
  return { lines, write: (l: string) => { lines.push(l); } };
}

describe('pino logger', () => {
  it('prefixes each line with its journald priority when asked', () => {
    const s = sink();
    const log = createPinoLogger({ level: 'debug', journalPrefix: 'on', sink: s, base: { node: 'n1' } });
    log.error('e', { code: 'E_X' });
    log.warn('w');
    log.info('i');
    log.debug('d');
    expect(s.lines.map((l) => l.slice(0, 3))).toEqual(['<3>', '<4>', '<6>', '<7>']);
    const rec = JSON.parse(s.lines[0].slice(3));
    expect(rec).toMatchObject({ msg: 'e', code: 'E_X', node: 'n1', level: 50 });
    expect(s.lines.every((l) => l.endsWith('\n'))).toBe(true);
  });

  it('writes plain JSON without the prefix and filters by level', () => {
    const s = sink();
    const log = createPinoLogger({ level: 'warn', journalPrefix: 'off', sink: s });
    log.info('hidden');
    log.debug('hidden');
    log.warn('shown', { n: 1 });
    expect(s.lines).toHaveLength(1);
    expect(JSON.parse(s.lines[0])).toMatchObject({ msg: 'shown', n: 1 });
  });

  it('setLevel changes the level of the logger and of children made before the change (SIGHUP reload)', () => {
    const s = sink();
    const root = createPinoLogger({ level: 'info', journalPrefix: 'off', sink: s });
    const child = root.child({ component: 'transport' });
    child.debug('hidden');
    root.setLevel('debug');
    child.debug('child debug');
    root.debug('root debug');
    root.setLevel('error');
    child.warn('hidden');
    root.error('shown');
    expect(s.lines.map((l) => JSON.parse(l).msg)).toEqual(['child debug', 'root debug', 'shown']);
  });

  it('child loggers carry their bindings', () => {
    const s = sink();
    const log = createPinoLogger({ level: 'info', journalPrefix: 'off', sink: s }).child({ component: 'transport' });
    log.info('x', { peer: 'n2' });
    expect(JSON.parse(s.lines[0])).toMatchObject({ component: 'transport', peer: 'n2', msg: 'x' });
  });

  it('"auto" prefixes only when JOURNAL_STREAM names stdout', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mdlog-'));
    const fd = openSync(join(dir, 'f'), 'w');
    const st = fstatSync(fd, { bigint: true });
    closeSync(fd);
    const stat = () => ({ dev: st.dev, ino: st.ino });
    expect(stdoutIsJournal({ JOURNAL_STREAM: `${st.dev}:${st.ino}` }, stat)).toBe(true);
    expect(stdoutIsJournal({ JOURNAL_STREAM: `${st.dev}:${st.ino + 1n}` }, stat)).toBe(false);
    expect(stdoutIsJournal({ JOURNAL_STREAM: 'garbage' }, stat)).toBe(false);
    expect(stdoutIsJournal({}, stat)).toBe(false);
    const s = sink();
    createPinoLogger({ level: 'info', journalPrefix: 'auto', sink: s, env: {} }).info('x');
    expect(s.lines[0].startsWith('{')).toBe(true);
  });

  it('maps levels to priorities', () => {
    expect([60, 50, 40, 30, 20, 10].map(priorityPrefix)).toEqual(['<3>', '<3>', '<4>', '<6>', '<7>', '<7>']);
  });

  it('never throws on awkward field values', () => {
    const s = sink();
    const log = createPinoLogger({ level: 'debug', journalPrefix: 'on', sink: s });
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    expect(() => log.info('c', { cyclic, big: 10n ** 30n, err: new Error('boom') })).not.toThrow();
    expect(s.lines[0]).toMatch(/^<6>\{/);
  });
});

describe('test loggers', () => {
  it('capturing logger records with bindings and stays bounded', () => {
    const log = new CapturingLogger({ node: 'n1' });
    log.child({ c: 'x' }).warn('hello', { a: 1 });
    expect(log.records[0]).toEqual({ level: 'warn', msg: 'hello', fields: { node: 'n1', c: 'x', a: 1 } });
    expect(log.find('hell', 'warn')).toHaveLength(1);
    expect(log.find('hell', 'error')).toHaveLength(0);
    for (let i = 0; i < LOG_CAPTURE_MAX_ENTRIES + 5; i++) log.debug(`m${i}`);
    expect(log.records.length).toBe(LOG_CAPTURE_MAX_ENTRIES);
    expect(log.droppedRecords).toBe(6);
    expect(log.records.at(-1)!.msg).toBe(`m${LOG_CAPTURE_MAX_ENTRIES + 4}`);
  });

  it('silent logger accepts everything', () => {
    expect(() => silentLogger.child({}).error('x', { y: 1 })).not.toThrow();
  });
});

describe('both call forms', () => {
  it('(fields, msg) as pino and node/deps.ts use it, and (msg, fields)', () => {
    const s = sink();
    const log = createPinoLogger({ level: 'info', journalPrefix: 'off', sink: s });
    log.info({ a: 1 }, 'first');
    log.info('second', { b: 2 });
    log.info('third');
    expect(s.lines.map((l) => JSON.parse(l))).toMatchObject([{ msg: 'first', a: 1 }, { msg: 'second', b: 2 }, { msg: 'third' }]);
    const cap = new CapturingLogger();
    cap.error({ code: 'E_X' }, 'boom');
    expect(cap.records[0]).toEqual({ level: 'error', msg: 'boom', fields: { code: 'E_X' } });
  });

  it('is assignable to the node shell Logger (checked by tsc)', () => {
    const cap = new CapturingLogger();
    const log: NodeShellLogger = cap;
    log.warn({ x: 1 }, 'y');
    expect(cap.records).toEqual([{ level: 'warn', msg: 'y', fields: { x: 1 } }]);
  });
});
