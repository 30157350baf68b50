// Property tests for the format parsers (daemon/src/md/format/): random bytes and mutated
// real captures never make parseMdstat / parseExport / parseExamine throw; a refusal always
// carries E_BAD_FORMAT or E_TOO_LARGE; whatever parseMdstat accepts renders back to the same
// text; and any kernel-shaped MdstatDoc survives render -> parse unchanged.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseMdstat, renderMdstat, type MdstatArray, type MdstatDoc, type MdstatStatus, type MdstatSync } from '../../daemon/src/md/format/mdstat.js';
import { parseExport } from '../../daemon/src/md/format/export.js';
import { parseExamine } from '../../daemon/src/md/format/examine.js';
import { OpError } from '../../daemon/src/common/errors.js';
import type { ParseResult } from '../../daemon/src/md/format/result.js';
import { listSampleCases, readSampleFile, hasSampleFile } from './format-sample-loader.js';

const RUNS = 400;
const cases = listSampleCases();
const samples = (file: string): string[] => cases.filter((c) => hasSampleFile(c, file)).map((c) => readSampleFile(c, file));
const mdstatSamples = samples('mdstat.txt');
const exportSamples = samples('export.txt');
const examineSamples = samples('examine.txt');

function checkRefusal<T>(r: ParseResult<T>): void {
  if (r.ok) return;
  expect(r.error).toBeInstanceOf(OpError);
  expect(['E_BAD_FORMAT', 'E_TOO_LARGE']).toContain(r.error.code);
}

/** A sample with random edits: replace, insert or delete characters, or drop / duplicate a line. */
function mutated(sources: string[]): fc.Arbitrary<string> {
  const edit = fc.tuple(fc.nat(), fc.integer({ min: 0, max: 4 }), fc.string({ minLength: 0, maxLength: 3 }));
  return fc.tuple(fc.constantFrom(...sources), fc.array(edit, { minLength: 1, maxLength: 4 })).map(([text, edits]) => {
    let t = text;
    for (const [at, kind, s] of edits) {
      const i = t.length === 0 ? 0 : at % t.length;
      const lines = t.split('\n');
      const li = at % lines.length;
      if (kind === 0) t = t.slice(0, i) + s + t.slice(i + 1);
      else if (kind === 1) t = t.slice(0, i) + s + t.slice(i);
      else if (kind === 2) t = t.slice(0, i) + t.slice(i + 1 + s.length);
      else if (kind === 3) t = lines.filter((_, k) => k !== li).join('\n');
      else t = [...lines.slice(0, li), lines[li], ...lines.slice(li)].join('\n');
    }
    return t;
  });
}

const randomText = fc.oneof(
  fc.string({ maxLength: 300 }),
  fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString('latin1')),
  fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString('utf8')),
);

describe('parsers never throw', () => {
  it('parseMdstat: random bytes and mutated captures; accepted text renders back identically', () => {
    fc.assert(fc.property(fc.oneof(randomText, mutated(mdstatSamples)), (text) => {
      const r = parseMdstat(text);
      checkRefusal(r);
      if (r.ok) expect(renderMdstat(r.value)).toBe(text);
    }), { numRuns: RUNS * 3 });
  });
  it('parseMdstat accepts some mutations (the property above is not vacuous)', () => {
    let accepted = 0;
    fc.assert(fc.property(mutated(mdstatSamples), (text) => {
      if (parseMdstat(text).ok) accepted++;
    }), { numRuns: RUNS });
    expect(accepted).toBeGreaterThan(0);
  });
  it('parseExport: random bytes and mutated captures', () => {
    fc.assert(fc.property(fc.oneof(randomText, mutated(exportSamples)), (text) => {
      const r = parseExport(text);
      checkRefusal(r);
      if (r.ok) expect(r.value.entries.map(([k, v]) => `${k}=${v}`).join('\n')).toBe(text.replace(/\n$/, ''));
    }), { numRuns: RUNS * 2 });
  });
  it('parseExamine: random bytes and mutated captures', () => {
    fc.assert(fc.property(fc.oneof(randomText, mutated(examineSamples)), (text) => {
      const r = parseExamine(text);
      checkRefusal(r);
      if (r.ok) for (const rec of r.value) expect(rec.device.startsWith('/')).toBe(true);
    }), { numRuns: RUNS * 2 });
  });
  it('non-string input is refused, not thrown', () => {
    for (const v of [undefined, null, 3, {}, [], Buffer.from('x')]) {
      const results: Array<ParseResult<unknown>> = [parseMdstat(v), parseExport(v), parseExamine(v)];
      for (const r of results) {
        expect(r.ok).toBe(false);
        checkRefusal(r);
      }
    }
  });
});

