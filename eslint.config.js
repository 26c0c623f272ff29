// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * Architecture boundaries, enforced rather than hoped for: a subgraph never
 * imports another subgraph, shared code (lib/) never imports a subgraph or
 * the gateway, and the gateway never reaches into provider code.
 */
const otherSubgraphs = (self) =>
  ['hris', 'crm', 'ticketing']
    .filter((name) => name !== self)
    .map((name) => `**/subgraphs/${name}/**`);

const restrict = (patterns, message) => ({
  'no-restricted-imports': [
    'error',
    { patterns: [{ group: patterns, message }] },
  ],
});

export default tseslint.config(
  { ignores: ['**/node_modules', '.tributary/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    languageOptions: {
      parserOptions: { projectService: false },
      globals: {
        process: 'readonly',
        console: 'readonly',
        URL: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      'no-console': 'error',
      eqeqeq: ['error', 'smart'],
    },
  },
  {
    files: ['subgraphs/hris/**'],
    rules: restrict(otherSubgraphs('hris'), 'Subgraphs are independent.'),
  },
  {
    files: ['subgraphs/crm/**'],
    rules: restrict(otherSubgraphs('crm'), 'Subgraphs are independent.'),
  },
  {
    files: ['subgraphs/ticketing/**'],
    rules: restrict(otherSubgraphs('ticketing'), 'Subgraphs are independent.'),
  },
  {
    files: ['lib/**'],
    rules: restrict(
      ['**/subgraphs/**', '**/gateway/**', '**/sandbox/**'],
      'Shared code depends on nothing above it.',
    ),
  },
  {
    files: ['gateway/**'],
    rules: restrict(
      ['**/subgraphs/**', '**/providers/**', '**/sandbox/**'],
      'The gateway talks to subgraphs over HTTP only.',
    ),
  },
  {
    files: ['sandbox/**'],
    rules: restrict(
      ['**/subgraphs/**', '**/gateway/**'],
      'The sandbox plays the providers; it knows nothing of Tributary.',
    ),
  },
  {
    files: ['scripts/**', 'test/**', 'lib/logger.ts'],
    rules: { 'no-console': 'off' },
  },
  {
    // Tests assert what they index; a failed assertion reads better than a
    // guard.
    files: ['test/**'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
);
