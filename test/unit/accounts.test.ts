// The account lifetime rules (when in-flight work must stop), the linked signal, and the client
// wrapper that reports Synapse's verdict on the token, against the real sandbox.
import * as assert from 'node:assert/strict';
import { AccountEndedError, accountEnded, accountEndReason, linkSignals, reportingClient, TokenVerdict } from '../../src/core/accounts';
import { SynapseClient } from '../../src/core/synapse/client';
import { SynapseError } from '../../src/core/synapse/errors';
import { collectAll } from '../../src/core/synapse/paging';
import { useTestSandbox } from './helpers/inProcessSandbox';

const FAST_RETRY = { maxRetries: 1, baseDelayMs: 5, maxDelayMs: 10, throttledBaseDelayMs: 5 };

describe('Accounts: what ends with an account', function () {
  const alice = { endpoint: 'https://repo-prod.prod.sagebase.org', ownerId: '3400001' };
  const cases: Array<[string, typeof alice | undefined, typeof alice | undefined, ReturnType<typeof accountEndReason>]> = [
    ['nobody was signed in, alice signs in', undefined, alice, undefined],
    ['alice signs out', alice, undefined, 'signed-out'],
    ['alice signs in again (a new token)', alice, { ...alice }, undefined],
    ['bob signs in over alice', alice, { ...alice, ownerId: '3400002' }, 'switched'],
    ['alice at another endpoint', alice, { ...alice, endpoint: 'http://127.0.0.1:1' }, 'switched'],
    ['still signed out', undefined, undefined, undefined],
  ];
  for (const [title, previous, next, expected] of cases) {
    it(`${title} → ${expected ?? 'work goes on'}`, () => assert.equal(accountEndReason(previous, next), expected));
  }

  it('AccountEndedError is a cancellation that names the user', () => {
    const signedOut = new AccountEndedError('signed-out', 'alice');
    assert.equal(signedOut.cancelled, true);
    assert.equal(signedOut.message, 'alice signed out of Synapse.');
    assert.equal(new AccountEndedError('switched', 'alice').message, 'The Synapse account changed from alice.');
  });

  it('linkSignals aborts with the reason of the source that aborted, once, and unhooks from the others', () => {
    const user = new AbortController();
    const account = new AbortController();
    const linked = linkSignals(user.signal, undefined, account.signal);
    let aborts = 0;
    linked.signal.addEventListener('abort', () => aborts++);
    const ended = new AccountEndedError('switched', 'alice');
    account.abort(ended);
    user.abort(new Error('later'));
    assert.equal(aborts, 1);
    assert.equal(linked.signal.reason, ended);
    assert.equal(accountEnded(linked.signal), ended);
    assert.equal(accountEnded(user.signal), undefined, 'a user cancel is not an account ending');
  });

  it('linkSignals starts aborted when a source already is, and dispose() detaches it', () => {
    const done = new AbortController();
    done.abort(new AccountEndedError('signed-out', 'bob'));
    assert.equal(linkSignals(new AbortController().signal, done.signal).signal.aborted, true);
    const source = new AbortController();
    const linked = linkSignals(source.signal);
    linked.dispose();
    source.abort();
    assert.equal(linked.signal.aborted, false, 'a disposed link no longer follows its sources');
  });
});

describe('Accounts: the reporting client against the sandbox', function () {
  const testSandbox = useTestSandbox();
  const verdicts: Array<[TokenVerdict, number]> = [];
  const wrap = (token: string | undefined, endpoint = testSandbox().url) =>
    reportingClient(new SynapseClient({ endpoint, token, retry: FAST_RETRY }), (verdict, call) => verdicts.push([verdict, call]));
  beforeEach(() => (verdicts.length = 0));

  it('reports accepted for answers, rejected for the 401 once the token is revoked, numbered by start', async () => {
    const env = testSandbox();
    const { token } = await env.admin<{ token: string }>('POST', 'tokens', { userName: 'alice' });
    const client = wrap(token);
    assert.equal((await client.getUserProfile()).userName, 'alice');
    assert.equal(await client.findDockerRepositoryId('127.0.0.1:5999/syn1000001/nothing-here'), undefined, 'a 404 answer');
    await env.admin('POST', 'revoke', { token });
    await assert.rejects(
      client.getEntity('syn1000001'),
      (error: unknown) => error instanceof SynapseError && error.kind === 'unauthenticated',
    );
    // Calls the client makes on itself are numbered too (findDockerRepositoryId → undefinedIfNotFound).
    assert.deepEqual(
      verdicts.map(([verdict]) => verdict),
      ['accepted', 'accepted', 'accepted', 'rejected'],
    );
    const rejectedCall = verdicts[3][1];
    assert.ok(
      verdicts.slice(0, 3).every(([, call]) => call < rejectedCall),
      `the rejected call started last: ${JSON.stringify(verdicts)}`,
    );
  });

  it('a 403 and a 404 say the token was accepted; the client is otherwise the same (paging through itself)', async () => {
    const client = wrap(testSandbox().token('dave'));
    await assert.rejects(client.getEntity('syn9999999'), (error: unknown) => error instanceof SynapseError && error.kind === 'notFound');
    const projects = await collectAll(client.projectPages({}));
    assert.ok(projects.length > 0);
    assert.ok(verdicts.length >= 2 && verdicts.every(([verdict]) => verdict === 'accepted'), JSON.stringify(verdicts));
    assert.equal(client.endpoint, testSandbox().url.replace(/\/+$/, ''));
  });

  it('network errors and cancellation say nothing about the token', async () => {
    const unreachable = wrap(testSandbox().token('alice'), 'http://127.0.0.1:1');
    await assert.rejects(unreachable.getUserProfile(), (error: unknown) => error instanceof SynapseError && error.kind === 'network');
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(
      wrap(testSandbox().token('alice')).getUserProfile(controller.signal),
      (error: unknown) => error instanceof SynapseError && error.kind === 'aborted',
    );
    assert.deepEqual(verdicts, []);
  });

  it('an injected 503 says nothing; an injected 401 is a rejection', async () => {
    const env = testSandbox();
    const client = wrap(env.token('alice'));
    await env.admin('POST', 'fail', { count: 2, status: 503 });
    await assert.rejects(client.getUserProfile());
    assert.deepEqual(verdicts, []);
    await env.admin('POST', 'fail', { count: 1, status: 401 });
    await assert.rejects(client.getUserProfile());
    assert.deepEqual(verdicts, [['rejected', 2]]);
  });
});