// ---- kernel-shaped documents ----
const count = fc.nat({ max: 2 ** 40 });
const small = fc.nat({ max: 64 });
const word = fc.stringMatching(/^[a-z][a-z0-9]{0,7}$/);

const member = fc.record({
  name: fc.stringMatching(/^[a-z]{2,4}[0-9]{0,2}$/), descNumber: small, writeMostly: fc.boolean(), journal: fc.boolean(),
  faulty: fc.boolean(), spare: fc.boolean(), replacement: fc.boolean(),
}).map((m) => (m.faulty ? { ...m, spare: false, replacement: false } : m));

const disks = fc.record({ raidDisks: small, workingDisks: small, slotsUp: fc.array(fc.boolean(), { maxLength: 12 }) });

const statusFor = (personality: string): fc.Arbitrary<MdstatStatus> => {
  switch (personality) {
    case 'raid1': case 'multipath': return disks.map((d) => ({ kind: 'mirror' as const, disks: d }));
    case 'raid0': return count.map((c) => ({ kind: 'raid0' as const, chunkKiB: c }));
    case 'linear': return count.map((c) => ({ kind: 'linear' as const, roundingKiB: c }));
    case 'raid5': return fc.record({ kind: fc.constant('raid456' as const), level: small, chunkKiB: count, algorithm: small, disks });
    case 'raid10': return fc.record({
      kind: fc.constant('raid10' as const), chunkKiB: fc.option(count), nearCopies: fc.option(small), farCopies: fc.option(small),
      farOffset: fc.boolean(), devicesPerSet: fc.option(small), disks,
    }).map((s) => (s.farCopies === null ? { ...s, farOffset: false } : s));
    default: return fc.stringMatching(/^( [A-Za-z0-9=()/]{1,10}){1,3}$/).filter((t) => !t.startsWith(' super')).map((text) => ({ kind: 'raw' as const, text }));
  }
};

const sync: fc.Arbitrary<MdstatSync> = fc.oneof(
  fc.record({
    kind: fc.constant('progress' as const), action: fc.constantFrom('resync' as const, 'recovery' as const, 'check' as const, 'reshape' as const),
    perMille: fc.nat({ max: 999 }), doneKiB: count, totalKiB: count, finishTenthsMin: count, speedKiBps: count,
  }),
  fc.record({
    kind: fc.constant('waiting' as const), word: fc.constantFrom('resync' as const, 'recover' as const, 'reshape' as const),
    state: fc.constantFrom('PENDING' as const, 'DELAYED' as const, 'REMOTE' as const),
  }),
);

const bitmap = fc.record({
  pagesUsed: count, pagesTotal: count, pagesKiB: count, chunk: count, chunkUnit: fc.constantFrom('KB' as const, 'B' as const),
  file: fc.option(fc.stringMatching(/^\/[a-z0-9/\\]{1,20}$/)),
});

const array: fc.Arbitrary<MdstatArray> = fc.tuple(
  fc.stringMatching(/^md[0-9]{1,3}$/), fc.boolean(), fc.constantFrom('raid1', 'raid0', 'linear', 'raid5', 'raid10', 'multipath', 'faulty'),
).chain(([device, active, personality]) => fc.record({
  device: fc.constant(device), active: fc.constant(active),
  readOnly: active ? fc.constantFrom(null, 'read-only' as const, 'auto-read-only' as const) : fc.constant(null),
  personality: fc.constant(active ? personality : null),
  members: fc.array(member, { maxLength: 6 }),
  blocksKiB: count,
  superblock: fc.constantFrom(null, '1.2', '1.0', 'external:ddf', 'external:/md127/0', 'non-persistent'),
  status: active ? statusFor(personality) : fc.constant(null),
  sync: active ? fc.option(sync) : fc.constant(null),
  bitmap: fc.option(bitmap),
})).map((a) => ({ ...a, blocksKiB: a.members.length === 0 ? null : a.blocksKiB }));

const doc: fc.Arbitrary<MdstatDoc> = fc.record({
  personalities: fc.array(word, { maxLength: 8 }),
  arrays: fc.array(array, { maxLength: 5 }),
  unusedDevices: fc.array(word, { maxLength: 4 }),
});

describe('render -> parse is the identity on kernel-shaped documents', () => {
  it('parseMdstat(renderMdstat(doc)) deep-equals doc', () => {
    fc.assert(fc.property(doc, (d) => {
      const r = parseMdstat(renderMdstat(d));
      if (!r.ok) throw new Error(`${r.error.message}\n${renderMdstat(d)}`);
      expect(r.value).toEqual(d);
    }), { numRuns: RUNS });
  });
});
