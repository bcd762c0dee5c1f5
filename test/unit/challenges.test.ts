// The challenge core: the evaluation client, limit arithmetic, the pre-submit checks and the
// submissions poller, against the sandbox's evaluation service where a rule is Synapse's.
import * as assert from 'node:assert/strict';
import { currentRound, limitUsage, nextReset, tightestLimit, windowStart } from '../../src/core/challenges/limits';
import { SubmissionPoller, PollerTimers, isFinalStatus } from '../../src/core/challenges/poller';
import {
  checkDigestRecorded,
  checkEtag,
  checkPlatforms,
  checkTokenScopes,
  isBlocking,
  platformsFromManifest,
  presubmitProblems,
} from '../../src/core/challenges/presubmit';
import { publicScores } from '../../src/core/challenges/annotations';
import { limitSentence, memberSentence, problemSentence, statusLine } from '../../src/core/challenges/sentences';
import { SynapseClient } from '../../src/core/synapse/client';
import { SynapseError } from '../../src/core/synapse/errors';
import type { EvaluationRound, SubmissionStatus } from '../../src/core/synapse/evaluations';
import { readTokenClaims } from '../../src/core/synapse/pat';
import type { DockerCommit } from '../../src/core/synapse/types';
import { sandboxRequest } from '../sandbox/server/client';
import { DEFAULT_LISTENER_CREDENTIALS } from '../sandbox/server';
import { RequestStats, TEST_REGISTRY, useTestSandbox } from './helpers/inProcessSandbox';

const OPEN_QUEUE = '9614001';
const ALIGNERS = '3500001';
const ALIGNER = 'syn1000101';
const NO_RETRY = { maxRetries: 0, baseDelayMs: 1, maxDelayMs: 1, throttledBaseDelayMs: 1 };
const at = (iso: string): number => Date.parse(iso);

const round = (
  limits: EvaluationRound['limits'],
  start = '2026-01-01T00:00:00.000Z',
  end = '2027-01-01T00:00:00.000Z',
): EvaluationRound => ({
  id: '1',
  evaluationId: '2',
  roundStart: start,
  roundEnd: end,
  limits,
});

