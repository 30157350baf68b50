// The logger storage reports through. Owns: the minimal interface (a pino Logger satisfies it),
// so storage never picks a log sink itself. Invariant: storage only warns about recoverable
// events it repaired (torn tails, stray temp files); failures are thrown as OpError instead.
export interface StorageLogger {
  warn(fields: Record<string, unknown>, msg: string): void;
  info(fields: Record<string, unknown>, msg: string): void;
}
