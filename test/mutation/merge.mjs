// Joins the results of partial mutation runs (MUTATION_PART, stryker.config.mjs) into one
// Stryker report, used as a scope's incremental file so that a whole-scope run reuses them.
// Owns: remapping test ids, which every Stryker run numbers afresh, by (test file, test name).
// Invariants: a source file present in several inputs keeps the entry of the last input (the
// newest run of it); a test keeps one id across all inputs; coveredBy/killedBy point at it.
// An input takes part only with the files its run mutated (config.mutate): a part run seeded
// with a whole-scope incremental file also reports that file's older results for other files.
// Usage: node test/mutation/merge.mjs out.json in1.json in2.json ...
import { readFileSync, writeFileSync } from 'node:fs';

const [out, ...inputs] = process.argv.slice(2);
if (out === undefined || inputs.length === 0) {
  console.error('usage: node test/mutation/merge.mjs out.json in1.json [in2.json ...]');
  process.exit(2);
}

/** A predicate for the files matched by Stryker `mutate` patterns (globs, `file:lines`); all when absent. */
function mutatedBy(patterns) {
  if (!Array.isArray(patterns) || patterns.length === 0) return () => true;
  const res = patterns.map((p) => new RegExp(`^${p.replace(/:\d+(-\d+)?$/, '').replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*\*\//g, '\0').replace(/\*/g, '[^/]*').replace(/\0/g, '(?:.*/)?')}$`));
  return (file) => res.some((re) => re.test(file));
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
  const own = mutatedBy(r.config?.mutate);
  for (const [file, entry] of Object.entries(r.files)) {
    if (!own(file)) continue;
    merged.files[file] = { ...entry, mutants: entry.mutants.map((m) => ({ ...m, coveredBy: ids(m.coveredBy), killedBy: ids(m.killedBy) })) };
  }
}
// The merged report's own files are all of its inputs' (so it can be merged again).
const mutates = inputs.map((path) => JSON.parse(readFileSync(path, 'utf8')).config?.mutate);
merged.config = { ...merged.config, mutate: mutates.every(Array.isArray) ? [...new Set(mutates.flat())] : undefined };
writeFileSync(out, JSON.stringify(merged));
console.log(`${out}: ${Object.keys(merged.files).length} source file(s), ${idOf.size} test(s) from ${inputs.length} report(s)`);
