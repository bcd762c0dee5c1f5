// The structure docs/architecture.md promises, checked: activation's bundle holds no Docker code
// (dockerode and friends live in dist/docker.js, loaded on first use), the lint rules refuse an
// upward import and a runtime import of src/core/docker, the folder import graph has no cycle,
// and every command id and menu context value in package.json is one the code knows.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as esbuild from 'esbuild';
import { Linter } from 'eslint';
import tseslint from 'typescript-eslint';
import { COMMAND_IDS, CONTEXT_VALUES } from '../../src/commands/ids';

const ROOT = resolve(__dirname, '../../..');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const layers = require(join(ROOT, 'scripts/eslint-layers.cjs')) as { rules: Record<string, unknown> };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const bundles = require(join(ROOT, 'scripts/bundles.cjs')) as {
  DIST_BUNDLES: esbuild.BuildOptions & { entryPoints: Record<'extension' | 'docker', string> };
  UNUSED_DOCKER_MODULES: Record<string, string>;
};

/** What only dist/docker.js may contain. */
const DOCKER_ONLY = /node_modules[\\/](dockerode|docker-modem|ssh2|tar-fs|tar-stream|@balena[\\/]dockerignore|cpu-features)[\\/]/;

describe('Layers and the lazy Docker bundle', function () {
  this.timeout(60_000);

  /** One entry of dist/ built in memory with the build's own options (scripts/bundles.cjs). */
  async function bundleOf(entry: 'extension' | 'docker'): Promise<{ inputs: string[]; text: string }> {
    const result = await esbuild.build({
      ...bundles.DIST_BUNDLES,
      entryPoints: { [entry]: bundles.DIST_BUNDLES.entryPoints[entry] },
      absWorkingDir: ROOT,
      write: false,
      outdir: join(ROOT, 'out/layers-check'),
      metafile: true,
      logLevel: 'silent',
    });
    return { inputs: Object.keys(result.metafile.inputs), text: result.outputFiles.map((file) => file.text).join('\n') };
  }

  it('the extension bundle (what activation loads) contains no dockerode, tar-fs or src/core/docker code', async () => {
    const { inputs, text } = await bundleOf('extension');
    assert.ok(
      inputs.some((input) => input.endsWith('src/extension.ts')),
      'the check must see the extension entry',
    );
    assert.ok(
      inputs.some((input) => input.includes('src/host/dockerAccess.ts')),
      'the lazy loader is part of the extension bundle',
    );
    assert.deepEqual(
      inputs.filter((input) => DOCKER_ONLY.test(input)),
      [],
      'Docker packages must stay in dist/docker.js',
    );
    assert.deepEqual(
      inputs.filter((input) => /src[\\/]core[\\/]docker[\\/]/.test(input)),
      [],
      'src/core/docker is dist/docker.js: only type imports of it from the extension',
    );
    assert.match(text, /require\(["']\.\/docker\.js["']\)/, 'dist/docker.js is required at run time, by name');
  });

  it('the Docker bundle holds what the extension bundle lacks, and none of the dockerode parts the extension never runs', async () => {
    const { inputs, text } = await bundleOf('docker');
    for (const name of ['dockerode', 'docker-modem', 'tar-fs'])
      assert.ok(
        inputs.some((input) => input.includes(`node_modules/${name}/`)),
        `dist/docker.js bundles ${name}`,
      );
    // ssh2 (13 MiB of RSS once loaded), dockerode's gRPC session and protobuf progress decoder.
    assert.deepEqual(
      inputs.filter((input) => /node_modules[\\/](ssh2|@grpc|protobufjs|tweetnacl|bcrypt-pbkdf)[\\/]/.test(input)),
      [],
      'the unused dockerode modules are left out',
    );
    const stubbed = Object.keys(bundles.UNUSED_DOCKER_MODULES);
    assert.deepEqual(
      stubbed.filter((key) => !inputs.includes(`unused-docker-module:${key}`)),
      [],
      'each stub replaced its module (a moved require would bundle the real one again)',
    );
    for (const reason of Object.values(bundles.UNUSED_DOCKER_MODULES))
      assert.ok(text.includes(`${reason} is not part of this build`), `a call of a stub says: ${reason}`);
  });

  function lint(code: string, file: string): string[] {
    const linter = new Linter({ configType: 'flat' });
    const messages = linter.verify(
      code,
      [
        {
          files: ['**/*.ts'],
          languageOptions: { parser: tseslint.parser as Linter.Parser },
          plugins: { layers: layers as never },
          rules: { 'layers/one-way': 'error', 'layers/lazy-docker': 'error' },
        },
      ],
      { filename: join(ROOT, file) },
    );
    return messages.map((message) => `${message.ruleId}: ${message.message}`);
  }

  it('lint refuses an upward import (host → flows, ui → commands, core → host) and allows downward ones', () => {
    assert.match(
      lint("import { pushReference } from '../flows/transferFlow';\nvoid pushReference;", 'src/host/probe.ts').join('\n'),
      /layers\/one-way: host must not import flows/,
    );
    assert.match(
      lint("import { pushImageCommand } from '../commands/pushImage';\nvoid pushImageCommand;", 'src/ui/probe.ts').join('\n'),
      /ui must not import commands/,
    );
    assert.match(
      lint("import { DockerAccess } from '../../host/dockerAccess';\nvoid DockerAccess;", 'src/core/tree/probe.ts').join('\n'),
      /core must not import host/,
    );
    assert.match(
      lint("import { ProjectsTreeProvider } from '../tree/provider';\nvoid ProjectsTreeProvider;", 'src/ui/probe.ts').join('\n'),
      /ui must not import tree/,
    );
    assert.deepEqual(
      lint(
        "import { pushReference } from '../flows/transferFlow';\nimport { CONTEXT_KEYS } from './ids';\nvoid [pushReference, CONTEXT_KEYS];",
        'src/commands/probe.ts',
      ),
      [],
    );
    assert.deepEqual(
      lint(
        "import { CONTEXT_VALUES } from '../commands/ids';\nimport { DockerAccess } from '../host/dockerAccess';\nvoid [CONTEXT_VALUES, DockerAccess];",
        'src/tree/probe.ts',
      ),
      [],
    );
    assert.match(
      lint("import { readSettings } from './host/settings';\nvoid readSettings;", 'src/services.ts').join('\n'),
      /services\.ts imports types only/,
    );
  });

  it('lint refuses a runtime import of src/core/docker outside it, and allows type imports and the module itself', () => {
    assert.match(
      lint("import { pushImage } from '../core/docker';\nvoid pushImage;", 'src/flows/probe.ts').join('\n'),
      /layers\/lazy-docker/,
    );
    assert.match(
      lint("import { tagImage } from '../core/docker/operations';\nvoid tagImage;", 'src/host/probe.ts').join('\n'),
      /layers\/lazy-docker/,
    );
    assert.match(lint("export { pingDocker } from '../core/docker/engine';", 'src/host/probe.ts').join('\n'), /layers\/lazy-docker/);
    assert.match(lint("void import('../core/docker');", 'src/host/probe.ts').join('\n'), /layers\/lazy-docker/);
    assert.deepEqual(
      lint(
        "import type { LocalImage } from '../core/docker';\nimport { type TransferProgress } from '../core/docker/progress';\nexport type X = [LocalImage, TransferProgress];",
        'src/ui/probe.ts',
      ),
      [],
    );
    assert.deepEqual(
      lint("import { RegistryDeniedError } from './operations';\nvoid RegistryDeniedError;", 'src/core/docker/probe.ts'),
      [],
    );
  });

  it('the folder import graph of src/ has no cycle (scripts/import-graph.mjs)', () => {
    const graph = JSON.parse(
      execFileSync(process.execPath, [join(ROOT, 'scripts/import-graph.mjs'), '--json'], { cwd: ROOT, encoding: 'utf8' }),
    ) as { cycles: string[][]; edges: unknown[] };
    assert.ok(graph.edges.length > 20, 'the graph must see the imports');
    assert.deepEqual(graph.cycles, []);
  });

  it('every command in package.json is a CommandId and back, and every menu viewItem test matches a context value', () => {
    const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      contributes: { commands: Array<{ command: string }>; menus: Record<string, Array<{ command: string; when?: string }>> };
    };
    assert.deepEqual(manifest.contributes.commands.map((c) => c.command).sort(), [...COMMAND_IDS].sort());
    const values = Object.values(CONTEXT_VALUES).flatMap((value) =>
      typeof value === 'function' ? [value('info'), value('warning'), value('error')] : [value],
    );
    for (const [menu, items] of Object.entries(manifest.contributes.menus)) {
      for (const item of items) {
        assert.ok((COMMAND_IDS as readonly string[]).includes(item.command), `${menu}: unknown command ${item.command}`);
        const test = /viewItem =~ \/(.+?)\/(?:\s|$)/.exec(item.when ?? '')?.[1];
        if (test)
          assert.ok(
            values.some((value) => new RegExp(test.replace(/\\\\/g, '\\')).test(value)),
            `${menu} ${item.command}: ${test} matches no tree context value`,
          );
      }
    }
  });
});
