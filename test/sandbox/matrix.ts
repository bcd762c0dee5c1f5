// The engine matrix of `npm test` (scripts/test.sh): which suites run again on the `current` and
// `podman` engines, and the known product gaps (test/engine-gaps.json) they run without.
//   node out/test/sandbox/matrix.js unit-files                 the unit files that need the engine
//   node out/test/sandbox/matrix.js grep <engine> <suite>      a mocha --grep pattern: the suite's selection minus the gaps
//   node out/test/sandbox/matrix.js gaps <engine>              one "known gap on <engine>: <title> — <reason>" line per gap
// A gap names its suite, its file and a test title that must occur in that file (a gap whose test
// was renamed or removed is reported, exit 1), and why the product fails it on that engine.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ENGINE_NAMES, EngineName } from './engines';
import { projectRoot } from './stack';

export const MATRIX_SUITES = ['unit', 'host', 'e2e'] as const;
export type MatrixSuite = (typeof MATRIX_SUITES)[number];

/** Unit files that talk to the stack's engine (the rest of the unit suite runs once, on debian). */
export const ENGINE_UNIT_FILES = [
  'test/unit/docker-engine.test.ts',
  'test/unit/docker-build.test.ts',
  'test/unit/docker-push-pull.test.ts',
  'test/sandbox/registry-flow.test.ts',
];

/** What each suite runs on the matrix engines: mocha matches these against a test's full title. */
const SELECTION: Record<MatrixSuite, string[]> = {
  unit: [], // the files above, whole
  host: [
    'Docker push and pull through the extension (real engine, registry and sandbox)',
    // It pushes through the extension with a planted token: the engine's push stream is redacted too.
    'the token never appears in clear (a planted token through every exit)',
  ],
  // Journey 3 is the build → push → tag journey; 1 and 2 leave the workbench as it expects
  // (alice signed in, the tree collapsed).
  e2e: ['Journey 1: ', 'Journey 2: ', 'Journey 3: '],
};

export interface EngineGap {
  suite: MatrixSuite;
  /** The test's file, relative to the project root; `title` must occur in it. */
  file: string;
  /** The test's own title (a part of mocha's full title). */
  title: string;
  /** The product's reason, with the engine's exact error where there is one. */
  reason: string;
}

const gapsFile = path.join(projectRoot, 'test', 'engine-gaps.json');

export function readGaps(): Record<EngineName, EngineGap[]> {
  const raw = JSON.parse(fs.readFileSync(gapsFile, 'utf8')) as Record<string, unknown>;
  const gaps = {} as Record<EngineName, EngineGap[]>;
  for (const engine of ENGINE_NAMES) {
    const list = (raw[engine] ?? []) as EngineGap[];
    if (!Array.isArray(list)) throw new Error(`${gapsFile}: "${engine}" must be a list`);
    for (const gap of list) {
      if (!MATRIX_SUITES.includes(gap.suite) || !gap.file || !gap.title || !gap.reason) {
        throw new Error(
          `${gapsFile}: each gap of "${engine}" needs suite (${MATRIX_SUITES.join('|')}), file, title and reason: ${JSON.stringify(gap)}`,
        );
      }
    }
    gaps[engine] = list;
  }
  return gaps;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/**
 * A pattern mocha's grep (a RegExp over the full title) accepts: one of the suite's selected
 * titles, and none of the engine's gaps for that suite. Empty when there is nothing to select or leave out.
 */
export function grepPattern(engine: EngineName, suite: MatrixSuite): string {
  const selected = SELECTION[suite];
  const gaps = readGaps()
    [engine].filter((gap) => gap.suite === suite)
    .map((gap) => gap.title);
  const select = selected.length ? `(?=.*(?:${selected.map(escapeRegExp).join('|')}))` : '';
  const exclude = gaps.length ? `(?!.*(?:${gaps.map(escapeRegExp).join('|')}))` : '';
  return select || exclude ? `^${select}${exclude}` : '';
}

/** The gap lines for the summary, and the gaps whose title no longer occurs in their file. */
export function describeGaps(engine: EngineName): { lines: string[]; stale: string[] } {
  const lines: string[] = [];
  const stale: string[] = [];
  for (const gap of readGaps()[engine]) {
    lines.push(`known gap on ${engine} (${gap.suite}): ${gap.title} — ${gap.reason}`);
    const file = path.join(projectRoot, gap.file);
    if (!fs.existsSync(file) || !fs.readFileSync(file, 'utf8').includes(gap.title)) {
      stale.push(
        `stale known gap on ${engine}: "${gap.title}" does not occur in ${gap.file}; remove or update it in test/engine-gaps.json`,
      );
    }
  }
  return { lines, stale };
}

function engineArgument(value: string | undefined): EngineName {
  if (!(ENGINE_NAMES as readonly string[]).includes(value ?? '')) throw new Error(`engine must be one of ${ENGINE_NAMES.join(', ')}`);
  return value as EngineName;
}

function main(argv: string[]): number {
  const [command, engine, suite] = argv;
  switch (command) {
    case 'unit-files':
      console.log(ENGINE_UNIT_FILES.map((file) => path.join('out', file.replace(/\.ts$/, '.js'))).join('\n'));
      return 0;
    case 'grep': {
      if (!(MATRIX_SUITES as readonly string[]).includes(suite ?? '')) throw new Error(`suite must be one of ${MATRIX_SUITES.join(', ')}`);
      console.log(grepPattern(engineArgument(engine), suite as MatrixSuite));
      return 0;
    }
    case 'gaps': {
      const { lines, stale } = describeGaps(engineArgument(engine));
      for (const line of [...lines, ...stale]) console.log(line);
      return stale.length ? 1 : 0;
    }
    default:
      console.error('usage: node out/test/sandbox/matrix.js unit-files | grep <engine> <suite> | gaps <engine>');
      return 2;
  }
}

if (require.main === module) {
  try {
    process.exit(main(process.argv.slice(2)));
  } catch (error) {
    console.error(`matrix: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}
