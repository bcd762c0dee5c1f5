// The build's .dockerignore matcher (src/core/docker/dockerignore.ts) against @balena/dockerignore,
// which follows moby's v19.03 rules and which the build used before: the same lines must exclude
// the same paths, whatever order the paths are asked in.
import assert from 'node:assert/strict';
import balenaIgnore from '@balena/dockerignore';
import { DockerignoreMatcher } from '../../src/core/docker/dockerignore';
import { prng } from '../bench/dockerBenchData';

/** Lines that hit each branch of the rules: cleaning, `!`, `**`, escapes, regexp characters, comments. */
const EDGE_LINES = [
  '*.md',
  '!README.md',
  '**',
  '**/',
  '**/*.tmp',
  'a/**',
  'a/**/b',
  '**/cache',
  '/a',
  'a/',
  './a/b',
  '../a',
  'a//b/./c',
  '!',
  '!   ',
  ' ! a ',
  '#a',
  ' #a',
  '   ',
  '?',
  'a?',
  '[ab]',
  '[!a]x',
  'a+b',
  'x.x',
  'a$',
  'a\\*',
  'a\\',
  '*/b',
  '*/*/*',
  'a/*/**',
  '**/a/**',
  'ab*',
  '!a/b',
  '.x',
];

/** Every path of a small tree, in the walk's order (a folder's children one after another, then each folder). */
function walkOrder(segments: string[], depth: number): string[] {
  const out: string[] = [];
  const visit = (prefix: string, level: number) => {
    const children = segments.map((segment) => (prefix ? `${prefix}/${segment}` : segment));
    out.push(...children);
    if (level < depth) for (const child of children) visit(child, level + 1);
  };
  visit('', 1);
  return out;
}

const SEGMENTS = ['a', 'b', 'ab', 'x.x', '.x', 'cache', 'README.md', 'a+b', 'a$', 'a*'];
const PATHS = walkOrder(SEGMENTS, 3);

function randomLines(random: () => number): string[] {
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)];
  const parts = ['a', 'b', '*', '**', '?', 'a*', '*b', '.x', '[ab]', 'x.x', 'cache', 'a\\*', '.', '..', ''];
  return Array.from({ length: 1 + Math.floor(random() * 5) }, () => {
    const pattern = Array.from({ length: 1 + Math.floor(random() * 3) }, () => pick(parts)).join('/');
    return `${pick(['', '', '!', ' ', '/'])}${pattern}${pick(['', '', '/'])}`;
  });
}

function assertSame(lines: string[], paths: readonly string[]): void {
  const oracle = balenaIgnore({ ignorecase: false }).add(lines);
  const matcher = new DockerignoreMatcher(lines);
  const differ = paths.filter((relative) => oracle.ignores(relative) !== matcher.ignores(relative));
  assert.deepEqual(differ.slice(0, 5), [], `lines ${JSON.stringify(lines)}: these paths differ`);
}

describe('.dockerignore matching (the same as moby v19.03 and @balena/dockerignore)', function () {
  it('each edge-case line alone, and all of them together, exclude the same paths', () => {
    for (const line of EDGE_LINES) assertSame([line], PATHS);
    assertSame(EDGE_LINES, PATHS);
    assertSame([...EDGE_LINES].reverse(), PATHS);
  });

  it('3,000 seeded files of 1-5 random lines agree on 1,110 paths in walk order and in shuffled order', () => {
    const random = prng(20261203);
    const shuffled = [...PATHS];
    for (let trial = 0; trial < 3000; trial++) {
      const lines = randomLines(random);
      if (trial % 2) {
        for (let i = shuffled.length - 1; i > 0; i--) {
          const j = Math.floor(random() * (i + 1));
          [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
        }
        assertSame(lines, shuffled);
      } else {
        assertSame(lines, PATHS);
      }
    }
  });

  it('says which paths a typical file leaves out and brings back', () => {
    const matcher = new DockerignoreMatcher(['node_modules', '**/*.tmp', '*.md', '!README.md', 'logs', '!logs/keep.log']);
    assert.equal(matcher.empty, false);
    const excluded = ['node_modules', 'node_modules/x/y.js', 'a/b/c.tmp', 'NOTES.md', 'logs', 'logs/other.log'];
    const kept = ['README.md', 'logs/keep.log', 'src/NOTES.md', 'a/b/c.txt', 'Node_modules'];
    assert.deepEqual(
      excluded.filter((relative) => !matcher.ignores(relative)),
      [],
    );
    assert.deepEqual(
      kept.filter((relative) => matcher.ignores(relative)),
      [],
    );
    assert.equal(new DockerignoreMatcher(['# only a comment', '  ', '!']).empty, true);
  });

  it('a pattern that is no valid regular expression fails as it did, when a path is first tested', () => {
    const matcher = new DockerignoreMatcher(['a(']);
    assert.throws(() => matcher.ignores('a'), SyntaxError);
    assert.throws(() => balenaIgnore({ ignorecase: false }).add(['a(']).ignores('a'), SyntaxError);
  });
});
