// .dockerignore as `docker build` applies it, checked against the real thing: the docker CLI 28.5.2
// from Debian sid (the current engine's suite) builds each tree with the classic builder against a
// loopback socket that records its context (helpers/cli-context.ts), and the extension's context
// for the same tree must hold the same names in the same order, or be refused for the same pattern.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BuildContextError, createBuildContext } from '../../src/core/docker';
import { DockerignoreMatcher, readDockerignore, WalkMatcher } from '../../src/core/docker/dockerignore';
import { prng } from '../bench/dockerBenchData';
import { engineCli } from '../sandbox/engines';
import { projectRoot } from '../sandbox/stack';
import { cliContext, tarNames } from './helpers/cli-context';

interface Case {
  title: string;
  /** Paths of the tree; a trailing "/" makes a folder. A Dockerfile is always added. */
  tree: string[];
  dockerignore: string;
}

/** Each one hits a rule where the CLI 23+ differs from the older rules, or from a plain reading. */
const CASES: Case[] = [
  {
    title: 'a `!` rule that a folder skipped is not applied to its children through it',
    tree: ['d/f', 'd/g/h', 'e/f'],
    dockerignore: 'd/*\n!d\n',
  },
  {
    title: '`**.log` ends a name anywhere, even inside a segment',
    tree: ['a.log', 'x/b.log', 'x/y/c.log', 'keep.txt', 'x/.log'],
    dockerignore: '**.log\n',
  },
  {
    title: '`**foo` ends a name, `**/foo` only a whole segment',
    tree: ['foo', 'barfoo', 'x/barfoo', 'y/foo', 'x/foo/y'],
    dockerignore: '**foo\n!**/foo\n',
  },
  {
    title: 'regular expression characters are literal: ( ) + | { } $',
    tree: ['file(1).txt', 'file1.txt', 'c++', 'cc', 'a|b', 'a', 'b', 'x{2}', 'xx', 'a$'],
    dockerignore: 'file(1).txt\nc++\na|b\nx{2}\na$\n',
  },
  {
    title: 'a folder left out is walked only for a `!` rule that starts with its path',
    tree: ['vendor/keep/a', 'vendor/drop/b', 'vendor/c.go', 'other/c.go', 'main.go'],
    dockerignore: 'vendor\nother\n!vendor/keep\n!**/*.go\n',
  },
  {
    title: 'everything out, some back in',
    tree: ['src/a.ts', 'src/b/c.ts', 'notes/x.md', 'package.json', 'README.md'],
    dockerignore: '*\n!src\n!package.json\n',
  },
  {
    title: 'a `#` only starts a comment in the first column',
    tree: ['# not a comment', 'x', '#x'],
    dockerignore: '  # not a comment\n#x\nx\n',
  },
  { title: 'a byte order mark and CRLF line ends', tree: ['a', 'b', 'c'], dockerignore: '\ufeffa\r\nb\r\n' },
  {
    title: 'cleaning: leading /, ./, .., doubled and trailing slashes',
    tree: ['a/b/c', 'a/d', 'e/f', 'g'],
    dockerignore: '/a/b/\n./e//f\nx/../g\n',
  },
  {
    title: '`**` in the middle spans any number of folders, none included',
    tree: ['a/b', 'a/x/b', 'a/x/y/b/c', 'a/x/y/bb', 'b'],
    dockerignore: 'a/**/b\n',
  },
  {
    title: 'a trailing `/**` takes what is inside, not the folder',
    tree: ['build/x/y', 'build/z', 'buildx/a'],
    dockerignore: 'build/**\n!build/z\n',
  },
  {
    title: 'character classes, negated, ranges and POSIX classes',
    tree: ['a1', 'a2', 'ab', 'b1', 'c9', 'x-y', 'x_y'],
    dockerignore: '[ab][12]\n[^a-b]9\nx[[:punct:]]y\n',
  },
  {
    title: '? and * stay within a segment; an escaped * is literal',
    tree: ['ab', 'a/b', 'a*', 'ax', 'q/r/s'],
    dockerignore: 'a?\n!a\\*\n*/*/*\n',
  },
  {
    title: 'the Dockerfile and .dockerignore are sent even when excluded',
    tree: ['.dockerignore-other', 'src/a'],
    dockerignore: '*\n.dockerignore\nDockerfile\n',
  },
  {
    title: 'exceptions in order: the last rule that matches decides',
    tree: ['logs/a.log', 'logs/keep.log', 'logs/sub/keep.log'],
    dockerignore: 'logs\n!logs/keep.log\nlogs/**/keep.log\n',
  },
];

function writeTree(dir: string, tree: readonly string[], dockerignore: string): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'Dockerfile'), 'FROM scratch\n');
  fs.writeFileSync(path.join(dir, '.dockerignore'), dockerignore);
  for (const entry of tree) {
    const full = path.join(dir, entry);
    if (entry.endsWith('/')) fs.mkdirSync(full, { recursive: true });
    else {
      fs.mkdirSync(path.dirname(full), { recursive: true });
      fs.writeFileSync(full, entry);
    }
  }
}

async function coreContext(contextDir: string): Promise<{ names?: string[]; refusal?: string }> {
  try {
    const context = await createBuildContext({ contextDir });
    const chunks: Buffer[] = [];
    for await (const chunk of context.stream) chunks.push(chunk as Buffer);
    return { names: tarNames(Buffer.concat(chunks)) };
  } catch (error) {
    if (error instanceof BuildContextError) return { refusal: error.message };
    throw error;
  }
}

