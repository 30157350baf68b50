// The writer log's file appends go through the injected Files (node/deps.ts), synchronously,
// one JSON line per event, in the order of the events, so the simulators and tests run the same
// code as production and a file read back (parseWriterLog) gives the intervals that were logged.
// Seen to fail with the rule broken: with close() not appending its read-only record, the
// interval read back stays open and the first two tests fail.
import { describe, expect, it } from 'vitest';
import type { Files } from '../../daemon/src/node/deps.js';
import { WriterLog, parseWriterLog } from '../../daemon/src/node/writer-log.js';

function recordingFiles(): Files & { lines: { path: string; text: string }[] } {
  const lines: { path: string; text: string }[] = [];
  return { lines, appendSync: (path, text) => { lines.push({ path, text }); } };
}

describe('writer log appends through injected files', () => {
  it('appends a start record at once, then each event as it happens, to the configured file only', () => {
    let now = 1000;
    const files = recordingFiles();
    const log = new WriterLog({ monoMs: () => now, wallMs: () => now + 5 }, '/data/writer.log', files);
    expect(files.lines.map((l) => JSON.parse(l.text).event)).toEqual(['start']);
    now = 2000;
    log.open('md0', 3, 'promote');
    expect(files.lines).toHaveLength(2); // synchronous: logged before open() returned
    now = 3000;
    log.close('md0', 'read-only');
    log.close('md0', 'again'); // nothing open: nothing logged
    expect(files.lines.map((l) => l.path)).toEqual(['/data/writer.log', '/data/writer.log', '/data/writer.log']);
    expect(files.lines.map((l) => JSON.parse(l.text))).toMatchObject([
      { event: 'start' }, { event: 'writable', device: 'md0', term: 3, monoMs: 2000, reason: 'promote' },
      { event: 'read-only', device: 'md0', term: 3, monoMs: 3000, reason: 'read-only' },
    ]);
    expect(files.lines.every((l) => l.text.endsWith('\n') && !l.text.slice(0, -1).includes('\n'))).toBe(true);
  });

  it('reads back as the interval that was logged', () => {
    let now = 0;
    const files = recordingFiles();
    const log = new WriterLog({ monoMs: () => now, wallMs: () => now }, '/w.log', files);
    now = 10; log.open('md1', 1, 'create');
    now = 20; log.close('md1', 'stop');
    const text = files.lines.map((l) => l.text).join('');
    expect(parseWriterLog(text, 'n1', 99)).toEqual([{ node: 'n1', device: 'md1', startWallMs: 10, endWallMs: 20 }]);
  });

  it('writes nothing without a file', () => {
    const files = recordingFiles();
    const log = new WriterLog({ monoMs: () => 0, wallMs: () => 0 }, null, files);
    log.open('md0', 1, 'promote');
    expect(files.lines).toEqual([]);
  });
});
