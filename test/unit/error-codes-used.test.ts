// Every code in the error catalog (daemon/src/common/errors.ts) is raised or matched somewhere in
// daemon/src, mdctl/src or native/src: a code nobody uses is a promise the program does not keep.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../daemon/src/common/errors.js';

const ROOTS = ['daemon/src', 'mdctl/src', 'native/src'];
const CATALOG = join('daemon', 'src', 'common', 'errors.ts');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = join(dir, d.name);
    if (d.isDirectory()) return sources(p);
    return d.name.endsWith('.ts') && p !== CATALOG ? [p] : [];
  });
}

describe('error catalog', () => {
  it('has no code that no source file uses', () => {
    const text = ROOTS.flatMap(sources).map((f) => readFileSync(f, 'utf8')).join('\n');
    const unused = Object.keys(ERROR_CODES).filter((code) => !new RegExp(`\\b${code}\\b`).test(text));
    expect(unused).toEqual([]);
  });
});
