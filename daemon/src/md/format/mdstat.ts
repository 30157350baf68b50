// The /proc/mdstat format, one import for its users (simulated driver, kernel driver, the
// daemon's cluster-wide /mdstat). Owns nothing itself: it re-exports the parser, renderer,
// document model and the builder from driver state.
// Invariant: renderMdstat(parseMdstat(t).value) === t for every text Linux 6.1 prints, and
// renderMdstat(mdstatFromArrays(arrays)) is what that kernel would print for those arrays.
export { parseMdstat } from './mdstat-parse.js';
export { renderMdstat } from './mdstat-render.js';
export {
  mdstatFromArrays, mdstatArrayFromState, defaultPersonalities, syncProgress, syncPerMille, syncFinishSec,
  bitmapPagesTotal, bitmapPagesKiB, superToken,
} from './mdstat-from-arrays.js';
export type { MdstatFromArraysOptions } from './mdstat-from-arrays.js';
export type {
  MdstatDoc, MdstatArray, MdstatMember, MdstatStatus, MdstatSync, MdstatBitmap, MdstatDiskSummary, MdstatProgressAction,
} from './mdstat-types.js';
export type { ParseResult } from './result.js';
