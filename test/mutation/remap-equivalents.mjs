// Moves the line numbers of test/mutation/EQUIVALENT.md rows from an older Stryker report to a
// newer one, after the measured sources changed. Owns: nothing but that rewrite.
// A row `| file:line | mutator | reason |` is matched to the older report's mutants of that
// file, line and mutator; their source line text and replacement are looked up among the newer
// report's surviving mutants of the same file and mutator. One new line found: the row gets it.
// None (the mutant was killed, or its line changed): the row is left as is and named, to be
// checked by hand (report.mjs names rows that match no survivor). Several: left as is, named.
// Usage: node test/mutation/remap-equivalents.mjs old.json new.json [EQUIVALENT.md]
import { readFileSync, writeFileSync } from 'node:fs';

const [oldPath, newPath, eqPath = 'test/mutation/EQUIVALENT.md'] = process.argv.slice(2);
if (oldPath === undefined || newPath === undefined) {
  console.error('usage: node test/mutation/remap-equivalents.mjs old.json new.json [EQUIVALENT.md]');
  process.exit(2);
}
const oldR = JSON.parse(readFileSync(oldPath, 'utf8'));
const newR = JSON.parse(readFileSync(newPath, 'utf8'));
const UNDETECTED = new Set(['Survived', 'NoCoverage']);
const lineText = (entry, line) => (entry.source ?? '').split('\n')[line - 1]?.trim() ?? '';

const ROW = /^(\|\s*`?)(daemon\/src\/[^\s:`|]+):(\d+)(`?\s*\|\s*)([A-Za-z]+)(\s*\|.*)$/;
let moved = 0;
const unmatched = [];
const out = readFileSync(eqPath, 'utf8').split('\n').map((row) => {
  const m = ROW.exec(row);
  if (!m) return row;
  const [, pre, file, lineStr, mid, mutator, rest] = m;
  const line = Number(lineStr);
  const o = oldR.files[file];
  const n = newR.files[file];
  if (!o || !n) return row;
  if (n.source === o.source) return row;
  const olds = o.mutants.filter((x) => x.location.start.line === line && x.mutatorName === mutator);
  const wanted = new Set(olds.map((x) => `${lineText(o, line)}\0${x.replacement}`));
  const lines = new Set(n.mutants.filter((x) => x.mutatorName === mutator && UNDETECTED.has(x.status)
    && wanted.has(`${lineText(n, x.location.start.line)}\0${x.replacement}`)).map((x) => x.location.start.line));
  if (lines.size !== 1) {
    unmatched.push(`${file}:${line} ${mutator} (${lines.size === 0 ? 'no surviving match' : `${lines.size} candidate lines`})`);
    return row;
  }
  const [to] = lines;
  if (to !== line) moved++;
  return `${pre}${file}:${to}${mid}${mutator}${rest}`;
});
writeFileSync(eqPath, out.join('\n'));
console.log(`${eqPath}: ${moved} row(s) moved to new lines`);
for (const u of unmatched) console.log(`check by hand: ${u}`);
