import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const nodeModules = [
  'node:*',
  'electron',
  'fs',
  'path',
  'os',
  'child_process',
  'worker_threads',
  'net',
  'http',
  'https',
  'crypto',
  'better-sqlite3',
  'kafkajs',
  'ws',
];

/**
 * Shells (the CLI, the edge server, Electron's main process) are thin views: they import
 * contract/, each other, and the core service's entry — nothing else of main/. Imports are
 * matched as written, so the rule is built per folder depth below main/shells/.
 */
function shellImports(depth, allowed) {
  const toMain = `^(?:\\.\\./){${depth + 1}}`;
  const ok = ['service\\.js$', '\\.\\./contract/', ...allowed].join('|');
  return {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          {
            regex: `${toMain}(?!${ok})`,
            message:
              'A shell talks to the core through contract/ and the service entry (main/service.js) only.',
          },
        ],
      },
    ],
  };
}
/** The edge and Electron shells also host the service in a worker or utility process. */
const HOSTING = ['service-host[^/]*$', 'start-service-worker\\.js$', 'transport/'];

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'release/', '.cache/', 'bench/out/', '.scratch/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // Runtime boundaries: the renderer runs in a sandboxed page, the contract everywhere.
    files: ['renderer/**/*.ts', 'contract/**/*.ts'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: nodeModules,
              message: 'renderer/ and contract/ must not import Node or Electron modules.',
            },
            {
              group: ['**/main/**', '**/preload/**'],
              message: 'Use the contract, not main/ or preload/.',
            },
          ],
        },
      ],
    },
  },
  { files: ['main/shells/*.ts'], rules: shellImports(0, []) },
  { files: ['main/shells/cli/*.ts'], rules: shellImports(1, []) },
  { files: ['main/shells/cli/*/*.ts'], rules: shellImports(2, []) },
  { files: ['main/shells/{edge,electron}/*.ts'], rules: shellImports(1, HOSTING) },
  { files: ['main/shells/{edge,electron}/*/*.ts'], rules: shellImports(2, HOSTING) },
);
