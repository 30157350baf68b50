// Admission of raw TCP sockets on the peer port, before TLS: per-address caps, the strangers'
// share, the slots kept for known peer addresses, and the deadlines from accept to a finished
// handshake and from the handshake to an accepted websocket upgrade.
// Owns: every inbound socket the peer listener holds, from accept to close, and its deadline.
// Invariants:
// - At most PEER_MAX_INBOUND_SOCKETS sockets are held. Sockets from addresses that are not a
//   known peer address ("strangers") hold at most PEER_MAX_STRANGER_SOCKETS of them, at most
//   PEER_MAX_PENDING_PER_ADDRESS unfinished handshakes and PEER_MAX_SOCKETS_PER_ADDRESS sockets
//   per address; so at least PEER_MAX_INBOUND_SOCKETS - PEER_MAX_STRANGER_SOCKETS slots (every
//   member twice: limits.ts) stay for the known peer addresses whatever strangers do.
// - A socket that has not finished its TLS handshake PEER_HANDSHAKE_TIMEOUT_MS after accept
//   (from a known peer address: upgradeTimeoutMs, the configured connect timeout, if longer),
//   or has not been upgraded to a peer link upgradeTimeoutMs after the handshake, is destroyed.
// - Every refusal is reported through refuse(reason) (counted and rate-limited by the caller);
//   a socket is refused or timed out at most once. The per-address map only holds addresses
//   with at least one socket (so it is bounded by the socket count).
// - A known peer address is an IP a configured peer's host is or resolves to. A node whose
//   connections come from another address (multi-homed, NAT) still connects, as a stranger.
import { lookup } from 'node:dns/promises';
import { isIP, type Socket } from 'node:net';
import {
  PEER_HANDSHAKE_TIMEOUT_MS, PEER_MAX_ADDRESSES_PER_HOST, PEER_MAX_INBOUND_SOCKETS, PEER_MAX_PENDING_PER_ADDRESS,
  PEER_MAX_SOCKETS_PER_ADDRESS, PEER_MAX_SOCKETS_PER_KNOWN_ADDRESS, PEER_MAX_STRANGER_SOCKETS,
} from '../common/limits.js';
import type { AdmissionGauges, RefusalReason } from './stats.js';

export interface AdmissionContext {
  /** Time from a finished handshake to an accepted upgrade, in ms. */
  readonly upgradeTimeoutMs: number;
  /** Counts and logs (rate-limited) one refused or timed-out socket. */
  refuse(reason: RefusalReason, fields: { address: string; known: boolean }): void;
  /** Name resolution of a peer host (default: the system resolver); tests inject one. */
  resolve?(host: string): Promise<string[]>;
}

interface Held {
  readonly address: string;
  readonly known: boolean;
  stage: 'pending' | 'open' | 'upgraded';
  timer: NodeJS.Timeout | null;
}

interface PerAddress {
  pending: number;
  total: number;
}

/** '::ffff:10.0.0.1' and '10.0.0.1' are one address. */
export function normalizeAddress(a: string | undefined): string {
  if (a === undefined) return '?';
  return a.startsWith('::ffff:') && isIP(a.slice(7)) === 4 ? a.slice(7) : a;
}

async function systemResolve(host: string): Promise<string[]> {
  const all = await lookup(host, { all: true });
  return all.map((r) => r.address);
}

export class PeerAdmission {
  private readonly held = new Map<Socket, Held>();
  private readonly perAddress = new Map<string, PerAddress>();
  private strangers = 0;
  /** Sockets destroyed by a deadline (weak: gone with the socket). */
  private readonly expiredSockets = new WeakSet<Socket>();
  /** Where every admitted socket came from, also after it closed (weak: gone with the socket). */
  private readonly origins = new WeakMap<Socket, { address: string; known: boolean }>();
  /** Addresses of the configured peers, by host (a host that did not resolve maps to []). */
  private readonly hostAddresses = new Map<string, readonly string[]>();
  private known = new Set<string>();
  /** Bumped by setKnownHosts; a resolution that finishes after a newer call is ignored. */
  private generation = 0;

  constructor(private readonly ctx: AdmissionContext) {}

  /**
   * The hosts of the configured peers. IP literals count at once; names count once resolved
   * (until then their connections are strangers). Resolution failures are ignored (the peer
   * still connects, as a stranger).
   */
  setKnownHosts(hosts: Iterable<string>): void {
    const gen = ++this.generation;
    const wanted = new Set([...hosts].map((h) => h.replace(/^\[(.*)\]$/, '$1')));
    for (const h of [...this.hostAddresses.keys()]) if (!wanted.has(h)) this.hostAddresses.delete(h);
    const resolve = this.ctx.resolve ?? systemResolve;
    for (const h of wanted) {
      if (isIP(h) !== 0) {
        this.hostAddresses.set(h, [normalizeAddress(h)]);
        continue;
      }
      if (!this.hostAddresses.has(h)) this.hostAddresses.set(h, []);
      resolve(h).then((addrs) => {
        if (gen !== this.generation || !this.hostAddresses.has(h)) return;
        this.hostAddresses.set(h, addrs.slice(0, PEER_MAX_ADDRESSES_PER_HOST).map(normalizeAddress));
        this.rebuildKnown();
      }, () => {});
    }
    this.rebuildKnown();
  }

