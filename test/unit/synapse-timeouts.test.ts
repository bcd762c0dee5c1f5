// Timeouts that fire under garbage collection (the reason mocha runs with --expose-gc), the
// limiter's slots coming back after them, and the total deadline across retries.
import assert from 'node:assert/strict';
import { SynapseClient } from '../../src/core/synapse/client';
import { SynapseError } from '../../src/core/synapse/errors';
import { RequestStats, useTestSandbox } from './helpers/inProcessSandbox';

const PROFILE = '/repo/v1/userProfile';
const TIMEOUT_MS = 1500;
/**
 * How late a timeout may fire under forced collections (timers, a busy event loop, 2 shared cores
 * with engines and a browser running): still far below the watchdog, which is what a lost timer hits.
 */
const MARGIN_MS = 1500;

interface Outcome {
  elapsedMs: number;
  error?: SynapseError;
  userName?: string;
}

/** A call still pending after this long is reported as such (a lost timeout), not left to mocha's timeout. */
const WATCHDOG_MS = 5000;

async function timed(call: () => Promise<{ userName: string }>): Promise<Outcome> {
  const started = Date.now();
  let watchdog: NodeJS.Timeout | undefined;
  const stillPending = new Promise<never>((_, reject) => {
    watchdog = setTimeout(() => reject(new Error(`still pending after ${WATCHDOG_MS} ms`)), WATCHDOG_MS);
  });
  try {
    const profile = await Promise.race([call(), stillPending]);
    return { elapsedMs: Date.now() - started, userName: profile.userName };
  } catch (error) {
    assert.ok(error instanceof SynapseError, `not a SynapseError: ${String(error)}`);
    return { elapsedMs: Date.now() - started, error };
  } finally {
    clearTimeout(watchdog);
  }
}

/** Forces a full collection every few ms (and makes garbage for it) until stopped. */
function collectContinuously(): { stop(): number } {
  assert.equal(typeof global.gc, 'function', 'unit tests run with --expose-gc (.mocharc.json "node-option")');
  let collections = 0;
  const timer = setInterval(() => {
    void Array.from({ length: 2000 }, (_, i) => ({ i, text: `garbage ${i}` }));
    global.gc!();
    collections++;
  }, 10);
  return {
    stop: () => {
      clearInterval(timer);
      return collections;
    },
  };
}