describe('challenges: limit arithmetic', function () {
  it('counts DAILY from 00:00 UTC, WEEKLY from Monday, MONTHLY from the 1st, TOTAL from the round start', function () {
    const wednesday = at('2026-12-02T06:30:00.000Z');
    assert.equal(new Date(windowStart('DAILY', 0, wednesday)).toISOString(), '2026-12-02T00:00:00.000Z');
    assert.equal(new Date(windowStart('WEEKLY', 0, wednesday)).toISOString(), '2026-11-30T00:00:00.000Z');
    assert.equal(
      new Date(windowStart('WEEKLY', 0, at('2026-12-06T23:59:59.000Z'))).toISOString(),
      '2026-11-30T00:00:00.000Z',
      'Sunday belongs to the week that began on Monday',
    );
    assert.equal(
      new Date(windowStart('WEEKLY', 0, at('2026-11-30T00:00:00.000Z'))).toISOString(),
      '2026-11-30T00:00:00.000Z',
      'Monday 00:00 starts a week',
    );
    assert.equal(new Date(windowStart('MONTHLY', 0, wednesday)).toISOString(), '2026-12-01T00:00:00.000Z');
    assert.equal(windowStart('TOTAL', at('2026-01-01T00:00:00.000Z'), wednesday), at('2026-01-01T00:00:00.000Z'));
  });

  it('says when each limit resets, and not past the end of the round', function () {
    const now = at('2026-12-31T22:00:00.000Z');
    assert.equal(new Date(nextReset('DAILY', at('2027-06-01T00:00:00.000Z'), now)!).toISOString(), '2027-01-01T00:00:00.000Z');
    assert.equal(new Date(nextReset('WEEKLY', at('2027-06-01T00:00:00.000Z'), now)!).toISOString(), '2027-01-04T00:00:00.000Z');
    assert.equal(new Date(nextReset('MONTHLY', at('2027-06-01T00:00:00.000Z'), now)!).toISOString(), '2027-01-01T00:00:00.000Z');
    assert.equal(nextReset('TOTAL', at('2027-06-01T00:00:00.000Z'), now), undefined);
    assert.equal(nextReset('DAILY', at('2026-12-31T23:00:00.000Z'), now), undefined, 'the round ends before midnight');
  });

  it('what is left: INVALID and REJECTED do not count, nor submissions before the window', function () {
    const now = at('2026-12-02T12:00:00.000Z');
    const submissions = [
      { createdOn: '2026-12-02T01:00:00.000Z', status: 'SCORED' as const },
      { createdOn: '2026-12-02T02:00:00.000Z', status: 'INVALID' as const },
      { createdOn: '2026-12-02T03:00:00.000Z', status: 'REJECTED' as const },
      { createdOn: '2026-12-01T23:59:59.999Z', status: 'ACCEPTED' as const },
      { createdOn: at('2026-11-29T10:00:00.000Z'), status: 'RECEIVED' as const },
    ];
    const usage = limitUsage(
      round([
        { limitType: 'DAILY', maximumSubmissions: 2 },
        { limitType: 'WEEKLY', maximumSubmissions: 3 },
        { limitType: 'TOTAL', maximumSubmissions: 10 },
      ]),
      submissions,
      now,
    );
    assert.deepEqual(
      usage.map((u) => [u.limitType, u.used, u.left]),
      [
        ['DAILY', 1, 1],
        ['WEEKLY', 2, 1],
        ['TOTAL', 3, 7],
      ],
    );
    assert.equal(tightestLimit(usage)?.limitType, 'DAILY');
    assert.equal(limitSentence(usage[0]), '1 of 2 left today (UTC)');
    const full = limitUsage(round([{ limitType: 'DAILY', maximumSubmissions: 1 }]), submissions, now);
    assert.equal(full[0].left, 0);
    assert.equal(tightestLimit([]), undefined);
  });

  it('the current round: start inclusive, end exclusive', function () {
    const rounds = [
      round([], '2026-01-01T00:00:00.000Z', '2026-02-01T00:00:00.000Z'),
      { ...round([], '2026-02-01T00:00:00.000Z', '2026-03-01T00:00:00.000Z'), id: 'r2' },
    ];
    assert.equal(currentRound(rounds, at('2026-02-01T00:00:00.000Z'))?.id, 'r2');
    assert.equal(currentRound(rounds, at('2026-03-01T00:00:00.000Z')), undefined);
  });
});

