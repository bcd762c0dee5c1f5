import tseslint from 'typescript-eslint';
import layers from './scripts/eslint-layers.cjs';

const SETTINGS_READ = {
  selector: "MemberExpression[property.name='getConfiguration']",
  message: 'Settings are read only in src/host/settings.ts (hand the value over, e.g. through Services).',
};
const PROGRESS_TOAST = {
  selector: "MemberExpression[property.name='Notification'][object.property.name='ProgressLocation']",
  message: 'Progress toasts go through withNotificationProgress (src/ui/notify.ts), which paces them.',
};

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', '.vscode-test/**', '.synapse-sandbox/**'] },
  {
    files: ['src/**/*.ts', 'test/**/*.ts'],
    extends: [tseslint.configs.recommended],
    languageOptions: { parserOptions: { project: './tsconfig.json' } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    // The layers (docs/architecture.md): commands → flows → {tree, ui} → host → core, imports only
    // downward; and dockerode only through the lazy dist/docker.js (type imports of core/docker).
    files: ['src/**/*.ts'],
    plugins: { layers },
    rules: {
      'layers/one-way': 'error',
      'layers/lazy-docker': 'error',
    },
  },
  // Settings are read in one place (host/settings.ts); everything else gets plain values. Progress
  // toasts are added in one place (ui/notify.ts), which paces them (core/util/toastPacing.ts).
  // One block per file set: a later no-restricted-syntax would replace an earlier one, not add to it.
  {
    files: ['src/**/*.ts'],
    ignores: ['src/host/settings.ts', 'src/ui/notify.ts'],
    rules: { 'no-restricted-syntax': ['error', SETTINGS_READ, PROGRESS_TOAST] },
  },
  { files: ['src/host/settings.ts'], rules: { 'no-restricted-syntax': ['error', PROGRESS_TOAST] } },
  { files: ['src/ui/notify.ts'], rules: { 'no-restricted-syntax': ['error', SETTINGS_READ] } },
  {
    // The core must run in plain Node (unit tests, benchmarks): no VS Code API in it.
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'vscode', message: 'src/core must not depend on the VS Code API.' }] }],
    },
  },
);
