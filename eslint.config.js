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
);
