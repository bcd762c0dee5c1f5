// One build script: bundles the extension (two entry points, so the Docker stack loads only on
// first use) and transpiles the tests and the sandbox to out/ for mocha and node.
//   --production   minified bundles without source maps (npm run package)
//   --tests-only   only out/ (tests, sandbox, core), no dist/
//   --watch        build, then rebuild dist/ and out/ on every change until Ctrl-C (npm run watch);
//                  each build ends with a "[watch] build finished" line (.vscode/tasks.json waits for it)
import * as esbuild from 'esbuild';
import { existsSync, readdirSync, statSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';

const { DIST_BUNDLES } = createRequire(import.meta.url)('./bundles.cjs');

const args = new Set(process.argv.slice(2));
const production = args.has('--production');
const testsOnly = args.has('--tests-only');
const watch = args.has('--watch');

function tsFilesUnder(dir) {
  const found = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...tsFilesUnder(path));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) found.push(path);
  }
  return found;
}

function removeOrphans(dir, expected) {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) removeOrphans(path, expected);
    else if (path.endsWith('.js') && !expected.has(path)) rmSync(path);
  }
}

/** In watch mode, one line when a rebuild starts and one when it ends, with its error count. */
function announce(name) {
  return {
    name: 'announce',
    setup(build) {
      build.onStart(() => console.log(`[watch] build started (${name})`));
      build.onEnd((result) => console.log(`[watch] build finished (${name}): ${result.errors.length} error(s)`));
    },
  };
}

const builds = [];

if (!testsOnly) {
  rmSync('dist', { recursive: true, force: true });
  builds.push({
    name: 'dist',
    ...DIST_BUNDLES,
    outdir: 'dist',
    minify: production,
    sourcemap: !production,
    metafile: true,
    logLevel: 'warning',
  });
}

// Tests, the sandbox and the core are transpiled file by file (types are checked by tsc).
// out/ is not wiped (a running sandbox executes from it); only outputs whose source is gone go.
// In watch mode the entry points are globs, so a file added meanwhile is built too; each rebuild
// first removes the outputs of deleted sources.
function sourceFiles() {
  return [...tsFilesUnder('src'), ...tsFilesUnder('test')];
}
function removeOrphanOutputs() {
  removeOrphans('out', new Set(sourceFiles().map((file) => join('out', file.replace(/\.ts$/, '.js')))));
}
removeOrphanOutputs();
builds.push({
  name: 'out',
  entryPoints: watch ? ['src/**/*.ts', 'test/**/*.ts'] : sourceFiles(),
  plugins: watch ? [{ name: 'orphans', setup: (build) => build.onStart(removeOrphanOutputs) }] : [],
  outdir: 'out',
  outbase: '.',
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: 'inline',
  logLevel: 'warning',
});

if (watch) {
  for (const { name, plugins = [], ...options } of builds) {
    const context = await esbuild.context({ ...options, plugins: [...plugins, announce(name)] });
    await context.watch();
  }
  console.log('[watch] watching src/ and test/ (Ctrl-C stops)');
} else {
  for (const { name: _name, ...options } of builds) await esbuild.build(options);
}
