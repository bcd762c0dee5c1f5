// The extension-tests entry point loaded by a real VS Code extension host (code-server through the
// browser's ?payload=[["extensionTestsPath", …]], or desktop VS Code through @vscode/test-electron).
// Runs mocha over out/test/host/**/*.test.js and writes a JSON result file to
// $SYNAPSE_DOCKER_TEST_RESULTS so the runner outside the host gets the results reliably.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as MochaModule from 'mocha';

// mocha 12 is an ES module; loaded through require() its namespace carries the class.
type MochaClass = typeof import('mocha');
const Mocha: MochaClass =
  (MochaModule as unknown as { Mocha?: MochaClass }).Mocha ??
  (MochaModule as unknown as { default?: MochaClass }).default ??
  (MochaModule as unknown as MochaClass);

export interface TestResult {
  title: string;
  fullTitle: string;
  /** Suite titles then the test title. */
  titlePath: string[];
  file?: string;
  durationMs?: number;
}
export interface TestFailure extends TestResult {
  message: string;
  stack?: string;
}
export interface OrderedTest extends TestResult {
  state: 'passed' | 'failed' | 'pending';
  message?: string;
  stack?: string;
}
export interface HostTestResults {
  host: string;
  /** Every test in the order it ran. */
  tests: OrderedTest[];
  startedAt: string;
  finishedAt: string;
  passes: TestResult[];
  failures: TestFailure[];
  pending: TestResult[];
  /** Set when the run could not start at all (no test files, a file failed to load). */
  error?: string;
}

function findTests(dir: string): string[] {
  const found: string[] = [];
  if (!fs.existsSync(dir)) return found;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...findTests(full));
    else if (entry.name.endsWith('.test.js')) found.push(full);
  }
  return found.sort();
}

function writeResults(results: HostTestResults): void {
  const file = process.env.SYNAPSE_DOCKER_TEST_RESULTS;
  if (!file) return;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  // Write then rename, so the runner never reads half a file.
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(results, null, 2));
  fs.renameSync(tmp, file);
}

export async function run(): Promise<void> {
  const startedAt = new Date().toISOString();
  const results: HostTestResults = {
    host: process.env.SYNAPSE_DOCKER_TEST_HOST ?? 'vscode',
    startedAt,
    finishedAt: startedAt,
    tests: [],
    passes: [],
    failures: [],
    pending: [],
  };
  const mocha = new Mocha({
    ui: 'bdd',
    timeout: Number(process.env.SYNAPSE_DOCKER_TEST_TIMEOUT ?? 30_000),
    color: false,
    reporter: 'spec', // printed into the extension host's log as well
  });
  const grep = process.env.SYNAPSE_DOCKER_TEST_GREP;
  if (grep) mocha.grep(grep);
  // test/host/locale holds the suites for a run in another display language, and only they run then.
  const localeRun = Boolean(process.env.SYNAPSE_DOCKER_TEST_LOCALE);
  const localeDir = path.join(__dirname, 'locale');
  const files = findTests(__dirname).filter((file) => file.startsWith(localeDir + path.sep) === localeRun);
  if (files.length === 0) {
    results.error = `no *.test.js under ${__dirname} (run the build first)`;
    results.finishedAt = new Date().toISOString();
    writeResults(results);
    throw new Error(results.error);
  }
  for (const file of files) mocha.addFile(file);

  let failures = 0;
  try {
    await new Promise<void>((resolve) => {
      const runner = mocha.run((count) => {
        failures = count;
        resolve();
      });
      const describe = (test: Mocha.Runnable): TestResult => ({
        title: test.title,
        fullTitle: test.fullTitle(),
        titlePath: test.titlePath(),
        file: test.file ? path.relative(path.resolve(__dirname, '..', '..', '..'), test.file) : undefined,
        durationMs: test.duration,
      });
      runner.on('pass', (test) => {
        results.passes.push(describe(test));
        results.tests.push({ ...describe(test), state: 'passed' });
      });
      runner.on('pending', (test) => {
        results.pending.push(describe(test));
        results.tests.push({ ...describe(test), state: 'pending' });
      });
      runner.on('fail', (test, error: Error) => {
        const failure = { ...describe(test), message: error?.message ?? String(error), stack: error?.stack };
        results.failures.push(failure);
        results.tests.push({ ...failure, state: 'failed' });
      });
    });
  } catch (error) {
    // A test file that throws while loading lands here.
    results.error = error instanceof Error ? (error.stack ?? error.message) : String(error);
  }
  results.finishedAt = new Date().toISOString();
  writeResults(results);
  if (results.error) throw new Error(results.error);
  if (failures > 0) throw new Error(`${failures} test(s) failed`);
}
