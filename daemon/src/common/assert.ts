// Programmer-error assertions. Owns: the one way to crash on a broken invariant.
// Invariant: assert() is only for bugs in our own code, never for input from outside
// (peer frames, control requests, config, CLI, HTTP): those get an OpError with a code.
export class AssertionError extends Error {
  override name = 'AssertionError';
}

export function assert(cond: unknown, message: string): asserts cond {
  if (!cond) throw new AssertionError(`assertion failed: ${message}`);
}

export function unreachable(x: never, what = 'value'): never {
  throw new AssertionError(`unreachable ${what}: ${JSON.stringify(x)}`);
}