  isKnown(address: string): boolean {
    return this.known.has(normalizeAddress(address));
  }

  /**
   * A socket was accepted: holds it (and starts its handshake deadline) or refuses it (destroys
   * it and reports why). Returns whether it was admitted.
   */
  admit(s: Socket): boolean {
    const address = normalizeAddress(s.remoteAddress);
    const known = this.known.has(address);
    const per = this.perAddress.get(address) ?? { pending: 0, total: 0 };
    const reason = this.refusal(known, per);
    if (reason !== null) {
      s.on('error', () => {});
      s.destroy();
      this.ctx.refuse(reason, { address, known });
      return false;
    }
    per.pending++;
    per.total++;
    this.perAddress.set(address, per);
    if (!known) this.strangers++;
    const h: Held = { address, known, stage: 'pending', timer: null };
    this.held.set(s, h);
    this.origins.set(s, { address, known });
    // Strangers get PEER_HANDSHAKE_TIMEOUT_MS; a known peer address (whose slots strangers cannot
    // take) gets the configured connect timeout, so a loaded host does not cut its real peers off.
    h.timer = setTimeout(() => this.expire(s, 'handshake-timeout'), known ? Math.max(PEER_HANDSHAKE_TIMEOUT_MS, this.ctx.upgradeTimeoutMs) : PEER_HANDSHAKE_TIMEOUT_MS);
    s.once('close', () => this.release(s));
    return true;
  }

  /** The TLS handshake of `s` finished: the upgrade deadline starts. */
  handshaken(s: Socket): void {
    const h = this.held.get(s);
    if (h === undefined || h.stage !== 'pending') return;
    h.stage = 'open';
    this.perAddress.get(h.address)!.pending--;
    this.clearTimer(h);
    h.timer = setTimeout(() => this.expire(s, 'upgrade-timeout'), this.ctx.upgradeTimeoutMs);
  }

  /** `s` became a peer link: no more deadlines (the link's own liveness checks take over). */
  upgraded(s: Socket): void {
    const h = this.held.get(s);
    if (h === undefined) return;
    this.clearTimer(h);
    h.stage = 'upgraded';
  }

  /** Whether `s` was destroyed for a deadline (already reported: its TLS error is not news). */
  expired(s: Socket): boolean {
    return this.expiredSockets.has(s);
  }

  /** Where an admitted socket came from, for logs (also after it closed). */
  addressOf(s: Socket): { address: string; known: boolean } | null {
    return this.origins.get(s) ?? null;
  }

  gauges(): AdmissionGauges {
    let pending = 0;
    for (const h of this.held.values()) if (h.stage === 'pending') pending++;
    return { pending, open: this.held.size - pending, strangers: this.strangers, knownAddresses: this.known.size };
  }

  /** Destroys every held socket (listener closing). */
  closeAll(): void {
    for (const s of [...this.held.keys()]) s.destroy();
  }

  private refusal(known: boolean, per: PerAddress): RefusalReason | null {
    if (this.held.size >= PEER_MAX_INBOUND_SOCKETS) return 'listener-full';
    if (known) return per.total >= PEER_MAX_SOCKETS_PER_KNOWN_ADDRESS ? 'address-cap' : null;
    if (per.pending >= PEER_MAX_PENDING_PER_ADDRESS) return 'pending-cap';
    if (per.total >= PEER_MAX_SOCKETS_PER_ADDRESS) return 'address-cap';
    if (this.strangers >= PEER_MAX_STRANGER_SOCKETS) return 'strangers-full';
    return null;
  }

  /** A deadline passed: the socket is destroyed and reported (once). */
  private expire(s: Socket, reason: 'handshake-timeout' | 'upgrade-timeout'): void {
    const h = this.held.get(s);
    if (h === undefined) return;
    h.timer = null;
    this.expiredSockets.add(s);
    this.release(s);
    s.destroy();
    this.ctx.refuse(reason, { address: h.address, known: h.known });
  }

  private release(s: Socket): void {
    const h = this.held.get(s);
    if (h === undefined) return;
    this.held.delete(s);
    this.clearTimer(h);
    const per = this.perAddress.get(h.address)!;
    if (h.stage === 'pending') per.pending--;
    per.total--;
    if (per.total === 0) this.perAddress.delete(h.address);
    if (!h.known) this.strangers--;
  }

  private clearTimer(h: Held): void {
    if (h.timer !== null) clearTimeout(h.timer);
    h.timer = null;
  }

  private rebuildKnown(): void {
    this.known = new Set([...this.hostAddresses.values()].flat());
  }
}