describe('challenges: pre-submit checks', function () {
  this.timeout(20_000);
  const env = useTestSandbox();
  const client = (user: string, token = env().token(user)) => new SynapseClient({ endpoint: env().url, token, retry: NO_RETRY });

  async function commitsOf(user: string): Promise<DockerCommit[]> {
    const commits: DockerCommit[] = [];
    for await (const page of client(user).dockerTagPages(ALIGNER, 50)) commits.push(...page);
    return commits;
  }

  it('a digest Synapse recorded passes, and Synapse takes it; a local-only digest fails, and Synapse refuses it', async function () {
    const commits = await commitsOf('bob');
    const recorded = commits[0].digest;
    const localOnly = `sha256:${'ab'.repeat(32)}`;
    assert.equal(checkDigestRecorded(recorded, ALIGNER, commits), undefined);
    assert.deepEqual(checkDigestRecorded(localOnly, ALIGNER, commits), {
      code: 'unrecordedDigest',
      digest: localOnly,
      repositoryId: ALIGNER,
    });
    const evaluations = client('bob').evaluations;
    const { etag } = await client('bob').getEntity(ALIGNER);
    await assert.rejects(
      evaluations.submit({ evaluationId: OPEN_QUEUE, entityId: ALIGNER, dockerDigest: localOnly }, etag!),
      (error: unknown) => error instanceof SynapseError && error.status === 400 && /does not have digest/.test(error.reason ?? ''),
    );
    const created = await evaluations.submit({ evaluationId: OPEN_QUEUE, entityId: ALIGNER, dockerDigest: recorded }, etag!);
    assert.equal(created.dockerDigest, recorded);
  });

  it('the token needs view and modify (as the submission endpoint does)', async function () {
    const { token } = await env().admin<{ token: string }>('POST', 'tokens', { userName: 'bob', scopes: ['view', 'download'] });
    const problem = checkTokenScopes(readTokenClaims(token)?.scopes);
    assert.deepEqual(problem, { code: 'tokenScopes', missing: ['modify'] });
    assert.equal(checkTokenScopes(readTokenClaims(env().token('bob'))?.scopes), undefined);
    const { etag } = await client('bob').getEntity(ALIGNER);
    const digest = (await commitsOf('bob'))[0].digest;
    await assert.rejects(
      client('bob', token).evaluations.submit({ evaluationId: OPEN_QUEUE, entityId: ALIGNER, dockerDigest: digest }, etag!),
      (error: unknown) => error instanceof SynapseError && error.missingScope,
    );
    assert.match(problemSentence(problem!).message, /lacks the modify scope/);
    assert.equal(problemSentence(problem!).fix, 'signIn');
  });

  it('the etag must still be the one the checks saw: a push in between makes it stale, and Synapse refuses the old one', async function () {
    const before = (await client('bob').getEntity(ALIGNER)).etag;
    const event = {
      id: 'e1',
      timestamp: new Date().toISOString(),
      action: 'push',
      target: {
        mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
        size: 1,
        digest: `sha256:${'cd'.repeat(32)}`,
        length: 1,
        repository: 'syn1000001/aligner',
        tag: 'v3',
        url: 'x',
      },
      request: { id: 'r1', addr: '127.0.0.1', host: TEST_REGISTRY, method: 'PUT', useragent: 'docker' },
      actor: { name: '3400001' },
      source: { addr: '127.0.0.1', instanceID: 'i' },
    };
    assert.equal(
      (
        await sandboxRequest(env().url, 'POST', '/dockerRegistryListener/v1/events', {
          basic: DEFAULT_LISTENER_CREDENTIALS,
          body: { events: [event] },
        })
      ).status,
      204,
    );
    const after = (await client('bob').getEntity(ALIGNER)).etag;
    assert.deepEqual(checkEtag(ALIGNER, before, after), { code: 'staleEtag', repositoryId: ALIGNER });
    assert.equal(checkEtag(ALIGNER, after, after), undefined);
    await assert.rejects(
      client('bob').evaluations.submit({ evaluationId: OPEN_QUEUE, entityId: ALIGNER, dockerDigest: event.target.digest }, before!),
      (error: unknown) => error instanceof SynapseError && /eTag is out of date/.test(error.reason ?? ''),
    );
  });

  it('platforms: a linux/amd64 variant passes; arm64 only fails with the fix; none known only warns', function () {
    assert.equal(checkPlatforms([{ os: 'linux', architecture: 'amd64' }]), undefined);
    assert.equal(
      checkPlatforms([
        { os: 'linux', architecture: 'arm64', variant: 'v8' },
        { os: 'linux', architecture: 'amd64', variant: 'v3' },
      ]),
      undefined,
    );
    const arm = checkPlatforms([
      { os: 'linux', architecture: 'arm64', variant: 'v8' },
      { os: 'unknown', architecture: 'unknown' },
    ]);
    assert.deepEqual(arm, { code: 'noAmd64', platforms: ['linux/arm64/v8'] });
    assert.equal(problemSentence(arm!).fix, 'rebuildAmd64');
    assert.match(problemSentence(arm!).message, /linux\/arm64\/v8 only.*Rebuild it with platform linux\/amd64/);
    assert.deepEqual(checkPlatforms([{ os: 'windows', architecture: 'amd64' }]), { code: 'noAmd64', platforms: ['windows/amd64'] });
    const unknown = checkPlatforms(undefined);
    assert.deepEqual(unknown, { code: 'platformUnknown' });
    assert.equal(isBlocking(unknown!), false);
    assert.equal(isBlocking(arm!), true);
  });

  it('platforms from a registry manifest list / OCI index, or an image config', function () {
    const index = {
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [
        { digest: 'sha256:1', platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
        {
          digest: 'sha256:2',
          platform: { os: 'unknown', architecture: 'unknown' },
          annotations: { 'vnd.docker.reference.type': 'attestation-manifest' },
        },
      ],
    };
    assert.deepEqual(platformsFromManifest(index), [
      { os: 'linux', architecture: 'arm64', variant: 'v8' },
      { os: 'unknown', architecture: 'unknown' },
    ]);
    assert.deepEqual(checkPlatforms(platformsFromManifest(index)), { code: 'noAmd64', platforms: ['linux/arm64/v8'] });
    assert.deepEqual(
      platformsFromManifest(
        { mediaType: 'application/vnd.docker.distribution.manifest.v2+json', config: {} },
        { os: 'linux', architecture: 'amd64' },
      ),
      [{ os: 'linux', architecture: 'amd64' }],
    );
    assert.deepEqual(platformsFromManifest({ config: {} }), []);
  });

  it('all problems at once, in the order they are fixed', function () {
    const problems = presubmitProblems({
      digest: 'sha256:x',
      repositoryId: ALIGNER,
      commits: [],
      platforms: [{ os: 'linux', architecture: 'arm64' }],
      tokenScopes: ['view'],
      etagChecked: 'a',
      etagNow: 'b',
    });
    assert.deepEqual(
      problems.map((p) => p.code),
      ['tokenScopes', 'unrecordedDigest', 'noAmd64', 'staleEtag'],
    );
    assert.deepEqual(
      presubmitProblems({
        digest: 'sha256:x',
        repositoryId: ALIGNER,
        commits: [{ tag: 'v1', digest: 'sha256:x', createdOn: '' }],
        platforms: [{ os: 'linux', architecture: 'amd64' }],
        tokenScopes: ['view', 'download', 'modify'],
        etagChecked: 'a',
        etagNow: 'a',
      }),
      [],
    );
  });
});

describe('challenges: evaluation client against the sandbox', function () {
  this.timeout(20_000);
  const env = useTestSandbox();
  const client = (user: string) => new SynapseClient({ endpoint: env().url, token: env().token(user), retry: NO_RETRY });

  it('queues, rounds, challenge, teams and team eligibility with member names', async function () {
    const alice = client('alice').evaluations;
    const queues = await alice.listEvaluations({ accessType: 'SUBMIT', activeOnly: true });
    assert.deepEqual(
      queues.map((q) => q.id),
      [OPEN_QUEUE],
    );
    const rounds = await alice.listRounds(OPEN_QUEUE);
    assert.equal(currentRound(rounds, Date.now())?.id, '9624001');
    const challenge = await alice.getChallengeForProject(queues[0].contentSource!);
    assert.equal(challenge?.participantTeamId, '3500002');
    assert.equal(await alice.getChallengeForProject('syn1000001'), undefined);
    const teams = await alice.listSubmissionTeams(challenge!.id);
    assert.deepEqual(teams, [ALIGNERS]);
    assert.equal((await alice.getTeam(ALIGNERS)).name, 'Aligners');
    const eligibility = await alice.getTeamEligibility(OPEN_QUEUE, ALIGNERS);
    const names = await Promise.all(eligibility.membersEligibility.map((m) => alice.getUserName(m.principalId)));
    assert.deepEqual(
      eligibility.membersEligibility.map((m, i) => memberSentence(names[i], m)),
      ['alice: eligible', 'dave: eligible'],
    );
  });

  it('a team submission, my bundles, the status with public scores, and a cancel (204)', async function () {
    const alice = client('alice');
    const { etag } = await alice.getEntity(ALIGNER);
    const digest = (await alice.listDockerTags(ALIGNER, { limit: 1, offset: 0 })).results[0].digest;
    const eligibility = await alice.evaluations.getTeamEligibility(OPEN_QUEUE, ALIGNERS);
    const contributors = eligibility.membersEligibility
      .filter((m) => m.isEligible && !m.hasConflictingSubmission)
      .map((m) => m.principalId);
    const created = await alice.evaluations.submit(
      { evaluationId: OPEN_QUEUE, entityId: ALIGNER, dockerDigest: digest, teamId: ALIGNERS, contributors },
      etag!,
      eligibility.eligibilityStateHash,
    );
    assert.deepEqual(created.contributors.map((c) => c.principalId).sort(), ['3400001', '3400004']);
    await env().admin('POST', 'evaluation/status', {
      submissionId: created.id,
      status: 'EVALUATION_IN_PROGRESS',
      statusDescription: 'running',
      progress: 30,
      canCancel: true,
    });
    const [bundle] = await alice.evaluations.listMySubmissions(OPEN_QUEUE);
    assert.equal(bundle.submission.id, created.id);
    assert.equal(statusLine(bundle.submissionStatus), 'EVALUATION_IN_PROGRESS · 30% · running');
    assert.equal(bundle.submissionStatus.canCancel, true);
    await alice.evaluations.requestCancel(created.id);
    assert.equal((await alice.evaluations.getStatus(created.id)).cancelRequested, true);
    await env().admin('POST', 'evaluation/status', { submissionId: created.id, status: 'SCORED', score: 0.91, scoreKey: 'auc' });
    await env().admin('POST', 'evaluation/status', {
      submissionId: created.id,
      status: 'SCORED',
      score: 0.1,
      scoreKey: 'secret',
      privateScore: true,
    });
    const scored = await alice.evaluations.getStatus(created.id);
    assert.deepEqual(publicScores(scored), [{ key: 'auc', value: 0.91 }], 'private annotations never reach the participant');
  });

  it('a submission is never retried: a 503 on the POST is one request and an error', async function () {
    const bob = new SynapseClient({
      endpoint: env().url,
      token: env().token('bob'),
      retry: { maxRetries: 3, baseDelayMs: 1, maxDelayMs: 2 },
    });
    const { etag } = await bob.getEntity(ALIGNER);
    await env().admin('POST', 'fail', { status: 503, count: 1, pathPrefix: '/repo/v1/evaluation/submission' });
    await env().admin('POST', 'stats/reset');
    await assert.rejects(
      bob.evaluations.submit({ evaluationId: OPEN_QUEUE, entityId: ALIGNER, dockerDigest: 'sha256:x' }, etag!),
      (e: unknown) => e instanceof SynapseError && e.status === 503,
    );
    const stats = await env().admin<RequestStats>('GET', 'stats');
    assert.equal(stats.requests.filter((r) => r.path === '/repo/v1/evaluation/submission').length, 1);
  });
});

/** Timers the test fires by hand. */
class ManualTimers implements PollerTimers {
  readonly waiting = new Map<number, { callback: () => void; ms: number }>();
  private next = 1;
  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.next++;
    this.waiting.set(id, { callback, ms });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.waiting.delete(handle as number);
  }
  get delays(): number[] {
    return [...this.waiting.values()].map((t) => t.ms);
  }
  fire(): void {
    const entries = [...this.waiting];
    this.waiting.clear();
    for (const [, timer] of entries) timer.callback();
  }
}

