// Comments and docs point at the Synapse and test-stack facts in docs/ ("synapse-api.md §3.4",
// "docs/test-stack.md §6"): every such pointer names a file that exists and a section it has, so a
// renumbered or removed section cannot leave comments pointing nowhere.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(__dirname, '../../..');

/** The section numbers of a Markdown file's "## 3. Title" and "### 3.4 Title" headings. */
function sectionsOf(file: string): Set<string> {
  const numbers = new Set<string>();
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const heading = /^#{2,4}\s+(\d+(?:\.\d+)*)\.?\s/.exec(line);
    if (heading) numbers.add(heading[1]);
  }
  return numbers;
}

function trackedTextFiles(): string[] {
  const listed = execFileSync('git', ['ls-files', 'src', 'test', 'scripts', 'docs', '*.md'], { cwd: root, encoding: 'utf8' });
  return listed
    .split('\n')
    .filter((file) => /\.(ts|mjs|sh|md|json)$/.test(file) && !file.startsWith('test/unit/fixtures/'))
    .filter((file) => fs.existsSync(path.join(root, file)));
}

/** Each "name.md §a, §b–c" in a line: the file name and the section numbers after it (up to a ';' or ')'). */
function pointersIn(line: string): Array<{ doc: string; sections: string[] }> {
  const found: Array<{ doc: string; sections: string[] }> = [];
  for (const match of line.matchAll(
    /([\w-]+\.md)\)?`?((?:[\s,]*(?:and|or|–|-)?[\s,]*§\s?\d+(?:\.\d+)*(?:\s?[–-]\s?§?\d+(?:\.\d+)*)?)+)/g,
  )) {
    found.push({ doc: match[1], sections: [...match[2].matchAll(/\d+(?:\.\d+)*/g)].map((number) => number[0]) });
  }
  return found;
}

describe('pointers into docs/ (synapse-api.md, test-stack.md)', () => {
  const docs = new Map<string, Set<string>>();
  for (const name of fs.readdirSync(path.join(root, 'docs')).filter((file) => file.endsWith('.md'))) {
    docs.set(name, sectionsOf(path.join(root, 'docs', name)));
  }

  it('reads the sections of the project copies of the documents', () => {
    assert.ok(docs.get('synapse-api.md')?.has('3.4'), 'docs/synapse-api.md has a §3.4');
    assert.ok(docs.get('test-stack.md')?.has('6'), 'docs/test-stack.md has a §6');
  });

  it('finds the pointers in a line the way comments write them', () => {
    assert.deepEqual(pointersIn('// a check (synapse-api.md §2.7, §3.4, §3.6).'), [
      { doc: 'synapse-api.md', sections: ['2.7', '3.4', '3.6'] },
    ]);
    assert.deepEqual(pointersIn('// the token server (synapse-api.md §3.3–3.5).'), [{ doc: 'synapse-api.md', sections: ['3.3', '3.5'] }]);
    assert.deepEqual(pointersIn('// See docs/test-stack.md §1 and §6.'), [{ doc: 'test-stack.md', sections: ['1', '6'] }]);
    assert.deepEqual(pointersIn('| `/repo/v1` | [`docs/synapse-api.md`](../../docs/synapse-api.md) §6 |'), [
      { doc: 'synapse-api.md', sections: ['6'] },
    ]);
  });

  it('points only at documents in docs/ and at sections they have', () => {
    const broken: string[] = [];
    let pointers = 0;
    for (const file of trackedTextFiles()) {
      fs.readFileSync(path.join(root, file), 'utf8')
        .split('\n')
        .forEach((line, index) => {
          for (const mention of line.matchAll(/\bdocs\/([\w-]+\.md)\b/g)) {
            if (!docs.has(mention[1])) broken.push(`${file}:${index + 1}: docs/${mention[1]} does not exist`);
          }
          for (const { doc, sections } of pointersIn(line)) {
            const known = docs.get(doc);
            if (!known) {
              if (doc === 'synapse-api.md' || doc === 'test-stack.md') broken.push(`${file}:${index + 1}: ${doc} is not in docs/`);
              continue;
            }
            for (const section of sections) {
              pointers++;
              if (!known.has(section)) broken.push(`${file}:${index + 1}: ${doc} has no §${section}`);
            }
          }
        });
    }
    assert.deepEqual(broken, []);
    assert.ok(pointers >= 20, `only ${pointers} section pointers found: is pointersIn still right?`);
  });
});
