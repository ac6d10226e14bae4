// Lint: typescript-eslint's recommended rules plus React hooks rules for the UI.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'test-results/', 'playwright-report/', 'reference/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Every GPU buffer and query set has an owner that destroys it (src/gpu/memory.ts): nothing else
    // creates them, so destroy() of a trainer, translator or compiled graph frees all it made.
    files: ['src/**/*.{ts,tsx}', 'test/**/*.ts', 'e2e/**/*.{ts,tsx}'],
    ignores: ['src/gpu/memory.ts'],
    rules: {
      'no-restricted-syntax': ['error', {
        selector: "CallExpression[callee.property.name=/^create(Buffer|QuerySet)$/]",
        message: 'Create GPU buffers and query sets through a BufferOwner (gpu.owner.create / querySet), so they are freed with their owner.',
      }],
    },
  },
  {
    // The UI never touches GPU objects (conventions: data flows one way).
    files: ['src/ui/**/*.{ts,tsx}'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['**/gpu/**', '**/graph/**'] }] },
  },
);
