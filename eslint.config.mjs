import nx from '@nx/eslint-plugin';
import checkFile from 'eslint-plugin-check-file';
import tseslint from 'typescript-eslint';

const boundaries = {
  enforceBuildableLibDependency: false,
  allow: [],
  // Commands load heavy libraries (TF.js, onnxruntime) lazily for fast start-up; a static
  // import of the same library elsewhere is fine.
  checkDynamicDependenciesExceptions: ['@headstart/core', '@headstart/trainer', '@headstart/exporter', '@headstart/inference', '@headstart/api', '@headstart/queue'],
  depConstraints: [
    { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib'] },
    { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:lib', 'type:app'] },
    { sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['type:lib', 'type:app'] },
    { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: ['type:lib', 'type:app'] },
    { sourceTag: 'platform:isomorphic', onlyDependOnLibsWithTags: ['platform:isomorphic'] },
    { sourceTag: 'platform:browser', onlyDependOnLibsWithTags: ['platform:isomorphic', 'platform:browser'] },
    { sourceTag: 'platform:node', onlyDependOnLibsWithTags: ['platform:isomorphic', 'platform:node'] },
  ],
};

export default [
  { ignores: ['**/node_modules/**', '**/dist/**', '**/.nx/**', '**/vitest.config.ts', '**/vite.config.ts', '**/bin/**'] },
  ...nx.configs['flat/base'],
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-throw-literal': 'error',
      '@nx/enforce-module-boundaries': ['error', boundaries],
    },
  },
  {
    // One file-name case: kebab-case files (middle extensions such as .test allowed) and folders.
    files: ['**/*.ts', '**/*.tsx', '**/*.mjs'],
    plugins: { 'check-file': checkFile },
    rules: {
      'check-file/filename-naming-convention': ['error', { '**/*.{ts,tsx,mjs}': 'KEBAB_CASE' }, { ignoreMiddleExtensions: true }],
      'check-file/folder-naming-convention': ['error', { '**/': 'KEBAB_CASE' }],
    },
  },
  {
    // Type-aware rules: a promise nobody awaits loses its error.
    files: ['packages/**/*.ts', 'apps/**/*.ts', 'apps/**/*.tsx', 'tools/**/*.ts', 'e2e/**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: { '@typescript-eslint/no-floating-promises': 'error' },
  },
  {
    files: ['packages/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: { 'no-console': 'error' },
  },
  {
    // Node-side code of projects that are not Node-only may use core's Node package: inference's
    // Node entry (its web entry never does) and tests, which run under Node in Vitest.
    files: ['packages/inference/src/node/**/*.ts', '**/test/**/*.ts', '**/*.test.ts'],
    rules: { '@nx/enforce-module-boundaries': ['error', { ...boundaries, allow: ['@headstart/core-node', '@headstart/core-node/testing'] }] },
  },
];
