import assert from 'node:assert/strict';
import { SynapseClient } from '../../src/core/synapse/client';
import { SynapseError } from '../../src/core/synapse/errors';
import { collectAll } from '../../src/core/synapse/paging';
import { verifyToken, SignInError } from '../../src/core/synapse/signIn';
import { ANONYMOUS_PRINCIPAL_ID, DockerRepository } from '../../src/core/synapse/types';
import { RequestStats, TestSandbox, useTestSandbox, TEST_REGISTRY } from './helpers/inProcessSandbox';

const FAST_RETRY = { maxRetries: 3, baseDelayMs: 5, maxDelayMs: 20, throttledBaseDelayMs: 5 };
const MAIN_PROJECT = 'syn1000001';

describe('Synapse client against the sandbox', function () {
  let env: TestSandbox;
  let alice: SynapseClient;

  const sandbox = useTestSandbox();
  beforeEach(() => {
    env = sandbox();
    alice = new SynapseClient({ endpoint: env.url, token: env.token('alice'), retry: FAST_RETRY });
  });

  const clientFor = (userName: string) => new SynapseClient({ endpoint: env.url, token: env.token(userName), retry: FAST_RETRY });
  const stats = () => env.admin<RequestStats>('GET', 'stats');

  describe('user', () => {
    it('returns the signed-in profile, and the anonymous user without a token', async () => {
      const profile = await alice.getUserProfile();
      assert.equal(profile.userName, 'alice');
      assert.equal(profile.ownerId, '3400001');
      const anonymous = await new SynapseClient({ endpoint: env.url }).getUserProfile();
      assert.equal(anonymous.ownerId, ANONYMOUS_PRINCIPAL_ID);
    });

    it('knows who is certified (user bundle) and reads the quiz record', async () => {
      assert.equal(await alice.isCertified(), true);
      assert.equal(await clientFor('carol').isCertified(), false);
      const record = await alice.getCertificationRecord('3400001');
      assert.equal(record?.passed, true);
      assert.equal(await alice.getCertificationRecord('3400003'), undefined, 'carol never took the quiz: 404 → undefined');
    });
  });

  describe('projects', () => {
    it('pages GET /projects to the end, 50 a page, over more than 50 projects', async () => {
      const pages: number[] = [];
      for await (const page of alice.projectPages()) pages.push(page.length);
      assert.equal(pages[0], 50);
      assert.ok(pages.length >= 2, `expected at least 2 pages, got ${pages}`);
      const all = await collectAll(alice.projectPages());
      assert.equal(new Set(all.map((p) => p.id)).size, all.length, 'no project listed twice');
      assert.ok(all.some((p) => p.id === MAIN_PROJECT));
      assert.ok(!all.some((p) => p.name === 'Public Reference Data'), 'public projects the user is not a member of are left out');
      assert.ok(!all.some((p) => p.id === 'syn1000002'), 'trashed projects are left out');
    });

    it('sorts by name ascending and honours the CREATED filter', async () => {
      const byName = await collectAll(alice.projectPages({ sort: 'PROJECT_NAME', sortDirection: 'ASC' }));
      const names = byName.map((p) => p.name);
      assert.deepEqual(
        names,
        [...names].sort((a, b) => a.localeCompare(b, 'en', { sensitivity: 'base' })),
      );
      const created = await collectAll(clientFor('bob').projectPages({ filter: 'CREATED' }));
      assert.deepEqual(
        created.map((p) => p.id),
        ['syn1000004'],
      );
    });
  });

  describe('docker repositories and tags', () => {
    it('lists the project’s repositories resolved to entities, managed and external', async () => {
      const repositories = await collectAll(alice.dockerRepositoryPages(MAIN_PROJECT));
      const byName = new Map(repositories.map((r: DockerRepository) => [r.repositoryName, r]));
      const aligner = byName.get(`${TEST_REGISTRY}/syn1000001/aligner`);
      assert.ok(aligner, 'managed aligner repository present');
      assert.equal(aligner.isManaged, true);
      assert.equal(aligner.name, aligner.id, 'managed repositories are named by their id');
      const external = byName.get('quay.io/biocontainers/blast');
      assert.equal(external?.isManaged, false);
    });

    it('finds a repository id by its full name, and returns undefined for an unknown one', async () => {
      assert.equal(await alice.findDockerRepositoryId(`${TEST_REGISTRY}/syn1000001/aligner`), 'syn1000101');
      assert.equal(await alice.findDockerRepositoryId(`${TEST_REGISTRY}/syn1000001/nope`), undefined);
    });

    it('lists tags newest first with only the newest commit per tag, and pages by offset', async () => {
      const first = await alice.listDockerTags('syn1000101', { limit: 10, offset: 0 });
      const tags = first.results.map((c) => c.tag);
      assert.equal(new Set(tags).size, tags.length, 'latest appears once');
      assert.equal(tags[0], 'latest', 'the re-pushed latest tag is the newest');
      const all = await collectAll(alice.dockerTagPages('syn1000102', 7));
      assert.equal(all.length, 30);
      const byTag = await alice.listDockerTags('syn1000102', { limit: 5, offset: 0 }, { sort: 'TAG', ascending: true });
      assert.deepEqual(
        byTag.results.map((c) => c.tag),
        [...byTag.results.map((c) => c.tag)].sort(),
      );
      assert.equal(byTag.totalNumberOfResults, 6, 'a full page estimates offset + size + 1');
    });

    it('reads permissions: editor, uncertified editor, reader, and local sharing settings', async () => {
      const own = await alice.getPermissions(MAIN_PROJECT);
      assert.equal(own.canAddChild, true);
      const carol = await clientFor('carol').getPermissions(MAIN_PROJECT);
      assert.equal(carol.canCertifiedUserAddChild, true);
      assert.equal(carol.canAddChild, false, 'CREATE needs certification');
      const dave = await clientFor('dave').getPermissions(MAIN_PROJECT);
      assert.equal(dave.canView, true);
      assert.equal(dave.canDownload, false);
      const bobOnRestricted = await clientFor('bob').getPermissions('syn1000106');
      assert.equal(bobOnRestricted.canDownload, false, "the repository's own ACL overrides the project's");
    });
  });

  describe('errors', () => {
    const cases: Array<[number, SynapseError['kind']]> = [
      [400, 'badRequest'],
      [401, 'unauthenticated'],
      [403, 'forbidden'],
      [404, 'notFound'],
      [409, 'conflict'],
      [429, 'throttled'],
      [503, 'unavailable'],
      [500, 'server'],
    ];
    for (const [status, kind] of cases) {
      it(`maps ${status} to ${kind} and keeps the server's reason`, async () => {
        await env.admin('POST', 'fail', { count: 10, status, pathPrefix: '/repo/v1/userProfile', reason: `injected ${status}` });
        const client = new SynapseClient({ endpoint: env.url, token: env.token('alice'), retry: { ...FAST_RETRY, maxRetries: 0 } });
        const error = await client.getUserProfile().then(
          () => assert.fail('expected a failure'),
          (e: unknown) => e as SynapseError,
        );
        assert.ok(error instanceof SynapseError);
        assert.equal(error.kind, kind);
        assert.equal(error.status, status);
        assert.equal(error.reason, `injected ${status}`);
        assert.ok(!error.message.includes(env.token('alice')), 'the token never appears in an error');
      });
    }

    it('reports a real 403 for missing READ, and a trashed entity as in the trash can', async () => {
      await assert.rejects(
        clientFor('carol').getEntity('syn1000004'),
        (e: SynapseError) => e.kind === 'forbidden' && /READ/.test(e.reason ?? ''),
      );
      await assert.rejects(alice.getEntity('syn1000002'), (e: SynapseError) => e.kind === 'notFound' && e.inTrash);
    });

    it('rejects a tampered token with 401', async () => {
      const [header, payload, signature] = env.token('dave').split('.');
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
      claims.access.scope.push('modify', 'authorize');
      const forged = [header, Buffer.from(JSON.stringify(claims)).toString('base64url'), signature].join('.');
      await assert.rejects(
        new SynapseClient({ endpoint: env.url, token: forged }).getUserProfile(),
        (e: SynapseError) => e.kind === 'unauthenticated',
      );
    });
  });

  describe('retries, concurrency and cancellation', () => {
    it('retries 429 and 503 with backoff until success, counting each attempt', async () => {
      await env.admin('POST', 'fail', { count: 2, status: 429, pathPrefix: '/repo/v1/userProfile' });
      assert.equal((await alice.getUserProfile()).userName, 'alice');
      await env.admin('POST', 'fail', { count: 1, status: 503, pathPrefix: '/repo/v1/userProfile' });
      assert.equal((await alice.getUserProfile()).userName, 'alice');
      const attempts = (await stats()).requests.filter((r) => r.path.startsWith('/repo/v1/userProfile'));
      assert.deepEqual(
        attempts.map((r) => r.status),
        [429, 429, 200, 503, 200],
      );
    });

    it('gives up after the bounded number of retries', async () => {
      await env.admin('POST', 'fail', { count: 50, status: 502, pathPrefix: '/repo/v1/userProfile' });
      await assert.rejects(alice.getUserProfile(), (e: SynapseError) => e.kind === 'server');
      assert.equal((await stats()).requests.length, FAST_RETRY.maxRetries + 1);
    });

    it('never retries 403 or 404', async () => {
      await assert.rejects(alice.getEntity('syn9999999'), (e: SynapseError) => e.kind === 'notFound');
      await env.admin('POST', 'fail', { count: 5, status: 403, pathPrefix: '/repo/v1/userProfile' });
      await assert.rejects(alice.getUserProfile(), (e: SynapseError) => e.kind === 'forbidden');
      const requests = (await stats()).requests;
      assert.equal(requests.filter((r) => r.status === 403).length, 1);
      assert.equal(requests.filter((r) => r.status === 404).length, 1);
    });

    it('retries a dropped connection', async () => {
      await env.admin('POST', 'drop', { count: 1, pathPrefix: '/repo/v1/userProfile' });
      assert.equal((await alice.getUserProfile()).userName, 'alice');
    });

    it('keeps at most 3 requests in flight per user, even across client objects, under the server throttle', async () => {
      await env.admin('POST', 'latency', { ms: 40 });
      await env.admin('POST', 'throttle', { enabled: true });
      const second = new SynapseClient({ endpoint: env.url, token: env.token('alice'), retry: { ...FAST_RETRY, maxRetries: 0 } });
      const calls = Array.from({ length: 12 }, (_, i) => (i % 2 ? alice : second).getEntity('syn1000101'));
      const results = await Promise.all(calls);
      assert.equal(results.length, 12);
      const snapshot = await stats();
      assert.equal(snapshot.maxConcurrentByUser['3400001'], 3);
      assert.ok(
        snapshot.requests.every((r) => r.status === 200),
        'the throttle never refused a request',
      );
    });

    it('cancels a request in flight and one waiting for a slot through its AbortSignal', async () => {
      await env.admin('POST', 'latency', { ms: 2000 });
      const controller = new AbortController();
      const started = Date.now();
      const pending = Array.from({ length: 4 }, () => alice.getUserProfile(controller.signal));
      setTimeout(() => controller.abort(), 50);
      const outcomes = await Promise.allSettled(pending);
      assert.ok(Date.now() - started < 1000, 'cancellation did not wait for the server');
      for (const outcome of outcomes) {
        assert.equal(outcome.status, 'rejected');
        assert.equal((outcome as PromiseRejectedResult).reason.kind, 'aborted');
      }
    });
  });

  describe('token verification before sign-in', () => {
    const options = () => ({ endpoint: env.url, retry: FAST_RETRY });

    it('accepts a valid token and reports what its scopes do not allow', async () => {
      const verified = await verifyToken(env.token('alice'), options());
      assert.equal(verified.profile.userName, 'alice');
      assert.deepEqual(verified.limitations, []);
      const pullOnly = await env.admin<{ token: string }>('POST', 'tokens', { userName: 'bob', scopes: ['view', 'download'] });
      const limited = await verifyToken(pullOnly.token, options());
      assert.deepEqual(
        limited.limitations.map((l) => l.action),
        ['push'],
      );
      assert.match(limited.limitations[0].message, /lacks the modify scope/);
    });

    it('refuses a token without view before asking the server, a revoked/unknown token, and non-tokens', async () => {
      const noView = await env.admin<{ token: string }>('POST', 'tokens', { userName: 'bob', scopes: ['download'] });
      await env.admin('POST', 'stats/reset');
      await assert.rejects(
        verifyToken(noView.token, options()),
        (e: Error) => e instanceof SignInError && /lacks the view scope/.test(e.message),
      );
      assert.equal((await stats()).requests.length, 0, 'no request for a token that cannot work');
      const [h, p] = env.token('alice').split('.');
      await assert.rejects(
        verifyToken(`${h}.${p}.AAAA`, options()),
        (e: Error) => e instanceof SignInError && /refused this token/.test(e.message),
      );
      await assert.rejects(
        verifyToken('hunter2', options()),
        (e: Error) => e instanceof SignInError && /not a Synapse personal access token/.test(e.message),
      );
      await assert.rejects(verifyToken('  ', options()), /empty/);
    });
  });
});
