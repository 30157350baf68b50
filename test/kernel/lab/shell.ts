// Kernel lab: the job script the guest runs. Owns: turning a GuestSpec's cmd/env/cwd into a
// POSIX sh script, and shell quoting.
// Invariants: every argv word and env value reaches the guest byte for byte (single-quoted;
// NUL refused); env names are shell identifiers; the script exits 125 if cwd is missing.

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Quotes one word for POSIX sh. */
export function shellQuote(word: string): string {
  if (word.includes('\0')) throw new Error('kernel lab: a shell word cannot contain NUL');
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

export interface JobScriptInput {
  cmd: string[];
  cwd: string;
  env: Record<string, string>;
}

/** The PATH a job starts with (the host's usual root PATH). */
const JOB_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export function renderJobScript(input: JobScriptInput): string {
  if (input.cmd.length === 0) throw new Error('kernel lab: cmd is empty');
  const lines = [
    '# Written by the kernel lab (test/kernel/lab/shell.ts); /init runs it chrooted.',
    `export PATH=${shellQuote(JOB_PATH)}`,
    "export HOME=/root LANG=C.UTF-8 LAB_OUT=/lab/out",
  ];
  for (const [name, value] of Object.entries(input.env)) {
    if (!ENV_NAME.test(name)) throw new Error(`kernel lab: bad env name ${JSON.stringify(name)}`);
    lines.push(`export ${name}=${shellQuote(value)}`);
  }
  lines.push(`cd ${shellQuote(input.cwd)} || exit 125`);
  lines.push(`exec ${input.cmd.map(shellQuote).join(' ')}`);
  return lines.join('\n') + '\n';
}
