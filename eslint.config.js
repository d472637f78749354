// Lint rules. The boundary rules encode architecture.md: the harness and the
// scenarios judge a deployment through its public faces only, and the reference
// never depends on the harness.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'reports/**', '.aigos/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['reference/src/web/public/**/*.js'],
    languageOptions: { globals: { document: 'readonly', window: 'readonly', fetch: 'readonly' } },
  },
  {
    files: ['harness/**/*.ts', 'scenarios/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/reference/**'],
              message: 'The harness judges deployments through public interfaces only.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['reference/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/harness/**', '**/scenarios/**'],
              message: 'The reference never depends on the harness.',
            },
          ],
        },
      ],
    },
  },
);
