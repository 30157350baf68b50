// The import fence of daemon/src, mdctl/src and native/src, run by `npm run lint` (after eslint).
// Owns: which module may import which. eslint.config.js owns the purity of code *inside* raft/
// and cluster/ (no clocks, timers, randomness, async); this file owns the arrows *between* files.
// Invariants enforced here:
// - no import cycles (type-only imports count: a type cycle is still a knot in the structure),
//   except the edges listed in KNOWN_CYCLE_EDGES, each with the reason it still exists;
// - the pure core (raft/, cluster/) imports no Node built-in, no I/O layer, no I/O package;
// - arrows point down the layers in LAYERS (derived from the import graph of 2026-12-07);
//   siblings in one layer do not import each other;
// - mdctl is a separate program: it loads only the pure parts of daemon/src at run time;
// - inside the node shell, node.ts composes the parts and no part imports it, and only
//   node/deps.ts (the injected effects) and node/sdnotify.ts (systemd) load Node built-ins,
//   so the simulators run the very same parts with their own clock, files and commands.
'use strict';

/** Layers, lowest first. A module may import its own layer's directory and any lower layer. */
const LAYERS = [
  { name: 'common', paths: ['^daemon/src/common/'],
    reason: 'asserts, error codes, branded ids, limits: used by everything, imports nothing' },
  { name: 'contracts', paths: ['^daemon/src/md/(types\\.ts$|format/)', '^daemon/src/control/protocol\\.ts$'],
    reason: 'pure data shapes and text formats shared by the core, the shell and mdctl ' +
      '(md array model, mdadm/mdstat text, the control-socket wire shapes)' },
  { name: 'raft', paths: ['^daemon/src/raft/'],
    reason: 'the pure consensus core: knows nothing of md arrays or the cluster state machine' },
  { name: 'cluster', paths: ['^daemon/src/cluster/'],
    reason: 'the pure replicated state machine: commands, apply, validation, plans' },
  { name: 'adapters-base', paths: ['^daemon/src/config/', '^daemon/src/log/', '^native/src/'],
    reason: 'config parsing, the logger, the libc/ioctl bindings: leaves the I/O layers build on' },
  { name: 'io', paths: ['^daemon/src/md/(driver\\.ts$|kernel/|sim/)', '^daemon/src/storage/', '^daemon/src/transport/'],
    reason: 'md drivers (kernel and simulated), the Raft disk storage, the peer transport' },
  { name: 'node', paths: ['^daemon/src/node/'],
    reason: 'the node shell: wires raft + cluster to storage, transport and the md driver' },
  { name: 'status', paths: ['^daemon/src/status/'],
    reason: 'HTTP status/metrics: reads the node, never drives it' },
  { name: 'control', paths: ['^daemon/src/control/(?!protocol\\.ts$)'],
    reason: 'the control socket server: drives the node, reuses status views' },
  { name: 'entry', paths: ['^daemon/src/[^/]+\\.ts$'],
    reason: 'daemon.ts, main.ts, demo.ts, demote-all.ts: compose everything, imported by nothing' },
];

/**
 * Import edges that close a cycle today. Nothing else may be added here: a new cycle fails lint.
 * Each entry: [from, to] (exact files).
 */
const KNOWN_CYCLE_EDGES = [
  // Empty since the node split (issue #14): keep it so.
];

const regexEscape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const exact = (file) => `^${regexEscape(file)}$`;

function cycleRules() {
  const byFrom = new Map();
  for (const [from, to] of KNOWN_CYCLE_EDGES) byFrom.set(from, [...(byFrom.get(from) ?? []), to]);
  const rules = [{
    name: 'no-circular',
    comment: 'An import cycle means neither side can be read, tested or replaced alone.',
    severity: 'error',
    from: { pathNot: [...byFrom.keys()].map(exact) },
    to: { circular: true },
  }];
  for (const [from, tos] of byFrom) {
    rules.push({
      name: 'no-circular',
      comment: `Known cycle edges from ${from} are listed in KNOWN_CYCLE_EDGES; any other cycle edge from it fails.`,
      severity: 'error',
      from: { path: exact(from) },
      to: { circular: true, pathNot: tos.map(exact) },
    });
  }
  return rules;
}

/** Runtime-pure npm packages the core may use (schema validation only, no I/O). */
const PURE_PACKAGES = ['zod'];

