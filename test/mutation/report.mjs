// Per-folder mutation score table for `npm run mutation` (issue #13 item 5). Owns: reading
// Stryker's JSON reports (reports/mutation/<scope>.json, mutation-testing-report-schema) and
// test/mutation/EQUIVALENT.md, printing one row per folder (raft/, cluster/, node/) and the
// survivors that EQUIVALENT.md does not explain.
// Invariants: the score is Stryker's own, (killed + timeout) / (killed + timeout + survived +
// no coverage); compile/runtime errors and ignored mutants count in no score. A folder with a
// target (raft/, cluster/) below it makes the exit status 1; node/ is measured only. A folder's
// score is only its score when every source file in it was measured on its current text: files
// with mutants missing from the reports, or measured on an older text, are named and make a
// target count as missed. EQUIVALENT.md rows that match no surviving mutant are named as stale.
// Rows of EQUIVALENT.md name current lines; a file measured on an older text is matched by line text.
// Usage: node test/mutation/report.mjs [--survivors] [--equivalent path] [report.json...]
// (default: every reports/mutation/{raft,cluster,node}.json that exists)
import { readFileSync, existsSync, readdirSync } from 'node:fs';
import { parseArgs } from 'node:util';
import ts from 'typescript';

/** Folder → target score in percent (null: reported, no target). */
const FOLDERS = [
  { name: 'raft/', prefix: 'daemon/src/raft/', targetPct: 85, whole: true },
  { name: 'cluster/', prefix: 'daemon/src/cluster/', targetPct: 85, whole: true },
  // node/: only the persist/send/apply range of one file is mutated (stryker.config.mjs).
  { name: 'node/', prefix: 'daemon/src/node/', targetPct: null, whole: false },
];
const UNDETECTED = new Set(['Survived', 'NoCoverage']);

const { values: opts, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    survivors: { type: 'boolean', default: false },
    equivalent: { type: 'string', default: 'test/mutation/EQUIVALENT.md' },
  },
});
const reportPaths = positionals.length > 0 ? positionals
  : ['raft', 'cluster', 'node'].map((s) => `reports/mutation/${s}.json`).filter((p) => existsSync(p));

/**
 * EQUIVALENT.md rows look like `| daemon/src/raft/log.ts:42 | ConditionalExpression | why |`.
 * Returns a set of `file:line:mutator` keys; a survivor matching one is explained.
 */
function readEquivalents(path) {
  const keys = new Set();
  if (!existsSync(path)) return keys;
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const m = /^\|\s*`?(daemon\/src\/[^\s:`|]+):(\d+)`?\s*\|\s*([A-Za-z]+)\s*\|/.exec(line);
    if (m) keys.add(`${m[1]}:${m[2]}:${m[3]}`);
  }
  return keys;
}

/**
 * Whether a source file holds anything Stryker could mutate: false when every top-level statement
 * is a type-only import/export, an interface or a type alias (such a file never appears in a report).
 */
function hasRuntimeCode(file) {
  const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest);
  return sf.statements.some((st) => !(ts.isInterfaceDeclaration(st) || ts.isTypeAliasDeclaration(st)
    || (ts.isImportDeclaration(st) && st.importClause?.isTypeOnly === true)
    || (ts.isExportDeclaration(st) && st.isTypeOnly)));
}

/**
 * Source files of a folder that a whole-folder run mutates (stryker.config.mjs `**\/*.ts`).
 * A file without mutants (type declarations only) does not appear in Stryker's report.
 */
function folderFiles(prefix) {
  return readdirSync(prefix, { recursive: true }).map(String).filter((f) => f.endsWith('.ts')).map((f) => prefix + f).sort();
}

function pct(n, d) {
  return d === 0 ? 'n/a' : `${((100 * n) / d).toFixed(2)} %`;
}

/**
 * EQUIVALENT.md rows name lines of the current source. For a file measured on an older text, a
 * mutant's line is carried to the current line holding the same text, when exactly one does
 * (so rows moved by remap-equivalents.mjs still match until the file is measured again).
 */
const lineMaps = new Map();
function currentLine(file, entry, line) {
  if (typeof entry.source !== 'string' || !existsSync(file)) return line;
  let map = lineMaps.get(file);
  if (map === undefined) {
    map = null;
    const cur = readFileSync(file, 'utf8');
    if (cur !== entry.source) {
      const where = new Map();
      cur.split('\n').forEach((t, i) => where.set(t, where.has(t) ? -1 : i + 1));
      map = entry.source.split('\n').map((t) => where.get(t) ?? -1);
    }
    lineMaps.set(file, map);
  }
  if (map === null) return line;
  const to = map[line - 1];
  return to === undefined || to < 0 ? line : to;
}

