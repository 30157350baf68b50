// The mdclusterd process runs with DAEMON_NODE_OPTIONS (a bounded young generation, issue #19's
// control flood) however it is started: main.ts's #! line (the npm bin, a direct ./main.js) and
// the .deb's /usr/bin/mdclusterd wrapper (the systemd unit's ExecStart) must both carry them.
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { DAEMON_MAX_SEMI_SPACE_MIB, DAEMON_NODE_OPTIONS } from '../../daemon/src/common/limits.js';
import { daemonWrapper } from '../../pkg/build-deb.js';

describe('the daemon\'s node options', () => {
  test('name the semi-space bound', () => {
    expect(DAEMON_NODE_OPTIONS).toContain(`--max-semi-space-size=${DAEMON_MAX_SEMI_SPACE_MIB}`);
  });
  test('main.ts starts node with them (env -S splits the #! line)', () => {
    const first = readFileSync(new URL('../../daemon/src/main.ts', import.meta.url), 'utf8').split('\n')[0];
    expect(first).toBe(`#!/usr/bin/env -S node ${DAEMON_NODE_OPTIONS.join(' ')}`);
  });
  test('the .deb wrapper passes them before main.js', () => {
    const w = daemonWrapper('/usr/lib/mdclusterd');
    expect(w).toBe(`#!/bin/sh\nexec /usr/bin/node ${DAEMON_NODE_OPTIONS.join(' ')} /usr/lib/mdclusterd/dist/daemon/src/main.js "$@"\n`);
  });
});