const pureCoreRules = [
  {
    name: 'pure-core-no-node-builtins',
    comment: 'raft/ and cluster/ run unchanged in the deterministic simulators: no fs, net, ' +
      'timers, crypto, worker threads or process state.',
    severity: 'error',
    from: { path: '^daemon/src/(raft|cluster)/' },
    to: { dependencyTypes: ['core'] },
  },
  {
    name: 'pure-core-no-io-layers',
    comment: 'The pure core is driven by the node shell, never the other way: it may not reach the ' +
      'md kernel/sim drivers, the native bindings, config, storage, transport, the shell, the ' +
      'control/status servers, the logger or the entry points.',
    severity: 'error',
    from: { path: '^daemon/src/(raft|cluster)/' },
    to: { path: [
      '^daemon/src/md/(kernel|sim)/', '^daemon/src/md/driver\\.ts$', '^native/',
      '^daemon/src/(config|storage|transport|node|control|status|log)/', '^daemon/src/[^/]+\\.ts$', '^mdctl/',
    ] },
  },
  {
    name: 'pure-core-no-io-packages',
    comment: 'Third-party packages do I/O (ws, pino, koffi, prom-client, node-forge, smol-toml); ' +
      'the core may use only the pure ones in PURE_PACKAGES.',
    severity: 'error',
    from: { path: '^daemon/src/(raft|cluster)/' },
    to: { dependencyTypes: ['npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-bundled', 'npm-no-pkg', 'npm-unknown'],
      pathNot: PURE_PACKAGES.map((p) => `node_modules/${regexEscape(p)}/`) },
  },
  {
    name: 'raft-not-cluster',
    comment: 'Raft replicates opaque bytes: it must not know the cluster state machine it carries.',
    severity: 'error',
    from: { path: '^daemon/src/raft/' },
    to: { path: '^daemon/src/cluster/' },
  },
];

function layerRules() {
  return LAYERS.map((layer, i) => {
    const above = LAYERS.slice(i + 1).flatMap((l) => l.paths);
    // Siblings: other directories/files of the same layer (a layer's own subtree is allowed).
    const rules = [];
    rules.push({
      name: `layer-${layer.name}-no-upward`,
      comment: `Arrows point down: ${layer.name} (${layer.reason}) may not import a higher layer ` +
        `(${LAYERS.slice(i + 1).map((l) => l.name).join(', ') || 'none'}).`,
      severity: 'error',
      from: { path: layer.paths },
      to: { path: above.length > 0 ? above : ['^$'] },
    });
    for (const own of layer.paths) {
      const siblings = layer.paths.filter((p) => p !== own);
      if (siblings.length === 0) continue;
      rules.push({
        name: `layer-${layer.name}-siblings-independent`,
        comment: `Within ${layer.name}, the parts do not import each other: each stands on the layers below.`,
        severity: 'error',
        from: { path: own },
        to: { path: siblings },
      });
    }
    return rules;
  }).flat();
}

const nodeShellRules = [
  {
    name: 'node-parts-not-composer',
    comment: 'node/node.ts composes the parts of the node shell; a part that imported it would ' +
      'reach into another part through the composer (issue #14). Parts talk through narrow hooks.',
    severity: 'error',
    from: { path: '^daemon/src/node/', pathNot: '^daemon/src/node/node\\.ts$' },
    to: { path: '^daemon/src/node/node\\.ts$' },
  },
  {
    name: 'node-effects-through-deps',
    comment: 'The node shell reaches files, processes and the clock only through the injected ' +
      'deps (node/deps.ts); sdnotify.ts is the systemd notifier, loaded by daemon.ts only.',
    severity: 'error',
    from: { path: '^daemon/src/node/', pathNot: ['^daemon/src/node/deps\\.ts$', '^daemon/src/node/sdnotify\\.ts$'] },
    to: { dependencyTypes: ['core'] },
  },
];

const mdctlRules = [
  {
    name: 'daemon-not-mdctl',
    comment: 'The daemon does not depend on its CLI; only the demo entry point drives both.',
    severity: 'error',
    from: { path: '^(daemon/src/[^/]+/|native/)' },
    to: { path: '^mdctl/' },
  },
  {
    name: 'mdctl-loads-no-daemon-code',
    comment: 'mdctl is its own program: at run time it may load only common/, the contracts ' +
      '(md model, text formats, control protocol) and the pure cluster/ helpers; it talks to ' +
      'the daemon over the control socket.',
    severity: 'error',
    from: { path: '^mdctl/src/' },
    to: { path: '^(daemon|native)/', pathNot: ['^daemon/src/common/', ...LAYERS[1].paths, '^daemon/src/cluster/'] },
  },
  {
    name: 'mdctl-commands-type-only',
    comment: 'mdctl builds the typed Command of cluster/commands.ts but must not load that module ' +
      '(its validation and apply code are the daemon\'s).',
    severity: 'error',
    from: { path: '^mdctl/src/' },
    to: { path: '^daemon/src/cluster/commands\\.ts$', dependencyTypesNot: ['type-only'] },
  },
];

module.exports = {
  forbidden: [...cycleRules(), ...pureCoreRules, ...layerRules(), ...nodeShellRules, ...mdctlRules],
  options: {
    // Type-only imports are edges too: layering and cycles are about the code's structure.
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|test|bench)/' },
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
