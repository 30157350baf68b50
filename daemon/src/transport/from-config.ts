// Building the production Transport from the daemon Config.
// Owns: the wiring of config.listen.peer, config.peers, config.tls and config.transport into
// TransportOptions. Invariant: the TLS material was loaded and checked by the caller
// (tls-material.ts loadTlsMaterial, before the data directory is touched), so building the
// transport opens no file and fails on nothing outside.
import type { Config } from '../config/config.js';
import type { Logger } from '../log/logger.js';
import type { TlsMaterial } from './tls-material.js';
import { Transport } from './transport.js';

export function createTransportFromConfig(config: Config, logger: Logger, tls: TlsMaterial): Transport {
  return new Transport({
    self: config.nodeId,
    listen: config.listen.peer,
    peers: config.peers,
    tls,
    timing: config.transport,
    logger,
  });
}
