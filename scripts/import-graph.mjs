// Prints the folder-level import graph of src/ and its cycles; exits 1 when there is a cycle
// (so CI or `npm run lint` can run it). A folder is a directory under src/ (src/core/x counts as
// core/x, files directly in src/core as core). Files directly in src/ count one by one (extension,
// services, api), and so does src/commands/ids.ts (commands/ids): they are the composition root
// and the two leaves every layer may import (docs/architecture.md).
// Usage: node scripts/import-graph.mjs [--json] [--files]   (--files: also list the edges file by file)
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(process.argv.includes('--root') ? process.argv[process.argv.indexOf('--root') + 1] : 'src');
const asJson = process.argv.includes('--json');
const listFiles = process.argv.includes('--files');
const quiet = process.argv.includes('--quiet'); // only the cycles (for lint)

function tsFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return tsFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

function folderOf(file) {
  const path = relative(root, file).split(/[\\/]/);
  if (path.length === 1) return path[0].replace(/\.ts$/, '');
  if (path.join('/') === 'commands/ids.ts') return 'commands/ids';
  const parts = path.slice(0, -1);
  return parts[0] === 'core' && parts.length > 1 ? `core/${parts[1]}` : parts[0];
}

function resolveImport(from, specifier) {
  const base = resolve(dirname(from), specifier);
  for (const candidate of [`${base}.ts`, join(base, 'index.ts'), base]) {
    try {
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not this one
    }
  }
  return undefined;
}

// import … from '…', export … from '…', import('…'), require('…'); type-only ones are marked.
const pattern =
  /(?:^|\n)\s*(import|export)\s+(type\s+)?[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|require\(\s*['"]([^'"]+)['"]\s*\)/g;
const edges = new Map(); // "a -> b" → { from, to, type: every import type-only?, files: [] }
for (const file of tsFiles(root)) {
  const text = readFileSync(file, 'utf8');
  for (const match of text.matchAll(pattern)) {
    const specifier = match[3] ?? match[4] ?? match[5];
    if (!specifier.startsWith('.')) continue;
    const target = resolveImport(file, specifier);
    if (!target || !target.startsWith(root)) continue;
    const from = folderOf(file);
    const to = folderOf(target);
    if (from === to) continue;
    const typeOnly = match[2] !== undefined || match[4] !== undefined;
    const key = `${from} -> ${to}`;
    const edge = edges.get(key) ?? { from, to, typeOnly: true, files: [] };
    edge.typeOnly &&= typeOnly;
    edge.files.push(`${relative(root, file)} -> ${relative(root, target)}${typeOnly ? ' (type)' : ''}`);
    edges.set(key, edge);
  }
}

// Cycles: the strongly connected components with more than one folder (Tarjan).
const graph = new Map();
for (const { from, to } of edges.values()) {
  if (!graph.has(from)) graph.set(from, new Set());
  if (!graph.has(to)) graph.set(to, new Set());
  graph.get(from).add(to);
}
let index = 0;
const stack = [];
const state = new Map();
const components = [];
function connect(node) {
  state.set(node, { index, low: index, onStack: true });
  index++;
  stack.push(node);
  for (const next of graph.get(node)) {
    if (!state.has(next)) {
      connect(next);
      state.get(node).low = Math.min(state.get(node).low, state.get(next).low);
    } else if (state.get(next).onStack) state.get(node).low = Math.min(state.get(node).low, state.get(next).index);
  }
  if (state.get(node).low === state.get(node).index) {
    const component = [];
    let member;
    do {
      member = stack.pop();
      state.get(member).onStack = false;
      component.push(member);
    } while (member !== node);
    if (component.length > 1) components.push(component.sort());
  }
}
for (const node of [...graph.keys()].sort()) if (!state.has(node)) connect(node);
// The two-way pairs inside each component, the way a reader names them ("commands <-> ui").
const pairs = [];
for (const { from, to } of edges.values()) if (from < to && edges.has(`${to} -> ${from}`)) pairs.push(`${from} <-> ${to}`);

if (asJson) {
  console.log(
    JSON.stringify(
      { edges: [...edges.values()].map(({ from, to, typeOnly, files }) => ({ from, to, typeOnly, files })), cycles: components, pairs },
      null,
      2,
    ),
  );
} else if (quiet) {
  for (const component of components)
    console.error(`Folder import cycle: ${component.join(', ')} (node scripts/import-graph.mjs --files shows the imports)`);
} else {
  console.log('Folder import graph of src/ (-> runtime import, ~> type-only):');
  for (const edge of [...edges.values()].sort((a, b) => `${a.from} ${a.to}`.localeCompare(`${b.from} ${b.to}`))) {
    console.log(`  ${edge.from} ${edge.typeOnly ? '~>' : '->'} ${edge.to} (${edge.files.length})`);
    if (listFiles) for (const line of edge.files) console.log(`      ${line}`);
  }
  console.log(`Cycles (folders importing each other, directly or around a loop): ${components.length}`);
  for (const component of components) console.log(`  ${component.join(', ')}`);
  for (const pair of pairs) console.log(`  two-way: ${pair}`);
}
process.exitCode = components.length > 0 ? 1 : 0;
