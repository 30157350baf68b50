// Minimal roff (man(7)) writing for the generated manual pages. Owns: escaping and the few
// macros used (TH, SH, TP, PP, nf/fi). Invariant: text from the option tables is escaped, so a
// leading "." or "'" or a backslash can never be read as a request.

export function esc(text: string): string {
  return text.replace(/\\/g, '\\e').replace(/-/g, '\\-').split('\n').map((l) => (/^[.']/.test(l) ? `\\&${l}` : l)).join('\n');
}

export class Roff {
  private readonly out: string[] = [];

  constructor(name: string, section: number, date: string, source: string, manual: string) {
    this.out.push(`.TH ${name.toUpperCase()} ${section} "${date}" "${source}" "${manual}"`);
  }

  sh(title: string): this { this.out.push(`.SH ${title.toUpperCase()}`); return this; }
  p(text: string): this { this.out.push('.PP', esc(text)); return this; }
  /** A tagged paragraph: bold tag, then its description. */
  tp(tag: string, text: string): this { this.out.push('.TP', `\\fB${esc(tag)}\\fR`, esc(text)); return this; }
  /** Preformatted text (usage blocks, examples). */
  pre(text: string): this { this.out.push('.PP', '.nf', esc(text.replace(/\n+$/, '')), '.fi'); return this; }
  text(): string { return this.out.join('\n') + '\n'; }
}
