// The options of the extension's bundles (dist/), for scripts/build.mjs and for the test that
// checks what each bundle holds (test/unit/layers.test.ts), so both read the same facts.
'use strict';

/**
 * dockerode modules this extension never runs, left out of dist/docker.js. Loading them cost the
 * Docker bundle 1.5 MB and every process that loads it 13 MiB of RSS before its first request
 * (ssh2 alone), the build's packer included. Each is replaced by a function that says why if it
 * is ever called: key `<importer path>|<request>`.
 */
const UNUSED_DOCKER_MODULES = {
  // ssh:// engines are refused before a client is made (src/core/docker/endpoint.ts).
  'docker-modem/lib/modem.js|./ssh': 'docker-modem over ssh:// (the extension refuses ssh:// engines before it makes a client)',
  // src/core/docker/build.ts opens its own BuildKit session and dials the build itself.
  'dockerode/lib/docker.js|./session': "dockerode's BuildKit session (src/core/docker/buildkitSession.ts is the extension's)",
  // (required by Docker.followProgress only; progress is parsed by src/core/docker/progress.ts)
  'dockerode/lib/docker.js|./buildkit': "dockerode's BuildKit progress decoder (src/core/docker/progress.ts is the extension's)",
};

const unusedDockerModules = {
  name: 'unused-docker-modules',
  setup(build) {
    // Only the requests named above reach the callback, which then checks the importer.
    const requests = [...new Set(Object.keys(UNUSED_DOCKER_MODULES).map((key) => key.split('|')[1]))];
    const filter = new RegExp(`^(${requests.map((request) => request.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('|')})$`);
    build.onResolve({ filter }, (args) => {
      const importer = args.importer.split('\\').join('/');
      const key = Object.keys(UNUSED_DOCKER_MODULES).find((entry) => {
        const [file, request] = entry.split('|');
        return request === args.path && importer.endsWith(`/node_modules/${file}`);
      });
      return key ? { path: key, namespace: 'unused-docker-module' } : undefined;
    });
    build.onLoad({ filter: /.*/, namespace: 'unused-docker-module' }, (args) => ({
      contents: `module.exports = function unused() { throw new Error(${JSON.stringify(`${UNUSED_DOCKER_MODULES[args.path]} is not part of this build`)}); };`,
      loader: 'js',
    }));
  },
};

/**
 * dist/: two entry points, so the Docker stack loads only on first use (the extension bundle
 * requires ./docker.js at run time); vscode comes from the host, and ssh2's optional native
 * parts stay out. The tests build one entry at a time with these options.
 */
const DIST_BUNDLES = {
  entryPoints: { extension: 'src/extension.ts', docker: 'src/core/docker/index.ts' },
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['vscode', 'cpu-features', '*.node', './docker.js'],
  plugins: [unusedDockerModules],
};

module.exports = { DIST_BUNDLES, UNUSED_DOCKER_MODULES };
