// Building the production Transport from the daemon Config.
// Owns: the wiring of config.listen.peer, config.peers, config.tls and config.transport into
// TransportOptions. Invariant: fails start-up with OpError('E_BAD_CONFIG') if the TLS files
// are unreadable or inconsistent (see tls-material.ts), before any socket is opened.
import type { Config } from '../config/config.js';
import type { Logger } from '../log/logger.js';
import { loadTlsMaterial } from './tls-material.js';
import { Transport } from './transport.js';

export function createTransportFromConfig(config: Config, logger: Logger): Transport {
  const tls = loadTlsMaterial(config.tls, config.nodeId, Date.now());
  return new Transport({
    self: config.nodeId,
    listen: config.listen.peer,
    peers: config.peers,
    tls,
    timing: config.transport,
    logger,
  });
}
