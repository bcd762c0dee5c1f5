// Prints test results gathered from another process (the extension host's JSON result file) the
// way mocha's spec reporter does, so every suite's output reads the same.
export interface ReportedTest {
  titlePath: string[];
  state: 'passed' | 'failed' | 'pending';
  durationMs?: number;
  message?: string;
  stack?: string;
}

export interface Tally {
  passing: number;
  failing: number;
  pending: number;
}

export function printMochaStyle(tests: ReportedTest[], elapsedMs: number, out: (line: string) => void = console.log): Tally {
  const tally: Tally = { passing: 0, failing: 0, pending: 0 };
  const failures: ReportedTest[] = [];
  let printedSuites: string[] = [];
  out('');
  for (const test of tests) {
    const suites = test.titlePath.slice(0, -1);
    const title = test.titlePath[test.titlePath.length - 1] ?? '(untitled)';
    let common = 0;
    while (common < suites.length && common < printedSuites.length && suites[common] === printedSuites[common]) common++;
    for (let i = common; i < suites.length; i++) out(`${'  '.repeat(i + 1)}${suites[i]}`);
    printedSuites = suites;
    const indent = '  '.repeat(suites.length + 1);
    if (test.state === 'passed') {
      tally.passing++;
      const slow = test.durationMs !== undefined && test.durationMs > 75 ? ` (${test.durationMs}ms)` : '';
      out(`${indent}✔ ${title}${slow}`);
    } else if (test.state === 'pending') {
      tally.pending++;
      out(`${indent}- ${title}`);
    } else {
      tally.failing++;
      failures.push(test);
      out(`${indent}${failures.length}) ${title}`);
    }
  }
  out('');
  out(`  ${tally.passing} passing (${formatDuration(elapsedMs)})`);
  if (tally.pending) out(`  ${tally.pending} pending`);
  if (tally.failing) out(`  ${tally.failing} failing`);
  failures.forEach((test, i) => {
    out('');
    out(`  ${i + 1}) ${test.titlePath.join('\n       ')}:`);
    const detail = test.stack && test.stack.includes(test.message ?? '') ? test.stack : `${test.message ?? ''}\n${test.stack ?? ''}`;
    for (const line of detail.trim().split('\n')) out(`     ${line}`);
  });
  out('');
  return tally;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${Math.round(ms / 100) / 10}s`;
  return `${Math.floor(ms / 60_000)}m ${Math.round((ms % 60_000) / 1000)}s`;
}