if (reportPaths.length === 0) throw new Error('no report: run `npm run mutation` first');
/** file → its report entry; a file in several reports keeps the last one given. */
const files = {};
for (const p of reportPaths) Object.assign(files, JSON.parse(readFileSync(p, 'utf8')).files);
const equivalents = readEquivalents(opts.equivalent);
const usedEquivalents = new Set();
const rows = [];
const unexplained = [];
const notes = [];
let belowTarget = false;

for (const folder of FOLDERS) {
  const c = { total: 0, Killed: 0, Timeout: 0, Survived: 0, NoCoverage: 0, other: 0, equivalent: 0 };
  for (const [file, entry] of Object.entries(files)) {
    if (!file.startsWith(folder.prefix)) continue;
    for (const m of entry.mutants) {
      c.total++;
      if (m.status in c) c[m.status]++;
      else c.other++;
      if (!UNDETECTED.has(m.status)) continue;
      const key = `${file}:${currentLine(file, entry, m.location.start.line)}:${m.mutatorName}`;
      if (equivalents.has(key)) {
        c.equivalent++;
        usedEquivalents.add(key);
      } else unexplained.push({ folder: folder.name, file, m });
    }
  }
  if (c.total === 0) continue;
  const measured = Object.keys(files).filter((f) => f.startsWith(folder.prefix));
  const missing = folder.whole ? folderFiles(folder.prefix).filter((f) => !(f in files) && hasRuntimeCode(f)) : [];
  const stale = measured.filter((f) => typeof files[f].source === 'string' && existsSync(f) && readFileSync(f, 'utf8') !== files[f].source);
  if (missing.length > 0) notes.push(`${folder.name}: ${missing.length} file(s) with code not in the reports (not measured): ${missing.join(' ')}`);
  if (stale.length > 0) notes.push(`${folder.name}: ${stale.length} file(s) measured on an older text (rerun them): ${stale.join(' ')}`);
  const detected = c.Killed + c.Timeout;
  const valid = detected + c.Survived + c.NoCoverage;
  const scorePct = valid === 0 ? 100 : (100 * detected) / valid;
  // A file that has changed since it was measured, or one not measured, leaves the score unknown.
  const complete = stale.length === 0 && missing.length === 0; // files without code have no mutants
  const ok = folder.targetPct === null || (scorePct >= folder.targetPct && complete);
  if (!ok) belowTarget = true;
  rows.push([folder.name, c.total, c.Killed, c.Timeout, c.Survived, c.NoCoverage, c.other,
    pct(detected, valid), pct(detected, valid - c.equivalent), c.equivalent,
    `${measured.length}/${measured.length + missing.length}`,
    folder.targetPct === null ? '-' : `${folder.targetPct} % ${ok ? 'met' : complete ? 'MISSED' : 'MISSED (incomplete)'}`]);
}

const header = ['folder', 'mutants', 'killed', 'timeout', 'survived', 'no cov', 'errors/ignored',
  'score', 'score excl. equiv.', 'equiv.', 'files', 'target'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
const fmt = (r) => r.map((v, i) => String(v).padStart(widths[i])).join(' | ');
console.log(fmt(header));
console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
for (const r of rows) console.log(fmt(r));
console.log(`(score = (killed + timeout) / (killed + timeout + survived + no cov); 'score excl. equiv.' leaves out the survivors listed in ${opts.equivalent})`);

for (const n of notes) console.log(n);
const staleRows = [...equivalents].filter((k) => !usedEquivalents.has(k) && k.split(':')[0] in files);
if (staleRows.length > 0) console.log(`${staleRows.length} row(s) of ${opts.equivalent} match no surviving mutant (killed now, or a stale line): ${staleRows.join(' ')}`);
const byFolder = new Map();
for (const u of unexplained) byFolder.set(u.folder, (byFolder.get(u.folder) ?? 0) + 1);
for (const [folder, n] of byFolder) console.log(`${folder}: ${n} surviving/uncovered mutant(s) not listed in ${opts.equivalent}`);
if (opts.survivors) {
  for (const { file, m } of unexplained) {
    const loc = `${file}:${m.location.start.line}:${m.location.start.column}`;
    console.log(`${m.status.padEnd(10)} ${loc} ${m.mutatorName} -> ${JSON.stringify(m.replacement ?? '')}`);
  }
}
process.exitCode = belowTarget ? 1 : 0;
