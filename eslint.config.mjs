// ESLint (flat config) with typescript-eslint: the rules Temporal's TypeScript samples use (no floating
// promises; workflow code may not import Node), plus the boundaries of docs/ARCHITECTURE.md: workflows
// import at run time only the workflow-safe kernel (src/shared/) and each other, the kernel imports
// nothing of the rest of src/, and nothing outside src/workflows/ imports a workflow (callers start them
// by type name, src/client.ts). Import circles are dependency-cruiser's (.dependency-cruiser.cjs), layout
// Prettier's (.prettierrc.json; eslint-config-prettier turns off the rules it decides): `npm run lint`
// runs all three.
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import prettier from 'eslint-config-prettier/flat';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

/** What the workflow sandbox can load: the SDK's workflow-side packages and the kernel's one library. */
const sandboxPackages = ['@temporalio/workflow', '@temporalio/common', 'zod'];

const noNode = {
  paths: nodeBuiltins.map((name) => ({
    name,
    message: 'Node built-ins do not exist in the workflow sandbox (deterministic code only).',
  })),
};

/** The import rule of a kernel file: sandbox packages, and relative paths matching `inside` (a regex source). */
function kernelImports(inside) {
  const packages = sandboxPackages.map((p) => p.replace('/', '\\/')).join('|');
  return {
    ...noNode,
    patterns: [
      {
        regex: `^(?!(${packages})$|(${inside}))`,
        message: 'The kernel (src/shared/) imports only @temporalio/workflow, @temporalio/common, zod and itself.',
      },
    ],
  };
}

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.stack/**', 'coverage/**', 'scripts/**/*.cjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  // CommonJS configuration files (.dependency-cruiser.cjs) run in Node.
  {
    files: ['**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { module: 'writable', require: 'readonly', __dirname: 'readonly' },
    },
  },
  {
    files: ['**/*.ts', '**/*.mts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false },
      ],
    },
  },
  {
    // Imports resolved like Node with TypeScript's extensions.
    files: ['src/**/*.ts', 'bench/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.mts', '.js', '.mjs', '.json', '.node'] })],
    },
    rules: {
      // The workflow layer is reached by type name through the kernel's contracts (src/shared/contracts/),
      // never by importing its code: the worker loads it from workflowsPath.
      'import-x/no-restricted-paths': [
        'error',
        {
          zones: [
            {
              target: ['./src/!(workflows)/**/*', './src/*', './bench/**/*'],
              from: './src/workflows',
              message:
                'Outside src/workflows/, start a workflow by its type name with its contract (src/shared/contracts/) as the generic; never import its code.',
            },
          ],
        },
      ],
    },
  },
  {
    // Workflows: deterministic orchestration. Activities are imported as types only (proxyActivities).
    files: ['src/workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          ...noNode,
          patterns: [
            {
              regex: `^(?!(${sandboxPackages
                .filter((p) => p !== 'zod')
                .map((p) => p.replace('/', '\\/'))
                .join('|')})$|\\.\\.\\/shared\\/|\\.\\/[^/]+$)`,
              allowTypeImports: true,
              message:
                'Workflow code imports at run time only @temporalio/workflow, @temporalio/common, the kernel (../shared/…) and other workflows (./…); anything else as `import type`.',
            },
          ],
        },
      ],
    },
  },
  {
    // The kernel: what both sides of a workflow boundary share. It must itself be sandbox-safe, so it
    // imports only sandbox packages and itself (one block per folder depth: `..` leaves src/shared/
    // from its top level, `../..` from a subfolder).
    files: ['src/shared/*.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', kernelImports('\\.\\/')] },
  },
  {
    files: ['src/shared/*/*.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', kernelImports('\\.\\/|\\.\\.\\/(?!\\.\\.\\/)')] },
  },
  prettier,
);
