// Joins the results of partial mutation runs (MUTATION_PART, stryker.config.mjs) into one
// Stryker report, used as a scope's incremental file so that a whole-scope run reuses them.
// Owns: remapping test ids, which every Stryker run numbers afresh, by (test file, test name).
// Invariants: a source file present in several inputs keeps the entry of the last input (the
// newest run of it); a test keeps one id across all inputs; coveredBy/killedBy point at it.
// Usage: node test/mutation/merge.mjs out.json in1.json in2.json ...
import { readFileSync, writeFileSync } from 'node:fs';

const [out, ...inputs] = process.argv.slice(2);
if (out === undefined || inputs.length === 0) {
  console.error('usage: node test/mutation/merge.mjs out.json in1.json [in2.json ...]');
  process.exit(2);
}

const merged = { files: {}, testFiles: {} };
/** `${testFile}\0${name}` → merged id */
const idOf = new Map();
for (const path of inputs) {
  const r = JSON.parse(readFileSync(path, 'utf8'));
  for (const k of ['schemaVersion', 'thresholds', 'projectRoot', 'config', 'framework']) merged[k] = r[k];
  /** this input's id → merged id */
  const remap = new Map();
  for (const [tf, entry] of Object.entries(r.testFiles ?? {})) {
    const target = (merged.testFiles[tf] ??= { ...entry, tests: [] });
    target.source = entry.source ?? target.source;
    for (const t of entry.tests) {
      const key = `${tf}\0${t.name}`;
      let id = idOf.get(key);
      if (id === undefined) {
        id = String(idOf.size);
        idOf.set(key, id);
        target.tests.push({ ...t, id });
      }
      remap.set(t.id, id);
    }
  }
  const ids = (list) => list?.map((id) => remap.get(id) ?? id);
  for (const [file, entry] of Object.entries(r.files)) {
    merged.files[file] = { ...entry, mutants: entry.mutants.map((m) => ({ ...m, coveredBy: ids(m.coveredBy), killedBy: ids(m.killedBy) })) };
  }
}
writeFileSync(out, JSON.stringify(merged));
console.log(`${out}: ${Object.keys(merged.files).length} source file(s), ${idOf.size} test(s) from ${inputs.length} report(s)`);
