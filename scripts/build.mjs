// One build script: bundles the extension (two entry points, so the Docker stack loads only on
// first use) and transpiles the tests and the sandbox to out/ for mocha and node.
import * as esbuild from 'esbuild';
import { existsSync, readdirSync, statSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const args = new Set(process.argv.slice(2));
const production = args.has('--production');
const testsOnly = args.has('--tests-only');

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

if (!testsOnly) {
  rmSync('dist', { recursive: true, force: true });
  await esbuild.build({
    entryPoints: { extension: 'src/extension.ts', docker: 'src/core/docker/index.ts' },
    bundle: true,
    outdir: 'dist',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    // vscode is provided by the host; ssh2's optional native parts stay out so it uses pure JS.
    external: ['vscode', 'cpu-features', '*.node', './docker.js'],
    minify: production,
    sourcemap: !production,
    metafile: true,
    logLevel: 'warning',
  });
}

// Tests, the sandbox and the core are transpiled file by file (types are checked by tsc).
// out/ is not wiped (a running sandbox executes from it); only outputs whose source is gone go.
const sources = [...tsFilesUnder('src'), ...tsFilesUnder('test')];
removeOrphans('out', new Set(sources.map((file) => join('out', file.replace(/\.ts$/, '.js')))));
await esbuild.build({
  entryPoints: sources,
  outdir: 'out',
  outbase: '.',
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: 'inline',
  logLevel: 'warning',
});
