// ESLint flat config. The purity rule: daemon/src/raft and daemon/src/cluster must not touch
// I/O, clocks, timers, randomness or async code; the node shell (daemon/src/node) does that.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Which module may import which (including "no node: imports in raft/ and cluster/") is owned by
// .dependency-cruiser.cjs, run by `npm run lint` after eslint; the import rule below is a faster
// in-editor echo of it.
// globalThis/global/self reach every banned global by another name (globalThis.setTimeout,
// globalThis.Date.now); crypto holds randomUUID/getRandomValues; Function and eval run code
// that could reach them.
const impureGlobals = ['Date', 'setTimeout', 'setInterval', 'setImmediate', 'clearTimeout', 'clearInterval',
  'clearImmediate', 'performance', 'process', 'queueMicrotask', 'fetch', 'require', 'Buffer', 'console',
  'globalThis', 'global', 'self', 'crypto', 'Function', 'eval'].map((name) => ({
  name, message: 'daemon/src/raft and daemon/src/cluster are pure: no clocks, timers, randomness, I/O or process state.',
}));

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.demo/**', 'coverage/**', '.stryker-tmp*/**', 'reports/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', Buffer: 'readonly', console: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', setImmediate: 'readonly', URL: 'readonly', TextEncoder: 'readonly', TextDecoder: 'readonly', performance: 'readonly', queueMicrotask: 'readonly', AbortController: 'readonly', AbortSignal: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  { files: ['**/*.cjs'], languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', require: 'readonly' } } },
  {
    files: ['daemon/src/raft/**/*.ts', 'daemon/src/cluster/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { group: ['node:*'], message: 'pure code: no node: imports' },
        { group: ['fs', 'fs/*', 'os', 'path', 'net', 'tls', 'http', 'https', 'child_process', 'crypto', 'timers', 'timers/*', 'worker_threads', 'dgram', 'events', 'stream', 'util'], message: 'pure code: no Node built-ins' },
        { group: ['**/node/**', '**/storage/**', '**/transport/**', '**/status/**', '**/control/**', 'ws', 'koffi', 'pino', 'prom-client'], message: 'pure code must not depend on I/O layers' },
      ] }],
      'no-restricted-globals': ['error', ...impureGlobals],
      'no-restricted-properties': ['error', { object: 'Math', property: 'random', message: 'use the injected seeded PRNG' }],
      'no-restricted-syntax': ['error',
        { selector: "NewExpression[callee.name='Date']", message: 'pure code: no wall clock (new Date)' },
        { selector: "MemberExpression[property.name=/^(randomUUID|getRandomValues|randomBytes|randomInt)$/]", message: 'pure code: no randomness but the injected seeded PRNG' },
        { selector: 'FunctionDeclaration[async=true]', message: 'pure code: no async' },
        { selector: 'ArrowFunctionExpression[async=true]', message: 'pure code: no async' },
        { selector: 'FunctionExpression[async=true]', message: 'pure code: no async' },
        { selector: 'AwaitExpression', message: 'pure code: no await' },
        { selector: "Identifier[name='Promise']", message: 'pure code: no promises' },
      ],
    },
  },
);