describe('Synapse timeouts under forced garbage collection', function () {
  this.timeout(30_000);
  const sandbox = useTestSandbox();
  const stats = () => sandbox().admin<RequestStats>('GET', 'stats');

  it('three stalled calls time out on time while collections run, and a fourth call still gets a slot', async () => {
    const env = sandbox();
    await env.admin('POST', 'stall', { count: 3, pathPrefix: PROFILE });
    const client = new SynapseClient({ endpoint: env.url, token: env.token('alice'), timeoutMs: TIMEOUT_MS, retry: { maxRetries: 0 } });
    const gc = collectContinuously();
    const stalled = await Promise.all([1, 2, 3].map(() => timed(() => client.getUserProfile())));
    const collections = gc.stop();
    for (const outcome of stalled) {
      assert.equal(outcome.error?.kind, 'timeout', `expected a timeout, got ${outcome.error?.message ?? outcome.userName}`);
      assert.equal(outcome.error.message, `Synapse did not answer GET ${PROFILE} within 1.5 s.`);
      assert.ok(
        outcome.elapsedMs >= TIMEOUT_MS - 20 && outcome.elapsedMs <= TIMEOUT_MS + MARGIN_MS,
        `timed out after ${outcome.elapsedMs} ms (configured ${TIMEOUT_MS} ms)`,
      );
    }
    assert.ok(collections >= 3, `only ${collections} forced collections ran`);
    console.log(
      `      timeout ${TIMEOUT_MS} ms under ${collections} forced collections: fired after ${stalled.map((o) => o.elapsedMs).join(', ')} ms`,
    );

    // Were the three slots still held, this call would wait for them: it must answer at once.
    const fourth = await timed(() => client.getUserProfile());
    assert.equal(fourth.userName, 'alice', fourth.error?.message);
    assert.ok(fourth.elapsedMs < 1000, `the fourth call took ${fourth.elapsedMs} ms`);
    const requests = (await stats()).requests.filter((r) => r.path === PROFILE);
    assert.deepEqual(
      requests.map((r) => r.status),
      [0, 0, 0, 200],
      'three stalled (no answer), then one answered',
    );
  });

  it('a body that stops halfway times out too: the timer covers reading the body', async () => {
    const env = sandbox();
    await env.admin('POST', 'stall', { count: 1, pathPrefix: PROFILE, sendHeaders: true });
    const client = new SynapseClient({ endpoint: env.url, token: env.token('alice'), timeoutMs: TIMEOUT_MS, retry: { maxRetries: 0 } });
    const gc = collectContinuously();
    const outcome = await timed(() => client.getUserProfile());
    gc.stop();
    assert.equal(outcome.error?.kind, 'timeout', outcome.error?.message ?? 'it answered');
    assert.equal(outcome.error.message, `Synapse did not answer GET ${PROFILE} within 1.5 s.`);
    assert.ok(outcome.elapsedMs >= TIMEOUT_MS - 20 && outcome.elapsedMs <= TIMEOUT_MS + MARGIN_MS, `after ${outcome.elapsedMs} ms`);
    console.log(`      body stalled after the headers: timeout ${TIMEOUT_MS} ms fired after ${outcome.elapsedMs} ms`);
    assert.equal((await timed(() => client.getUserProfile())).userName, 'alice');
  });

  it('retries a timed-out attempt, but the whole call ends at its deadline', async () => {
    const env = sandbox();
    await env.admin('POST', 'stall', { count: 20, pathPrefix: PROFILE });
    const client = new SynapseClient({
      endpoint: env.url,
      token: env.token('alice'),
      timeoutMs: 400,
      deadlineMs: 1000,
      retry: { maxRetries: 10, baseDelayMs: 10, maxDelayMs: 10, throttledBaseDelayMs: 10 },
    });
    const gc = collectContinuously();
    const outcome = await timed(() => client.getUserProfile());
    gc.stop();
    assert.equal(outcome.error?.kind, 'timeout', outcome.error?.message ?? 'it answered');
    assert.equal(
      outcome.error.message,
      `Synapse did not answer GET ${PROFILE} within 1 s.`,
      'the deadline, not the last attempt’s remainder',
    );
    assert.ok(
      outcome.elapsedMs >= 980 && outcome.elapsedMs <= 1000 + MARGIN_MS,
      `the call took ${outcome.elapsedMs} ms (deadline 1000 ms)`,
    );
    const attempts = (await stats()).requests.filter((r) => r.path === PROFILE).length;
    // Two full 400 ms attempts and usually a third cut short by the deadline (timers run late on a busy machine); never 11.
    assert.ok(attempts === 2 || attempts === 3, `${attempts} attempts`);
    console.log(`      deadline 1000 ms (attempts of 400 ms): ended after ${outcome.elapsedMs} ms and ${attempts} attempts`);
  });

  it('cancelling still wins over a timeout, and a cancelled call frees its slot', async () => {
    const env = sandbox();
    await env.admin('POST', 'stall', { count: 3, pathPrefix: PROFILE });
    const client = new SynapseClient({ endpoint: env.url, token: env.token('alice'), timeoutMs: 10_000, retry: { maxRetries: 0 } });
    const controller = new AbortController();
    const pending = [1, 2, 3].map(() => timed(() => client.getUserProfile(controller.signal)));
    setTimeout(() => controller.abort(), 100);
    for (const outcome of await Promise.all(pending)) {
      assert.equal(outcome.error?.kind, 'aborted');
      assert.ok(outcome.elapsedMs < 1000, `cancelled after ${outcome.elapsedMs} ms`);
    }
    assert.equal((await timed(() => client.getUserProfile())).userName, 'alice');
  });
});
