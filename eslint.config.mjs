import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

// Domain libs are pure: no framework, no database driver, no broker client, no OTel SDK.
const bannedInDomain = [
  '@nestjs/*',
  'typeorm',
  'pg',
  'better-sqlite3',
  'kafkajs',
  '@opentelemetry/sdk-*',
  'nodemailer',
  'smtp-server',
  'express',
];

/** Every product scope: apps and test support may use them all. */
const productScopes = [
  'scope:planning',
  'scope:sending',
  'scope:bounce',
  'scope:feedback',
  'scope:shared',
  'scope:platform',
];

const depConstraints = [
  {
    sourceTag: 'type:contracts',
    onlyDependOnLibsWithTags: ['type:contracts'],
    bannedExternalImports: bannedInDomain,
  },
  {
    sourceTag: 'type:domain',
    onlyDependOnLibsWithTags: ['type:domain', 'type:contracts'],
    bannedExternalImports: bannedInDomain,
  },
  { sourceTag: 'type:platform', onlyDependOnLibsWithTags: ['type:platform', 'type:contracts'] },
  {
    sourceTag: 'type:feature',
    onlyDependOnLibsWithTags: ['type:domain', 'type:contracts', 'type:platform'],
  },
  {
    sourceTag: 'type:app',
    onlyDependOnLibsWithTags: [
      'type:feature',
      'type:domain',
      'type:contracts',
      'type:platform',
      'type:testing',
    ],
  },
  // Test support may reach into any lib, but nothing except apps' and e2e specs may use it.
  {
    sourceTag: 'type:testing',
    onlyDependOnLibsWithTags: ['type:feature', 'type:domain', 'type:contracts', 'type:platform'],
  },
  { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: ['type:testing', 'type:contracts', 'type:platform'] },
  { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
  { sourceTag: 'scope:platform', onlyDependOnLibsWithTags: ['scope:platform', 'scope:shared'] },
  {
    sourceTag: 'scope:planning',
    onlyDependOnLibsWithTags: ['scope:planning', 'scope:shared', 'scope:platform'],
  },
  {
    sourceTag: 'scope:sending',
    onlyDependOnLibsWithTags: ['scope:sending', 'scope:shared', 'scope:platform'],
  },
  { sourceTag: 'scope:bounce', onlyDependOnLibsWithTags: ['scope:bounce', 'scope:shared', 'scope:platform'] },
  {
    sourceTag: 'scope:feedback',
    onlyDependOnLibsWithTags: ['scope:feedback', 'scope:shared', 'scope:platform'],
  },
  { sourceTag: 'scope:app', onlyDependOnLibsWithTags: [...productScopes, 'scope:testing'] },
  { sourceTag: 'scope:testing', onlyDependOnLibsWithTags: productScopes },
  // Fixtures (certificates, sample data) depend on nothing and are used by specs only, below.
  { sourceTag: 'type:fixture', onlyDependOnLibsWithTags: [] },
  { sourceTag: 'scope:fixture', onlyDependOnLibsWithTags: [] },
];

/** The same constraints for spec files, where every project may also use fixture libs. */
const specDepConstraints = depConstraints.map((constraint) =>
  constraint.sourceTag.endsWith(':fixture')
    ? constraint
    : {
        ...constraint,
        onlyDependOnLibsWithTags: [
          ...constraint.onlyDependOnLibsWithTags,
          constraint.sourceTag.startsWith('type:') ? 'type:fixture' : 'scope:fixture',
        ],
      },
);

const boundaries = (constraints) => [
  'error',
  {
    enforceBuildableLibDependency: false,
    allow: [],
    banTransitiveDependencies: false,
    depConstraints: constraints,
  },
];

export default [
  { ignores: ['**/dist', '**/node_modules', '**/coverage', 'data/**', 'tmp/**', '**/*.js', '**/*.cjs'] },
  ...tseslint.configs.recommended,
  prettier,
  {
    files: ['**/*.ts'],
    plugins: { '@nx': nx },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@nx/enforce-module-boundaries': boundaries(depConstraints),
    },
  },
  {
    files: ['**/*.spec.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@nx/enforce-module-boundaries': boundaries(specDepConstraints),
    },
  },
];
