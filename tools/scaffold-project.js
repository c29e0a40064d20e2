#!/usr/bin/env node
// Creates an Nx project (lib or app) with the workspace's standard targets and registers its path alias.
// Usage: node tools/scaffold-project.js <dir> <importPath|-> <tags,comma,separated> [--int]
// --int adds a `test-int` target for `*.int.spec.ts` files that need Kafka or PostgreSQL.
const fs = require('node:fs');
const path = require('node:path');

const [dir, importPath, tagList, intFlag] = process.argv.slice(2);
const withInt = intFlag === '--int';
if (!dir || !importPath || !tagList) {
  console.error('usage: scaffold-project.js <dir> <importPath|-> <tags>');
  process.exit(2);
}
const root = path.resolve(__dirname, '..');
const abs = path.join(root, dir);
const depth = dir.split('/').length;
const up = '../'.repeat(depth);
const tags = tagList.split(',');
const isApp = tags.includes('type:app');
const name = isApp ? path.basename(dir) : dir.replace(/^libs\//, '').replace(/\//g, '-');

const write = (file, content) => {
  const target = path.join(abs, file);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  if (!fs.existsSync(target)) fs.writeFileSync(target, content);
};

write(
  'project.json',
  JSON.stringify(
    {
      name,
      $schema: `${up}node_modules/nx/schemas/project-schema.json`,
      sourceRoot: `${dir}/src`,
      projectType: isApp ? 'application' : 'library',
      tags,
      targets: {
        build: {
          executor: 'nx:run-commands',
          outputs: [`{workspaceRoot}/dist/${dir}`],
          options: { command: `tsc -p ${dir}/tsconfig.build.json` },
        },
        lint: { executor: 'nx:run-commands', options: { command: `eslint ${dir}` } },
        test: {
          executor: 'nx:run-commands',
          options: { command: `jest -c ${dir}/jest.config.js --passWithNoTests=false` },
        },
        ...(withInt
          ? {
              'test-int': {
                executor: 'nx:run-commands',
                options: { command: `jest -c ${dir}/jest.int.config.js --runInBand` },
              },
            }
          : {}),
      },
    },
    null,
    2,
  ) + '\n',
);
write(
  'tsconfig.json',
  JSON.stringify({ extends: `${up}tsconfig.base.json`, include: ['src/**/*.ts'] }, null, 2) + '\n',
);
write(
  'tsconfig.build.json',
  JSON.stringify(
    {
      extends: './tsconfig.json',
      compilerOptions: { outDir: `${up}dist/${dir}`, rootDir: up.slice(0, -1) || '.', types: ['node'] },
      include: ['src/**/*.ts'],
      exclude: ['src/**/*.spec.ts'],
    },
    null,
    2,
  ) + '\n',
);
write(
  'jest.config.js',
  `module.exports = {\n  ...require('${up}jest.preset.js'),\n  displayName: '${name}',\n  rootDir: __dirname,\n  testMatch: ['<rootDir>/src/**/*.spec.ts'],\n  testPathIgnorePatterns: ['\\\\.int\\\\.spec\\\\.ts$'],\n};\n`,
);
if (withInt)
  write(
    'jest.int.config.js',
    `module.exports = {\n  ...require('${up}jest.preset.js'),\n  displayName: '${name}:int',\n  rootDir: __dirname,\n  testMatch: ['<rootDir>/src/**/*.int.spec.ts'],\n  testTimeout: 120000,\n};\n`,
  );
if (!isApp) write('src/index.ts', '');

if (importPath !== '-') {
  const tsconfigPath = path.join(root, 'tsconfig.base.json');
  const tsconfig = JSON.parse(fs.readFileSync(tsconfigPath, 'utf8'));
  tsconfig.compilerOptions.paths[importPath] = [`${dir}/src/index.ts`];
  const sorted = Object.fromEntries(Object.entries(tsconfig.compilerOptions.paths).sort());
  tsconfig.compilerOptions.paths = sorted;
  fs.writeFileSync(tsconfigPath, JSON.stringify(tsconfig, null, 2) + '\n');
}
console.log(`created ${name} in ${dir}`);
