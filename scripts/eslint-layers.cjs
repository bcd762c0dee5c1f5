// ESLint rules that hold the layers of docs/architecture.md, by where an import resolves to (not
// by how its specifier is spelled):
//   layers/one-way       commands → flows → {tree, ui} → host → core; services.ts and commands/ids.ts
//                        may be imported from every layer; services.ts itself imports types only.
//   layers/lazy-docker   outside src/core/docker only type imports of it: its runtime is dist/docker.js
//                        (dockerode, tar-fs), loaded on first use by host/dockerAccess.ts, never at activation.
// Used by eslint.config.mjs and test/unit/layers-lint.test.ts.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

/** What each layer may import (besides itself). `ids` = src/commands/ids.ts, `services` = src/services.ts. */
const ALLOWED = {
  core: ['core'],
  host: ['core', 'ids'],
  tree: ['core', 'host', 'ids'],
  ui: ['core', 'host', 'ids', 'services'],
  flows: ['core', 'host', 'tree', 'ui', 'ids', 'services'],
  commands: ['core', 'host', 'tree', 'ui', 'flows', 'ids', 'services'],
  ids: [],
  services: ['core', 'host', 'tree', 'ui', 'flows', 'ids'],
  api: ['core'],
  extension: ['core', 'host', 'tree', 'ui', 'flows', 'commands', 'ids', 'services', 'api'],
};

function srcRoot(filename) {
  const at = filename.split(path.sep).lastIndexOf('src');
  return at < 0
    ? undefined
    : filename
        .split(path.sep)
        .slice(0, at + 1)
        .join(path.sep);
}

/** The layer of a file under src/ (undefined outside src/: tests and scripts are not layered). */
function layerOf(file, root) {
  const parts = path.relative(root, file).split(path.sep);
  if (parts[0] === '..') return undefined;
  if (parts.length === 1) return { 'services.ts': 'services', 'api.ts': 'api', 'extension.ts': 'extension' }[parts[0]] ?? 'extension';
  if (parts[0] === 'commands' && parts[1] === 'ids.ts') return 'ids';
  return parts[0];
}

function resolveImport(from, specifier) {
  const base = path.resolve(path.dirname(from), specifier);
  for (const candidate of [`${base}.ts`, path.join(base, 'index.ts'), base]) {
    try {
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not this one
    }
  }
  return `${base}.ts`;
}

function isTypeOnly(node) {
  if (node.type === 'ImportDeclaration') {
    return (
      node.importKind === 'type' ||
      (node.specifiers.length > 0 && node.specifiers.every((s) => s.type === 'ImportSpecifier' && s.importKind === 'type'))
    );
  }
  if (node.type === 'ExportNamedDeclaration' || node.type === 'ExportAllDeclaration') {
    return node.exportKind === 'type' || (node.specifiers?.length > 0 && node.specifiers.every((s) => s.exportKind === 'type'));
  }
  return false; // import('…'), require('…'): runtime
}

/** Calls `check(node, specifier, typeOnly)` for every relative import, export-from, import() and require(). */
function visitImports(check) {
  const fromSource = (node) => {
    if (node.source && typeof node.source.value === 'string' && node.source.value.startsWith('.'))
      check(node, node.source.value, isTypeOnly(node));
  };
  return {
    ImportDeclaration: fromSource,
    ExportNamedDeclaration: fromSource,
    ExportAllDeclaration: fromSource,
    ImportExpression(node) {
      if (node.source.type === 'Literal' && typeof node.source.value === 'string' && node.source.value.startsWith('.'))
        check(node, node.source.value, false);
    },
    CallExpression(node) {
      const [argument] = node.arguments;
      if (
        node.callee.type === 'Identifier' &&
        node.callee.name === 'require' &&
        argument?.type === 'Literal' &&
        typeof argument.value === 'string' &&
        argument.value.startsWith('.')
      ) {
        check(node, argument.value, false);
      }
    },
  };
}

const oneWay = {
  meta: {
    type: 'problem',
    docs: { description: 'Layers import only downward (docs/architecture.md).' },
    messages: {
      upward: "{{from}} must not import {{to}} ('{{specifier}}'): layers import only downward, see docs/architecture.md.",
      servicesTypesOnly: "services.ts imports types only ('{{specifier}}'): use `import type`.",
    },
    schema: [],
  },
  create(context) {
    const filename = context.filename ?? context.getFilename();
    const root = srcRoot(filename);
    if (!root) return {};
    const from = layerOf(filename, root);
    if (!from || !ALLOWED[from]) return {};
    return visitImports((node, specifier, typeOnly) => {
      const to = layerOf(resolveImport(filename, specifier), root);
      if (!to) return;
      if (from === 'services' && !typeOnly) context.report({ node, messageId: 'servicesTypesOnly', data: { specifier } });
      if (to !== from && !ALLOWED[from].includes(to)) context.report({ node, messageId: 'upward', data: { from, to, specifier } });
    });
  },
};

const lazyDocker = {
  meta: {
    type: 'problem',
    docs: { description: 'Outside src/core/docker, only type imports of it (its runtime is the lazy dist/docker.js).' },
    messages: {
      runtime:
        "Only `import type` of src/core/docker here ('{{specifier}}'): its code is dist/docker.js (dockerode), loaded on first use through host/dockerAccess.ts; a runtime import puts dockerode into activation. Use the module from DockerConnection.module, and dockerErrors for its errors.",
    },
    schema: [],
  },
  create(context) {
    const filename = context.filename ?? context.getFilename();
    const root = srcRoot(filename);
    if (!root) return {};
    const dockerDir = path.join(root, 'core', 'docker') + path.sep;
    if (filename.startsWith(dockerDir)) return {};
    return visitImports((node, specifier, typeOnly) => {
      if (!typeOnly && resolveImport(filename, specifier).startsWith(dockerDir))
        context.report({ node, messageId: 'runtime', data: { specifier } });
    });
  },
};

module.exports = { rules: { 'one-way': oneWay, 'lazy-docker': lazyDocker }, ALLOWED, layerOf };
