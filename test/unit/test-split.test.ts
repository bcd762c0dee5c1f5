// The split between `npm run test:fast` (.mocharc.fast.json: no stack needed) and the tests that
// need the local stack (engine, registry, sandbox.json) cannot rot silently: a test file that reads
// the stack is never in the fast list, a file that does not is never left out of it, the list names
// only files that exist, and in a fast run the stack helpers refuse to answer.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { NO_STACK_FLAG, readSandboxInfo } from './helpers/stack';

const root = path.resolve(__dirname, '../../..');
/** The helpers through which a test reaches the stack (test/unit/helpers/stack.ts and docker-fixtures.ts). */
const STACK_NAMES = /\b(readSandboxInfo|requireLiveStack|stackEngine|sandboxInfoFile)\b/;
const TEST_FOLDERS = ['test/unit', 'test/sandbox'];

function fastList(): string[] {
  const config = JSON.parse(fs.readFileSync(path.join(root, '.mocharc.fast.json'), 'utf8')) as { spec: string[]; require: string[] };
  return config.spec.map((compiled) => {
    assert.match(compiled, /^out\/test\/.+\.test\.js$/, `${compiled}: name a compiled test file, not a glob`);
    return compiled.replace(/^out\//, '').replace(/\.js$/, '.ts');
  });
}

function testSources(): string[] {
  return TEST_FOLDERS.flatMap((folder) =>
    fs
      .readdirSync(path.join(root, folder))
      .filter((name) => name.endsWith('.test.ts'))
      .map((name) => `${folder}/${name}`),
  ).sort();
}

describe('the fast test split (.mocharc.fast.json)', () => {
  it('lists only test files that exist, each once', () => {
    const listed = fastList();
    for (const file of listed) assert.ok(fs.existsSync(path.join(root, file)), `.mocharc.fast.json names ${file}, which does not exist`);
    assert.equal(new Set(listed).size, listed.length, 'a file is listed twice');
  });

  it('puts every test file that reads the stack outside the list, and every other one in it', () => {
    const listed = new Set(fastList());
    const misplaced: string[] = [];
    for (const file of testSources()) {
      // This file names the helpers to test their refusal; it never reads the stack.
      if (file === 'test/unit/test-split.test.ts') continue;
      const readsStack = STACK_NAMES.test(fs.readFileSync(path.join(root, file), 'utf8'));
      if (readsStack && listed.has(file)) misplaced.push(`${file} reads the stack: take it out of .mocharc.fast.json`);
      if (!readsStack && !listed.has(file))
        misplaced.push(`${file} needs no stack: add out/${file.replace(/\.ts$/, '.js')} to .mocharc.fast.json`);
    }
    assert.deepEqual(misplaced, []);
    // The stack's own tests are the ones the list leaves out; there must be some, or the check above tests nothing.
    assert.ok(testSources().length > listed.size, 'no test file reads the stack: is STACK_NAMES still right?');
  });

  it('makes the stack helpers refuse in a fast run, naming the way out', () => {
    const before = process.env[NO_STACK_FLAG];
    process.env[NO_STACK_FLAG] = '1';
    try {
      assert.throws(() => readSandboxInfo(), /runs in `npm run test:fast`.*take its file out of \.mocharc\.fast\.json/);
    } finally {
      if (before === undefined) delete process.env[NO_STACK_FLAG];
      else process.env[NO_STACK_FLAG] = before;
    }
  });
});