describe('.dockerignore: the same context as docker build 28.5.2 (classic), name for name', function () {
  this.timeout(120_000);
  let cli: string;
  let dir: string;
  let count = 0;

  before(() => {
    cli = engineCli('current', projectRoot).command;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dockerignore-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function assertSame(tree: readonly string[], dockerignore: string, title: string): Promise<string[]> {
    const contextDir = path.join(dir, `case-${++count}`);
    writeTree(contextDir, tree, dockerignore);
    const [theirs, ours] = [await cliContext(cli, contextDir), await coreContext(contextDir)];
    assert.equal(theirs.refusal, undefined, `${title}: the CLI refused: ${theirs.refusal}`);
    assert.equal(ours.refusal, undefined, `${title}: the extension refused: ${ours.refusal}`);
    assert.deepEqual(ours.names, theirs.names, `${title}: .dockerignore ${JSON.stringify(dockerignore)}`);
    return ours.names!;
  }

  for (const { title, tree, dockerignore } of CASES) {
    it(title, async () => {
      const names = await assertSame(tree, dockerignore, title);
      // Each case leaves something out, so a walk that ignored .dockerignore would fail it.
      const everything = new Set(['Dockerfile', '.dockerignore']);
      for (const entry of tree)
        for (let at = entry.indexOf('/'); at !== -1; at = entry.indexOf('/', at + 1)) everything.add(entry.slice(0, at + 1));
      for (const entry of tree) everything.add(entry);
      assert.ok(names.length < everything.size, `${title}: nothing was left out`);
    });
  }

  it('120 seeded trees with random .dockerignore files', async () => {
    const random = prng(20261204);
    const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)];
    const segments = ['a', 'b', 'ab', 'x.x', '.x', 'c(1)', 'a+b', 'log', 'k.log'];
    const parts = ['a', 'b', '*', '**', '?', 'a*', '*b', '**.log', '.x', '[ab]', 'x.x', 'c(1)', 'a+b', '.', '..', 'log'];
    for (let trial = 0; trial < 120; trial++) {
      const tree = new Set<string>();
      for (let n = 0; n < 12; n++) {
        const depth = 1 + Math.floor(random() * 3);
        tree.add(Array.from({ length: depth }, () => pick(segments)).join('/'));
      }
      // A file cannot also be a folder: keep the deepest paths only.
      const files = [...tree].filter((file) => ![...tree].some((other) => other.startsWith(`${file}/`)));
      const lines = Array.from({ length: 1 + Math.floor(random() * 4) }, () => {
        const pattern = Array.from({ length: 1 + Math.floor(random() * 3) }, () => pick(parts)).join('/');
        return `${pick(['', '', '!', ' ', '/'])}${pattern}${pick(['', '', '/'])}`;
      });
      await assertSame(files, `${lines.join('\n')}\n`, `trial ${trial}`);
    }
  });

  it('refuses the patterns the CLI refuses, naming the file and the pattern', async () => {
    for (const [line, reason] of [
      ['!', 'illegal exclusion pattern'],
      ['src/[', 'syntax error in pattern'],
      ['[]a', 'syntax error in pattern'],
      ['a[b-]', 'syntax error in pattern'],
      ['[z-a]', 'syntax error in pattern'],
    ]) {
      const contextDir = path.join(dir, `refused-${++count}`);
      writeTree(contextDir, ['a'], `a\n${line}\n`);
      const theirs = await cliContext(cli, contextDir);
      assert.match(theirs.refusal ?? '', new RegExp(reason), `the CLI on ${line}`);
      const ours = await coreContext(contextDir);
      assert.equal(ours.names, undefined, `the extension sent a context for ${line}`);
      assert.ok(ours.refusal?.includes(path.join(contextDir, '.dockerignore')), ours.refusal);
      assert.ok(ours.refusal?.includes(`: ${line} (${reason}).`), ours.refusal);
    }
  });
});

describe('.dockerignore: reading the file and the walks of BuildKit file sync', () => {
  it('reads lines as ignorefile.ReadAll does', () => {
    assert.deepEqual(readDockerignore('\ufeff/a/\r\n  #b\n#c\n ! ./d/../e \n\n!\n  \n'), ['a', '#b', '!e', '!']);
  });

  it('file sync (fsutil) walks an excluded folder for a prefix exception, and every one for a wildcard exception', () => {
    const prefixOnly = new DockerignoreMatcher(['vendor', 'other', '!vendor/keep/**']);
    assert.equal(prefixOnly.mayBringBack('vendor', 'file-sync'), true);
    assert.equal(prefixOnly.mayBringBack('other', 'file-sync'), false);
    assert.equal(prefixOnly.mayBringBack('vendor', 'tar'), true);
    const wildcard = new DockerignoreMatcher(['vendor', '!**/*.go']);
    assert.equal(wildcard.mayBringBack('vendor', 'file-sync'), true);
    assert.equal(wildcard.mayBringBack('vendor', 'tar'), false);
    assert.equal(new DockerignoreMatcher(['vendor']).mayBringBack('vendor', 'file-sync'), false);
  });

  it('answers each path from its folders, in any order', () => {
    const walk = new WalkMatcher(new DockerignoreMatcher(['d/*', '!d', 'logs', '!logs/keep.log']));
    assert.deepEqual(
      ['logs/keep.log', 'd/f', 'd', 'logs/x', 'logs', 'e'].filter((relative) => walk.ignores(relative)),
      ['d/f', 'logs/x', 'logs'],
    );
  });
});
