// The sandbox's evaluation service: queues, rounds and limits, challenges and teams, the submission
// endpoint's rules and refusal texts (SRS SubmissionManagerImpl, SubmissionEligibilityManagerImpl),
// statuses, private annotations, cancellation, the organisers' pipeline control, and the pull rule
// through READ_PRIVATE_SUBMISSION (synapse-api.md §3.4, §8).
import * as assert from 'node:assert/strict';
import { SandboxResponse, sandboxRequest } from './server/client';
import { TEST_REGISTRY, useTestSandbox } from '../unit/helpers/inProcessSandbox';

const OPEN_QUEUE = '9614001';
const CLOSED_QUEUE = '9614002';
const ALIGNERS = '3500001';
const ALIGNER = 'syn1000101';
const DAY_MS = 86_400_000;
const ALICE = '3400001';
const DAVE = '3400004';

describe('Synapse sandbox: evaluation queues and submissions', function () {
  this.timeout(20_000);
  const env = useTestSandbox();

  const call = (user: string | undefined, method: string, path: string, body?: unknown): Promise<SandboxResponse> =>
    sandboxRequest(env().url, method, `/repo/v1${path}`, { token: user ? env().token(user) : undefined, body });

  async function aligner(user = 'alice'): Promise<{ etag: string; digest: string; tag: string }> {
    const entity = await call(user, 'GET', `/entity/${ALIGNER}`);
    const tags = await call(user, 'GET', `/entity/${ALIGNER}/dockerTag?limit=1`);
    return { etag: entity.json.etag, digest: tags.json.results[0].digest, tag: tags.json.results[0].tag };
  }

  async function submitAs(
    user: string,
    options: { queue?: string; team?: string; contributors?: string[]; hash?: number; etag?: string | null; digest?: string } = {},
  ): Promise<SandboxResponse> {
    const repo = await aligner(user);
    const query = new URLSearchParams();
    const etag = options.etag === undefined ? repo.etag : options.etag;
    if (etag !== null) query.set('etag', etag);
    if (options.hash !== undefined) query.set('submissionEligibilityHash', String(options.hash));
    return call(user, 'POST', `/evaluation/submission?${query}`, {
      evaluationId: options.queue ?? OPEN_QUEUE,
      entityId: ALIGNER,
      dockerDigest: options.digest ?? repo.digest,
      ...(options.team ? { teamId: options.team } : {}),
      ...(options.contributors ? { contributors: options.contributors.map((principalId) => ({ principalId })) } : {}),
    });
  }

  async function teamSubmission(user: string, contributors: string[]): Promise<SandboxResponse> {
    const eligibility = await call(user, 'GET', `/evaluation/${OPEN_QUEUE}/team/${ALIGNERS}/submissionEligibility`);
    assert.equal(eligibility.status, 200, eligibility.text);
    return submitAs(user, { team: ALIGNERS, contributors, hash: eligibility.json.eligibilityStateHash });
  }

  const pipeline = (body: Record<string, unknown>) => env().admin<Record<string, unknown>>('POST', 'evaluation/status', body);

  describe('queues, rounds and challenges', function () {
    it('lists the queues one may submit to now: activeOnly leaves out the closed round', async function () {
      const all = await call('alice', 'GET', '/evaluation?accessType=SUBMIT');
      assert.deepEqual(
        all.json.results.map((e: { id: string }) => e.id),
        [OPEN_QUEUE, CLOSED_QUEUE],
      );
      const active = await call('alice', 'GET', '/evaluation?accessType=SUBMIT&activeOnly=true');
      assert.deepEqual(
        active.json.results.map((e: { id: string }) => e.id),
        [OPEN_QUEUE],
      );
      assert.equal(active.json.results[0].contentSource, 'syn1000007');
      assert.match(active.json.results[0].submissionInstructionsMessage, /linux\/amd64/);
      // carol is not a participant: only the open queue grants SUBMIT to every signed-in user.
      const carol = await call('carol', 'GET', '/evaluation/available');
      assert.deepEqual(
        carol.json.results.map((e: { id: string }) => e.id),
        [OPEN_QUEUE],
      );
      const bad = await call('alice', 'GET', '/evaluation?accessType=SUBMITT');
      assert.equal(bad.status, 400);
      assert.equal(bad.json.reason, 'No enum constant org.sagebionetworks.repo.model.ACCESS_TYPE.SUBMITT');
    });

    it("lists rounds with their limits (READ needed) and answers Synapse's texts for unknown ids", async function () {
      const rounds = await call('alice', 'POST', `/evaluation/${OPEN_QUEUE}/round/list`, {});
      assert.equal(rounds.status, 200);
      assert.deepEqual(rounds.json.page[0].limits, [{ limitType: 'DAILY', maximumSubmissions: 2 }]);
      const carol = await call('carol', 'POST', `/evaluation/${CLOSED_QUEUE}/round/list`, {});
      assert.deepEqual([carol.status, carol.json.reason], [403, `User lacks READ access to Evaluation ${CLOSED_QUEUE}`]);
      const missing = await call('alice', 'GET', '/evaluation/123');
      assert.deepEqual([missing.status, missing.json.reason], [404, 'Evaluation could not be found with id :123']);
    });

    it('finds the challenge of a project, the teams one may submit as, and names teams and users', async function () {
      const challenge = await call('alice', 'GET', '/entity/syn1000007/challenge');
      assert.deepEqual([challenge.json.projectId, challenge.json.participantTeamId], ['syn1000007', '3500002']);
      const none = await call('alice', 'GET', '/entity/syn1000001/challenge');
      assert.deepEqual([none.status, none.json.reason], [404, 'Cannot find the Challenge for project syn1000001']);
      const teams = await call('alice', 'GET', `/challenge/${challenge.json.id}/submissionTeams`);
      assert.deepEqual(teams.json.results, [ALIGNERS]);
      const bobTeams = await call('bob', 'GET', `/challenge/${challenge.json.id}/submissionTeams`);
      assert.deepEqual(bobTeams.json.results, [], 'bob is registered alone');
      assert.equal((await call('alice', 'GET', `/team/${ALIGNERS}`)).json.name, 'Aligners');
      assert.equal((await call('alice', 'GET', `/userProfile/${DAVE}`)).json.userName, 'dave');
    });
  });

  describe('POST /evaluation/submission', function () {
    it('creates a RECEIVED submission; the server fills repository name, round and contributors', async function () {
      const created = await submitAs('bob');
      assert.equal(created.status, 201, created.text);
      assert.equal(created.json.dockerRepositoryName, `${TEST_REGISTRY}/syn1000001/aligner`);
      assert.equal(created.json.evaluationRoundId, '9624001');
      assert.equal(created.json.userId, '3400002');
      assert.deepEqual(
        created.json.contributors.map((c: { principalId: string }) => c.principalId),
        ['3400002'],
      );
      assert.equal(created.json.name, ALIGNER, 'defaults to the entity name');
      const status = await call('bob', 'GET', `/evaluation/submission/${created.json.id}/status`);
      assert.deepEqual([status.json.status, status.json.canCancel, status.json.cancelRequested], ['RECEIVED', false, false]);
    });

    it('refuses a missing or stale etag, an unrecorded digest, a round id, and what is neither team nor individual', async function () {
      const missing = await submitAs('bob', { etag: null });
      assert.deepEqual(
        [missing.status, missing.json.reason],
        [400, `The supplied eTag is out of date. Please fetch Entity ${ALIGNER} again.`],
      );
      const stale = await submitAs('bob', { etag: '00000000-0000-0000-0000-000000000000' });
      assert.equal(stale.status, 400);
      const digest = `sha256:${'0'.repeat(64)}`;
      const unrecorded = await submitAs('bob', { digest });
      assert.deepEqual(
        [unrecorded.status, unrecorded.json.reason],
        [400, `The given Docker Repository, ${ALIGNER}, does not have digest ${digest}`],
      );
      const repo = await aligner('bob');
      const withRound = await call('bob', 'POST', `/evaluation/submission?etag=${repo.etag}`, {
        evaluationId: OPEN_QUEUE,
        entityId: ALIGNER,
        dockerDigest: repo.digest,
        evaluationRoundId: '9624001',
      });
      assert.deepEqual(
        [withRound.status, withRound.json.reason],
        [400, 'Please do not specify any evaluationRoundId. This will be filled automatically based upon the time of creation.'],
      );
      const teamWithoutHash = await submitAs('alice', { team: ALIGNERS });
      assert.deepEqual(
        [teamWithoutHash.status, teamWithoutHash.json.reason],
        [400, 'Submission is neither a valid Team or Individual Submission.'],
      );
      const noDigest = await call('bob', 'POST', `/evaluation/submission?etag=${repo.etag}`, {
        evaluationId: OPEN_QUEUE,
        entityId: ALIGNER,
      });
      assert.deepEqual([noDigest.status, noDigest.json.reason], [400, 'Docker Digest is required.']);
    });

    it('needs view+modify, SUBMIT, and READ on the repository', async function () {
      const { token } = await env().admin<{ token: string }>('POST', 'tokens', { userName: 'bob', scopes: ['view', 'download'] });
      const repo = await aligner('bob');
      const noModify = await sandboxRequest(env().url, 'POST', `/repo/v1/evaluation/submission?etag=${repo.etag}`, {
        token,
        body: { evaluationId: OPEN_QUEUE, entityId: ALIGNER, dockerDigest: repo.digest },
      });
      assert.deepEqual(
        [noModify.status, noModify.json.error_description],
        [403, 'Request lacks scope(s) required by this service: modify'],
      );
      const carolClosed = await submitAs('carol', { queue: CLOSED_QUEUE });
      assert.deepEqual([carolClosed.status, carolClosed.json.reason], [403, `User lacks SUBMIT access to Evaluation ${CLOSED_QUEUE}`]);
      const frank = await call('frank', 'POST', '/evaluation/submission?etag=x', {
        evaluationId: OPEN_QUEUE,
        entityId: ALIGNER,
        dockerDigest: repo.digest,
      });
      assert.equal(frank.status, 403, 'frank cannot read the repository');
    });

    it('refuses who is not registered, and a round that is over', async function () {
      const carol = await submitAs('carol');
      assert.deepEqual([carol.status, carol.json.reason], [403, 'Submitter is not registered for the challenge.']);
      const closed = await submitAs('bob', { queue: CLOSED_QUEUE });
      assert.deepEqual([closed.status, closed.json.reason], [403, 'It is currently outside of the time range allowed for submissions.']);
    });

    it('counts the daily limit of 2, not INVALID or REJECTED ones, and resets it at 00:00 UTC', async function () {
      const first = await submitAs('bob');
      const second = await submitAs('bob');
      assert.deepEqual([first.status, second.status], [201, 201]);
      const third = await submitAs('bob');
      assert.deepEqual(
        [third.status, third.json.reason],
        [403, 'Submitter has reached the daily limit of 2. (for the current submission round).'],
      );
      await pipeline({ submissionId: first.json.id, status: 'INVALID', failureReason: 'no /output/predictions.csv' });
      const again = await submitAs('bob');
      assert.equal(again.status, 201, 'an INVALID submission no longer counts');
      assert.equal((await submitAs('bob')).status, 403);
      // The next day (UTC midnight passed): the count starts again.
      const now = Date.now();
      const untilMidnight = DAY_MS - (now % DAY_MS);
      await env().admin('POST', 'evaluation/clock', { offsetMs: untilMidnight + 1000 });
      assert.equal((await submitAs('bob')).status, 201);
    });

    it('team eligibility: per member registered, limit and conflicting submission; the hash must be current', async function () {
      const before = await call('alice', 'GET', `/evaluation/${OPEN_QUEUE}/team/${ALIGNERS}/submissionEligibility`);
      assert.equal(before.status, 200);
      assert.deepEqual(before.json.teamEligibility, { isEligible: true, isQuotaFilled: false, isRegistered: true });
      assert.deepEqual(
        before.json.membersEligibility.map((m: { principalId: number; isEligible: boolean }) => [m.principalId, m.isEligible]),
        [
          [3400001, true],
          [3400004, true],
        ],
      );
      assert.ok(Number.isInteger(before.json.eligibilityStateHash));
      // dave submits alone: he now has a conflicting submission, and the old hash is stale.
      assert.equal((await submitAs('dave')).status, 201);
      const after = await call('alice', 'GET', `/evaluation/${OPEN_QUEUE}/team/${ALIGNERS}/submissionEligibility`);
      const dave = after.json.membersEligibility.find((m: { principalId: number }) => m.principalId === 3400004);
      assert.deepEqual([dave.hasConflictingSubmission, dave.isEligible], [true, false]);
      assert.notEqual(after.json.eligibilityStateHash, before.json.eligibilityStateHash);
      const stale = await submitAs('alice', { team: ALIGNERS, contributors: [ALICE], hash: before.json.eligibilityStateHash });
      assert.deepEqual([stale.status, stale.json.reason], [403, 'Submissions or Team composition have changed.  Please try again.']);
      const withDave = await submitAs('alice', { team: ALIGNERS, contributors: [ALICE, DAVE], hash: after.json.eligibilityStateHash });
      assert.deepEqual(
        [withDave.status, withDave.json.reason],
        [403, `The following Team members are ineligible to contribute to a Submission in the specified Evaluation at this time [${DAVE}]`],
      );
      const aliceOnly = await submitAs('alice', { team: ALIGNERS, contributors: [ALICE], hash: after.json.eligibilityStateHash });
      assert.equal(aliceOnly.status, 201, aliceOnly.text);
      assert.equal(aliceOnly.json.teamId, ALIGNERS);
      const bob = await call('bob', 'GET', `/evaluation/${OPEN_QUEUE}/team/${ALIGNERS}/submissionEligibility`);
      assert.deepEqual([bob.status, bob.json.reason], [403, 'Requester is not a member of the Submission Team.']);
    });

    it('a team fills its limit; a contributor of a team submission may not then submit alone', async function () {
      assert.equal((await teamSubmission('alice', [ALICE, DAVE])).status, 201);
      const alone = await submitAs('alice');
      assert.deepEqual(
        [alone.status, alone.json.reason],
        [403, 'Submitter may not submit as an individual when having submitted as part of a Team. (for the current submission round).'],
      );
      assert.equal((await teamSubmission('alice', [ALICE])).status, 201);
      const full = await call('alice', 'GET', `/evaluation/${OPEN_QUEUE}/team/${ALIGNERS}/submissionEligibility`);
      assert.deepEqual(full.json.teamEligibility, { isEligible: false, isQuotaFilled: true, isRegistered: true });
      const third = await submitAs('alice', { team: ALIGNERS, contributors: [ALICE], hash: full.json.eligibilityStateHash });
      assert.deepEqual(
        [third.status, third.json.reason],
        [403, 'The specified Team is ineligible to submit to the specified Evaluation at this time.'],
      );
      const closed = await call('alice', 'GET', `/evaluation/${CLOSED_QUEUE}/team/${ALIGNERS}/submissionEligibility`);
      assert.deepEqual([closed.status, closed.json.reason], [400, 'The given date is outside the time range allowed for submissions.']);
    });
  });

  describe('statuses, the pipeline, cancellation and pulls', function () {
    it("the pipeline writes the orchestrator's annotations and a score; private ones reach only the organiser", async function () {
      const created = (await teamSubmission('alice', [ALICE, DAVE])).json;
      await pipeline({
        submissionId: created.id,
        status: 'EVALUATION_IN_PROGRESS',
        statusDescription: 'running the model',
        progress: 40,
        canCancel: true,
      });
      await pipeline({
        submissionId: created.id,
        status: 'SCORED',
        statusDescription: 'done',
        progress: 100,
        score: 0.87,
        scoreKey: 'auc',
      });
      await pipeline({ submissionId: created.id, status: 'SCORED', score: 0.5, scoreKey: 'internal_metric', privateScore: true });
      const bundles = await call('alice', 'GET', `/evaluation/${OPEN_QUEUE}/submission/bundle`);
      assert.equal(bundles.json.totalNumberOfResults, 1);
      const status = bundles.json.results[0].submissionStatus;
      assert.equal(status.status, 'SCORED');
      assert.equal(status.canCancel, false, 'a final status is no longer cancellable');
      assert.deepEqual(status.annotations.doubleAnnos, [{ key: 'auc', isPrivate: false, value: 0.87 }]);
      assert.deepEqual(
        status.annotations.stringAnnos.map((a: { value: string }) => a.value),
        ['done'],
      );
      assert.equal(status.submissionAnnotations, undefined, 'V2 annotations are for READ_PRIVATE_SUBMISSION only');
      const organiser = await call('oscar', 'GET', `/evaluation/submission/${created.id}/status`);
      assert.deepEqual(
        organiser.json.annotations.doubleAnnos.map((a: { key: string }) => a.key),
        ['auc', 'internal_metric'],
      );
      assert.ok(organiser.json.submissionAnnotations.annotations.auc);
      const dave = await call('dave', 'GET', `/evaluation/${OPEN_QUEUE}/submission/bundle`);
      assert.equal(dave.json.totalNumberOfResults, 0, 'bundles list what the caller submitted');
      const participant = await call('alice', 'GET', `/evaluation/submission/${created.id}`);
      assert.deepEqual(
        [participant.status, participant.json.reason],
        [403, `User lacks READ_PRIVATE_SUBMISSION access to Evaluation ${OPEN_QUEUE}`],
      );
      assert.equal((await call('oscar', 'GET', `/evaluation/submission/${created.id}`)).json.dockerDigest, created.dockerDigest);
      await assert.rejects(
        pipeline({ submissionId: created.id, status: 'RECEIVED' }),
        /does not move a submission from SCORED to RECEIVED/,
      );
      const bad = await call('alice', 'GET', `/evaluation/${OPEN_QUEUE}/submission/bundle?limit=101`);
      assert.deepEqual([bad.status, bad.json.reason], [400, 'limit must be between 0 and 100']);
    });

    it('cancellation: only the submitter, only while the pipeline allows it; 204', async function () {
      const created = (await submitAs('bob')).json;
      const early = await call('bob', 'PUT', `/evaluation/submission/${created.id}/cancellation`);
      assert.deepEqual([early.status, early.json.reason], [403, 'This submission is currently noncancellable.']);
      await pipeline({ submissionId: created.id, status: 'EVALUATION_IN_PROGRESS', canCancel: true });
      const other = await call('alice', 'PUT', `/evaluation/submission/${created.id}/cancellation`);
      assert.deepEqual([other.status, other.json.reason], [403, 'Only the user who submitted this submission could perform this action.']);
      const ok = await call('bob', 'PUT', `/evaluation/submission/${created.id}/cancellation`);
      assert.deepEqual([ok.status, ok.text], [204, '']);
      const status = await call('bob', 'GET', `/evaluation/submission/${created.id}/status`);
      assert.equal(status.json.cancelRequested, true);
      const none = await call('bob', 'PUT', '/evaluation/submission/42/cancellation');
      assert.deepEqual([none.status, none.json.reason], [404, "Submission '42' does not exist"]);
    });

    it('the organiser pulls a submitted image through READ_PRIVATE_SUBMISSION, without DOWNLOAD on it', async function () {
      const pull = async (user: string): Promise<string[]> => {
        const scope = encodeURIComponent('repository:syn1000001/aligner:pull');
        const answer = await sandboxRequest(
          env().url,
          'GET',
          `/docker/v1/bearerToken?service=${encodeURIComponent(TEST_REGISTRY)}&scope=${scope}`,
          { basic: { user: 'x', password: env().token(user) } },
        );
        const claims = JSON.parse(Buffer.from(answer.json.token.split('.')[1], 'base64url').toString('utf8'));
        return claims.access[0].actions;
      };
      assert.deepEqual(await pull('oscar'), [], 'nothing submitted yet: oscar has no DOWNLOAD on syn1000001');
      assert.equal((await call('oscar', 'GET', `/entity/${ALIGNER}`)).status, 403);
      assert.equal((await submitAs('bob')).status, 201);
      assert.deepEqual(await pull('oscar'), ['pull']);
      assert.deepEqual(await pull('frank'), [], 'a user without READ_PRIVATE_SUBMISSION still gets nothing');
      const { token } = await env().admin<{ token: string }>('POST', 'tokens', { userName: 'oscar', scopes: ['view', 'modify'] });
      const answer = await sandboxRequest(
        env().url,
        'GET',
        `/docker/v1/bearerToken?service=${encodeURIComponent(TEST_REGISTRY)}&scope=${encodeURIComponent('repository:syn1000001/aligner:pull')}`,
        { basic: { user: 'x', password: token } },
      );
      assert.deepEqual(
        JSON.parse(Buffer.from(answer.json.token.split('.')[1], 'base64url').toString('utf8')).access[0].actions,
        [],
        'pull still needs the download scope',
      );
    });

    it('reset forgets submissions and the clock offset', async function () {
      assert.equal((await submitAs('bob')).status, 201);
      await env().admin('POST', 'evaluation/clock', { offsetMs: DAY_MS });
      await env().admin('POST', 'reset');
      assert.deepEqual(await env().admin('GET', 'evaluation/submissions'), []);
      assert.equal((await call('bob', 'GET', `/evaluation/${OPEN_QUEUE}/submission/bundle`)).json.totalNumberOfResults, 0);
    });
  });
});
