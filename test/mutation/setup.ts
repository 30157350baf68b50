// Vitest setup for the mutation run only (vitest.mutation.config.ts). Owns: fast-check's global
// settings there. A property that fails under a mutant has done its job at the first
// counterexample; shrinking it (seconds per mutant) only makes the report slower.
// Invariant: changes how a failure is reported, never whether a property passes.
import fc from 'fast-check';

fc.configureGlobal({ ...fc.readConfigureGlobal(), endOnFailure: true });
