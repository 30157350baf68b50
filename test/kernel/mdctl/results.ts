// The record the mdadm-vs-mdctl guest program leaves in $LAB_OUT/mdctl-vs-mdadm.json for the
// host test. Owns: its shape only (shared by guest.ts, which writes it, and the ktest, which
// checks it). Invariant: every command the guest ran for a comparison is kept with its exit
// code and full output, so the host re-normalises and re-compares from the raw texts instead
// of trusting the guest's verdict.

export interface CmdResult {
  argv: string[];
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/** What one tool said about one array in one state. */
export interface Outputs {
  detail: CmdResult;
  export: CmdResult;
  test: CmdResult;
}

export interface StepRecord {
  name: string;
  /** The operation as run with mdadm (array A) and with mdctl (array B). */
  opA: CmdResult;
  opB: CmdResult;
  /** ms from the operations until both kernels reached the step's expected state. */
  settleMs: number;
  /** ms from settled until mdctl's view agreed (or the bound passed), and the polls made. */
  convergeMs: number;
  polls: number;
  /** mdadm on A, mdctl on B, and mdadm on B (the kernel truth of the array mdctl manages). */
  a: Outputs;
  b: Outputs;
  bKernel: Outputs;
  /** `--detail --scan` of both tools (mdadm lists A and B; mdctl only the cluster's B). */
  scanA: CmdResult;
  scanB: CmdResult;
  /** For steps with examine: per member of B, mdadm's and mdctl's --examine and --query. */
  examine: { member: string; mdadm: CmdResult; mdctl: CmdResult }[];
  query: { target: string; mdadm: CmdResult; mdctl: CmdResult }[];
  /** The guest's own verdict after polling (the host checks again from the texts). */
  agreed: boolean;
}

export interface GuestRecord {
  daemonReadyMs: number;
  steps: StepRecord[];
  /** Set when the program stopped early; the steps done so far are kept. */
  error: string | null;
  totalMs: number;
  /** mdctl process runs and their mean wall time in the guest. */
  mdctlRuns: number;
  mdctlMeanMs: number;
}

export const RESULT_FILE = 'mdctl-vs-mdadm.json';