describe('challenges: the submissions poller', function () {
  this.timeout(20_000);
  const env = useTestSandbox();

  async function submitted(count: number): Promise<{ client: SynapseClient; statuses: SubmissionStatus[] }> {
    const client = new SynapseClient({ endpoint: env().url, token: env().token('bob'), retry: NO_RETRY });
    const statuses: SubmissionStatus[] = [];
    for (let i = 0; i < count; i++) {
      const { etag } = await client.getEntity(ALIGNER);
      const digest = (await client.listDockerTags(ALIGNER, { limit: 1, offset: 0 })).results[0].digest;
      const created = await client.evaluations.submit({ evaluationId: OPEN_QUEUE, entityId: ALIGNER, dockerDigest: digest }, etag!);
      statuses.push(await client.evaluations.getStatus(created.id));
    }
    return { client, statuses };
  }

  const statusReads = async (): Promise<number> =>
    (await env().admin<RequestStats>('GET', 'stats')).requests.filter((r) =>
      /^\/repo\/v1\/evaluation\/submission\/\d+\/status$/.test(r.path),
    ).length;

  it('refreshes only pending submissions, one request each; notifies a final status once; then stops', async function () {
    const { client, statuses } = await submitted(2);
    const timers = new ManualTimers();
    const changes: string[] = [];
    const finals: string[] = [];
    const poller = new SubmissionPoller({
      fetchStatus: (id, signal) => client.evaluations.getStatus(id, signal),
      onChange: (id, status) => changes.push(`${id}:${status.status}`),
      onFinal: (id, status) => finals.push(`${id}:${status.status}`),
      baseDelayMs: 1000,
      maxDelayMs: 8000,
      timers,
    });
    poller.setAll(statuses);
    assert.equal(poller.scheduled, false, 'not visible: no polling');
    poller.setActive(true);
    assert.deepEqual(timers.delays, [1000]);
    await env().admin('POST', 'stats/reset');
    let report = await poller.refreshNow();
    assert.deepEqual([report.requests, await statusReads(), report.changed.length], [2, 2, 0]);
    assert.deepEqual(timers.delays, [2000], 'nothing changed: twice the wait');
    const [first, second] = statuses.map((s) => s.id);
    await env().admin('POST', 'evaluation/status', { submissionId: first, status: 'EVALUATION_IN_PROGRESS' });
    await env().admin('POST', 'evaluation/status', { submissionId: first, status: 'SCORED', score: 0.7, scoreKey: 'auc' });
    report = await poller.refreshNow();
    assert.deepEqual(report.changed, [first]);
    assert.deepEqual(finals, [`${first}:SCORED`]);
    assert.deepEqual(timers.delays, [1000], 'a change: back to the base wait');
    await env().admin('POST', 'stats/reset');
    report = await poller.refreshNow();
    assert.deepEqual([report.requests, await statusReads()], [1, 1], 'the scored one is no longer read');
    await env().admin('POST', 'evaluation/status', { submissionId: second, status: 'INVALID', failureReason: 'no output' });
    await poller.refreshNow();
    assert.deepEqual(finals, [`${first}:SCORED`, `${second}:INVALID`]);
    assert.deepEqual(poller.pending, []);
    assert.equal(poller.scheduled, false, 'nothing pending: no timer');
    await env().admin('POST', 'stats/reset');
    report = await poller.refreshNow();
    assert.deepEqual([report.requests, await statusReads()], [0, 0], 'nothing pending: no request at all');
    assert.deepEqual(changes, [`${first}:SCORED`, `${second}:INVALID`]);
    poller.dispose();
  });

  it('backs off to the cap while nothing changes, pauses while hidden, and a new submission starts over', async function () {
    const { client, statuses } = await submitted(1);
    const timers = new ManualTimers();
    const poller = new SubmissionPoller({
      fetchStatus: (id, signal) => client.evaluations.getStatus(id, signal),
      baseDelayMs: 1000,
      maxDelayMs: 4000,
      timers,
    });
    poller.setAll(statuses);
    poller.setActive(true);
    const seen: number[] = [];
    for (let i = 0; i < 4; i++) {
      seen.push(timers.delays[0]);
      timers.fire();
      // The fired refresh runs asynchronously: wait for it to schedule the next one.
      while (timers.waiting.size === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    }
    assert.deepEqual(seen, [1000, 2000, 4000, 4000]);
    poller.setActive(false);
    assert.equal(poller.scheduled, false, 'hidden: no timer');
    await env().admin('POST', 'stats/reset');
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(await statusReads(), 0);
    poller.setActive(true);
    assert.deepEqual(timers.delays, [4000]);
    const more = await submitted(1);
    poller.track(more.statuses[0]);
    assert.deepEqual(timers.delays, [1000], 'a new pending submission: back to the base wait');
    assert.ok(isFinalStatus('SCORED') && isFinalStatus('INVALID') && !isFinalStatus('VALIDATED') && !isFinalStatus('RECEIVED'));
    poller.dispose();
    assert.equal(poller.scheduled, false);
  });

  it('a failed read keeps the submission pending and backs off', async function () {
    const { client, statuses } = await submitted(1);
    const timers = new ManualTimers();
    const errors: unknown[] = [];
    const poller = new SubmissionPoller({
      fetchStatus: (id, signal) => client.evaluations.getStatus(id, signal),
      onError: (_id, e) => errors.push(e),
      baseDelayMs: 1000,
      timers,
    });
    poller.setAll(statuses);
    poller.setActive(true);
    await env().admin('POST', 'fail', { status: 503, count: 1, pathPrefix: '/repo/v1/evaluation/submission/' });
    await poller.refreshNow();
    assert.equal(errors.length, 1);
    assert.deepEqual(poller.pending, [statuses[0].id]);
    assert.deepEqual(timers.delays, [2000]);
    poller.dispose();
  });
});
