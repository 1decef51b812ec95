// ESLint for Pipewright: typescript-eslint's type-checked rules, React hooks for the designer.
// `npm run lint` runs it; `npm test` runs it after the type check.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'dist-e2e/', '.cache/', 'out/', 'test-artifacts/', 'bench/results/', 'bench/kstreams/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
      globals: { ...globals.node, ...globals.browser },
    },
    rules: {
      // Kinds, transports and sinks implement async interfaces; a method with nothing to await still returns a promise.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
    },
  },
  {
    files: ['designer/**/*.tsx', 'designer/**/*.ts'],
    plugins: { 'react-hooks': reactHooks },
    rules: reactHooks.configs.recommended.rules,
  },
  {
    // A function a newcomer can read in one sitting: longer ones split along their concerns,
    // or say on a disable comment why they read best whole.
    files: ['runtime/**', 'codegen/**', 'designer/**', 'bench/**', 'scripts/**'],
    ignores: ['**/*.test.*', 'test/**'],
    rules: { 'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true }] },
  },
  {
    // Tests and benchmarks poke into parsed YAML, JSON and manifests whose shape their assertions check.
    files: ['**/*.test.ts', '**/*.test.tsx', 'test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    // kafkajs hands a batch's functions (resolveOffset, heartbeat, …) as closures; destructuring them is its documented use.
    files: ['runtime/transports/*.ts'],
    rules: { '@typescript-eslint/unbound-method': 'off' },
  },
  {
    // Measurement loops declare what each round overwrites.
    files: ['bench/**/*.ts'],
    rules: { 'no-useless-assignment': 'off' },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
);
