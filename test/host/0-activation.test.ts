// Runs first in the host suite (test/host/index.ts runs the files in name order; "0-" sorts before
// letters): right after activation, before any test used Docker, the extension host has loaded
// dist/extension.js but not dist/docker.js (dockerode, tar-fs): activation pays for no Docker code.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { EXTENSION_ID } from './helpers';

describe('Activation', () => {
  it('loads the extension bundle and no Docker code (dist/docker.js stays unloaded until a Docker action)', async () => {
    const extension = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(extension, `extension ${EXTENSION_ID} is not loaded`);
    await extension.activate();
    const loaded = Object.keys(require.cache).map((file) => path.resolve(file));
    const dist = path.join(extension.extensionPath, 'dist');
    assert.ok(
      loaded.includes(path.join(dist, 'extension.js')),
      `the check must see the extension's own bundle among ${loaded.filter((f) => f.startsWith(extension.extensionPath)).join(', ') || 'no file of it'}`,
    );
    assert.deepEqual(
      loaded.filter((file) => file === path.join(dist, 'docker.js')),
      [],
      'dist/docker.js must not be loaded by activation',
    );
    // What the extension bundle itself required (the test files loaded beside it may use dockerode:
    // the module cache is shared, so only the bundle's own require tree says what activation loaded).
    const required = new Set<string>();
    const walk = (module: NodeJS.Module | undefined): void => {
      for (const child of module?.children ?? []) {
        if (required.has(child.filename)) continue;
        required.add(child.filename);
        walk(child);
      }
    };
    walk(require.cache[path.join(dist, 'extension.js')]);
    assert.deepEqual(
      [...required].filter(
        (file) => /[\\/]node_modules[\\/](dockerode|docker-modem|ssh2|tar-fs)[\\/]/.test(file) || file === path.join(dist, 'docker.js'),
      ),
      [],
      'activation required no Docker module',
    );
  });
});
