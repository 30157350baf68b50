// Kernel lab: reading a guest's results share back on the host. Owns: the layout of the
// share (job.sh, stdout, stderr, exit-code, out/) and bounded reading of out/.
// Invariants: at most LAB_MAX_RESULT_FILES files and LAB_MAX_RESULT_BYTES bytes are read (a
// guest filling the share cannot exhaust the host); symlinks are not followed; a missing
// file reads as "" rather than failing the whole result.
import { lstat, readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { LAB_MAX_RESULT_BYTES, LAB_MAX_RESULT_FILES } from '../../lib/limits.js';

export const RESULTS_JOB = 'job.sh';
export const RESULTS_STDOUT = 'stdout';
export const RESULTS_STDERR = 'stderr';
export const RESULTS_EXIT_CODE = 'exit-code';
export const RESULTS_OUT = 'out';

export async function readTextOrEmpty(path: string, maxBytes = LAB_MAX_RESULT_BYTES): Promise<string> {
  try {
    const buf = await readFile(path);
    return buf.subarray(0, maxBytes).toString('utf8');
  } catch {
    return '';
  }
}

/** The command's exit status as the guest's /init recorded it; null when absent or garbled. */
export async function readExitCode(resultsDir: string): Promise<number | null> {
  const text = (await readTextOrEmpty(join(resultsDir, RESULTS_EXIT_CODE))).trim();
  return /^[0-9]{1,3}$/.test(text) ? Number(text) : null;
}

/** Every regular file under resultsDir/out, by relative path. Throws when a bound is passed. */
export async function readOutFiles(resultsDir: string): Promise<Record<string, string>> {
  const root = join(resultsDir, RESULTS_OUT);
  const files: Record<string, string> = {};
  let count = 0;
  let bytes = 0;
  const walk = async (dir: string): Promise<void> => {
    let names: string[];
    try { names = (await readdir(dir)).sort(); } catch { return; }
    for (const name of names) {
      const path = join(dir, name);
      const st = await lstat(path);
      if (st.isDirectory()) { await walk(path); continue; }
      if (!st.isFile()) continue;
      count += 1;
      bytes += st.size;
      if (count > LAB_MAX_RESULT_FILES || bytes > LAB_MAX_RESULT_BYTES) {
        throw new Error(`kernel lab: results in ${root} exceed ${LAB_MAX_RESULT_FILES} files or ${LAB_MAX_RESULT_BYTES} bytes`);
      }
      files[relative(root, path)] = await readFile(path, 'utf8');
    }
  };
  await walk(root);
  return files;
}
