// Starting the daemon's alerts (node/alert-delivery.ts) from the configuration: the [alerts]
// section, with mdadm.conf's MAILADDR, MAILFROM and PROGRAM where the section sets none.
// Owns: reading mdadm.conf once at start-up and the flush timer, which runs (every tick) only
// while alerts wait in the pending queue. Invariants: a missing or
// unreadable mdadm.conf means no alert settings from it (logged at debug), never a failed start;
// the file is read up to ALERT_MAX_MDADM_CONF_BYTES.
import { closeSync, openSync, readSync } from 'node:fs';
import { hostname } from 'node:os';
import { ALERT_MAX_MDADM_CONF_BYTES } from './common/limits.js';
import type { Config } from './config/config.js';
import type { Logger } from './log/logger.js';
import { parseMdadmConf, type MdadmConf } from './md/format/mdadm-conf.js';
import { AlertDelivery, type AlertSettings } from './node/alert-delivery.js';
import { systemClock, systemCommands, systemTimers } from './node/deps.js';
import type { ClusterNode } from './node/node.js';
import { clusterMdstat } from './status/source.js';

function readHead(path: string, maxBytes: number): string {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(maxBytes);
    const n = readSync(fd, buf, 0, maxBytes, 0);
    return buf.subarray(0, n).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** The [alerts] settings with mdadm.conf's keywords filling what the section leaves unset. */
export function alertSettings(config: Config, logger: Logger): AlertSettings {
  const a = config.alerts;
  let conf: Pick<MdadmConf, 'mailAddr' | 'mailFrom' | 'program'> = { mailAddr: null, mailFrom: null, program: null };
  if (a.mdadmConf !== null) {
    try {
      conf = parseMdadmConf(readHead(a.mdadmConf, ALERT_MAX_MDADM_CONF_BYTES));
    } catch (e) {
      logger.debug({ path: a.mdadmConf, err: (e as Error).message }, 'no alert settings from mdadm.conf');
    }
  }
  return {
    program: a.program ?? conf.program, mail: a.mail ?? conf.mailAddr, mailFrom: a.mailFrom ?? conf.mailFrom,
    syslog: a.syslog, incrementPercent: a.incrementPercent, host: hostname(),
  };
}

/** Delivers alerts while the daemon runs; stop() ends the flush timer and the subscription. */
export function startAlerts(config: Config, node: ClusterNode, logger: Logger): { delivery: AlertDelivery; stop(): void } {
  const settings = alertSettings(config, logger);
  const delivery = new AlertDelivery(settings, {
    raftStatus: () => node.raft.status(),
    state: () => node.state,
    propose: (cmd) => {
      node.propose(cmd, { timeoutMs: 5000, waitMd: false }).then(
        (o) => { if (!o.ok) logger.warn({ code: o.code, msg: o.message }, 'alerts-sent refused (a later flush proposes again)'); },
        (e: unknown) => logger.warn({ err: (e as Error).message }, 'alerts-sent not applied (a later flush proposes again)'),
      );
    },
    mdstat: () => clusterMdstat({ state: node.state }),
  }, { clock: systemClock, logger, commands: systemCommands });
  // The flush timer runs only while alerts wait for confirmation: an idle daemon has none, and
  // every alert of an entry enters `pending` through onEvent (node/alert-delivery.ts).
  let timer: { cancel(): void } | null = null;
  const flush = (): void => {
    delivery.flush();
    if (delivery.pendingCount === 0) { timer?.cancel(); timer = null; }
  };
  const unsubscribe = node.events.subscribe((e) => {
    delivery.onEvent(e);
    if (timer === null && delivery.pendingCount > 0) timer = systemTimers.setInterval(flush, config.timing.tickMs);
  });
  logger.info({ program: settings.program, mail: settings.mail, syslog: settings.syslog }, 'alerts: the master delivers them');
  return { delivery, stop: () => { timer?.cancel(); timer = null; unsubscribe(); } };
}
