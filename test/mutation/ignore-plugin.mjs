// Stryker ignore-plugin for the mutation run (stryker.config.mjs `ignorers`). Owns: which code
// is not mutated because no behaviour depends on it. Mutants it skips are reported as
// "Ignored" with the reason below and count in no score.
// Invariant: only text that is never read back by the program is skipped:
//  - the message argument of assert(cond, message) (common/assert.ts): the condition is still
//    mutated; the message only names the broken invariant in the thrown error;
//  - log calls on a logger (`….logger.info|warn|error|debug(...)`): log lines are for people;
//    the node shell's behaviour is what it persists, sends and applies.
import { PluginKind, declareValuePlugin } from '@stryker-mutator/api/plugin';

const LOG_LEVELS = new Set(['trace', 'debug', 'info', 'warn', 'error', 'fatal']);

function isAssertMessage(path) {
  const parent = path.parentPath;
  if (parent === null || !parent.isCallExpression()) return false;
  const callee = parent.node.callee;
  return callee.type === 'Identifier' && callee.name === 'assert' && parent.node.arguments[1] === path.node;
}

function isLoggerCall(path) {
  if (!path.isCallExpression()) return false;
  const callee = path.node.callee;
  if (callee.type !== 'MemberExpression' || callee.property.type !== 'Identifier' || !LOG_LEVELS.has(callee.property.name)) return false;
  const obj = callee.object;
  const name = obj.type === 'MemberExpression' && obj.property.type === 'Identifier' ? obj.property.name
    : obj.type === 'Identifier' ? obj.name : '';
  return name === 'logger' || name === 'log';
}

export const strykerPlugins = [
  declareValuePlugin(PluginKind.Ignore, 'no-behaviour', {
    shouldIgnore(path) {
      if (isAssertMessage(path)) return 'assert() message: only names the broken invariant';
      if (path.isExpressionStatement() && isLoggerCall(path.get('expression'))) return 'log line: not behaviour';
      return undefined;
    },
  }),
];
