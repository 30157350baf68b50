// The fuzz surfaces, in the order `npm run fuzz` runs them (issue #19 item 3: every input
// that comes from outside the process). Owns: that list.
import type { Surface } from '../engine.js';
import { peerSurface } from './peer.js';
import { controlSurface } from './control.js';
import { statusSurface } from './status.js';
import { configSurface } from './config.js';
import { kernelSurface } from './kernel.js';
import { mdctlSurface } from './mdctl.js';

export const SURFACES: readonly Surface[] = [peerSurface, controlSurface, statusSurface, configSurface, kernelSurface, mdctlSurface];

export function surfaceNamed(name: string): Surface {
  const s = SURFACES.find((x) => x.name === name);
  if (s === undefined) throw new Error(`no fuzz surface ${name} (known: ${SURFACES.map((x) => x.name).join(', ')})`);
  return s;
}
