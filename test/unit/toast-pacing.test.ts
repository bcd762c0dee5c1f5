// The toast pacer (src/core/util/toastPacing.ts) against a copy of VS Code's own rule, in a
// simulated clock: a flow's result toast is never the one VS Code drops, whatever came just before
// it, and without the pacer the same flows do lose results (so the check can fail).
import * as assert from 'node:assert/strict';
import { ToastPacer, TOAST_WINDOW_MARGIN_MS, TOAST_WINDOW_MS } from '../../src/core/util/toastPacing';
import { prng } from '../bench/dockerBenchData';

/**
 * The workbench's rule (notificationsToasts.ts in VS Code 1.100: a counter with an 800 ms
 * interval, limit 3): the window starts with the first toast added more than 800 ms after the
 * window before it started, and a fourth toast in a window is not shown.
 */
class WorkbenchToasts {
  private windowStart = Number.NEGATIVE_INFINITY;
  private count = 0;
  add(at: number): boolean {
    if (at - this.windowStart > 800) {
      this.windowStart = at;
      this.count = 0;
    }
    return ++this.count <= 3;
  }
}

/** A user flow: an optional toast the user acts on, then progress toasts with their durations, then the result. */
interface Flow {
  /** ms after the previous flow's result (the user's reaction). */
  after: number;
  progress: number[];
}

interface Outcome {
  results: number;
  resultsShown: number;
  progressShown: number;
  progressTotal: number;
  longestWait: number;
}

/** Runs the flows one after another in a simulated clock; every toast reaches the workbench `lag` ms after it is added. */
function simulate(flows: Flow[], options: { paced: boolean; lag: (i: number) => number }): Outcome {
  let clock = 0;
  const pacer = new ToastPacer(() => clock);
  const workbench = new WorkbenchToasts();
  const outcome: Outcome = { results: 0, resultsShown: 0, progressShown: 0, progressTotal: 0, longestWait: 0 };
  let toast = 0;
  // Toasts reach the workbench in the order they were added (one channel), each after its lag.
  let lastArrival = 0;
  const arrive = (at: number) => (lastArrival = Math.max(lastArrival, at + options.lag(toast++)));
  for (const flow of flows) {
    clock += flow.after;
    for (const duration of flow.progress) {
      const wait = pacer.reserveProgress();
      outcome.longestWait = Math.max(outcome.longestWait, wait);
      clock += options.paced ? wait : 0;
      outcome.progressTotal++;
      if (workbench.add(arrive(clock))) outcome.progressShown++;
      clock += duration;
    }
    pacer.addResult();
    outcome.results++;
    if (workbench.add(arrive(clock))) outcome.resultsShown++;
  }
  return outcome;
}

/** Flows as a quick user (or a test) runs them: clicks 0-1 s after a result, checks and transfers of 0-600 ms. */
function quickFlows(next: () => number, count: number): Flow[] {
  return Array.from({ length: count }, () => ({
    after: Math.floor(next() * 1000),
    progress: Array.from({ length: 1 + Math.floor(next() * 3) }, () => Math.floor(next() * 600)),
  }));
}

describe('toast pacing: no result toast is the one VS Code drops', () => {
  it('the submission that made Journey 9 flaky: warning, two progress toasts, refusal, all within 0.8 s', () => {
    // The push's "Synapse has not listed" warning, clicked at once; "Finding the queues…" (50 ms);
    // picks and the confirmation; "Submitting…" (30 ms) ends in the refusal.
    const flows: Flow[] = [
      { after: 0, progress: [] },
      { after: 300, progress: [50, 30] },
    ];
    const unpaced = simulate(flows, { paced: false, lag: () => 5 });
    assert.equal(unpaced.resultsShown, 1, 'without pacing the refusal is dropped (as in the CI runs)');
    const paced = simulate(flows, { paced: true, lag: () => 5 });
    assert.equal(paced.resultsShown, 2, 'the refusal is shown');
    assert.equal(paced.progressShown, 2, 'both progress toasts are shown');
    assert.ok(paced.longestWait <= TOAST_WINDOW_MS + TOAST_WINDOW_MARGIN_MS);
  });

  it('2,000 quick flows with 0-50 ms from the extension host to the workbench: every result shown, no wait over 0.86 s', () => {
    const next = prng(20261203);
    const flows = quickFlows(next, 2000);
    const paced = simulate(flows, { paced: true, lag: () => Math.floor(next() * 50) });
    assert.equal(paced.resultsShown, paced.results, `${paced.results - paced.resultsShown} of ${paced.results} results dropped`);
    assert.equal(paced.progressShown, paced.progressTotal, 'every progress toast shown too');
    assert.ok(paced.longestWait <= TOAST_WINDOW_MS + TOAST_WINDOW_MARGIN_MS, `waited ${paced.longestWait} ms`);
  });

  it('the same flows unpaced lose results, so the check above can fail', () => {
    const next = prng(20261203);
    const flows = quickFlows(next, 2000);
    const unpaced = simulate(flows, { paced: false, lag: () => Math.floor(next() * 50) });
    assert.ok(unpaced.resultsShown < unpaced.results, 'the generated flows never hit VS Code’s limit');
  });

  it('holds nothing back when the toasts are spread out: a result every second, each after one progress toast', () => {
    const flows: Flow[] = Array.from({ length: 50 }, () => ({ after: 1000, progress: [200] }));
    const paced = simulate(flows, { paced: true, lag: () => 5 });
    assert.equal(paced.longestWait, 0);
    assert.equal(paced.resultsShown, 50);
  });
});
