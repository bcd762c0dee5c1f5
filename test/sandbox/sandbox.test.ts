// The Synapse sandbox's /repo/v1 API, against a real in-process server with the default seed.
import * as assert from 'node:assert/strict';
import { RunningSandbox } from './server';
import { SandboxResponse, adminCall, sandboxRequest } from './server/client';
import { TEST_REGISTRY, useTestSandbox } from '../unit/helpers/inProcessSandbox';

const REGISTRY = TEST_REGISTRY;
const ISO_MS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const ERROR_TYPE = 'org.sagebionetworks.repo.model.ErrorResponse';
const DOCKER_CLASS = 'org.sagebionetworks.repo.model.docker.DockerRepository';
const MAIN = 'syn1000001';

describe('Synapse sandbox: /repo/v1', function () {
  let sandbox: RunningSandbox;
  const tokens: Record<string, string> = {};

  const get = (path: string, user?: string): Promise<SandboxResponse> =>
    sandboxRequest(sandbox.url, 'GET', `/repo/v1${path}`, { token: user ? tokens[user] : undefined });
  const children = (body: unknown, user?: string): Promise<SandboxResponse> =>
    sandboxRequest(sandbox.url, 'POST', '/repo/v1/entity/children', { token: user ? tokens[user] : undefined, body });

  function assertError(response: SandboxResponse, status: number, reason?: string | RegExp): void {
    assert.equal(response.status, status, response.text);
    assert.equal(response.json.concreteType, ERROR_TYPE);
    if (typeof reason === 'string') assert.equal(response.json.reason, reason);
    else if (reason) assert.match(response.json.reason, reason);
  }

  /** Follows nextPageToken to the end, returning every page. */
  async function allProjectPages(
    user: string,
    query = '',
  ): Promise<Array<{ results: Array<Record<string, unknown>>; nextPageToken?: string }>> {
    const pages = [];
    let token: string | undefined;
    do {
      const separator = query ? '&' : '';
      const response = await get(`/projects?${query}${token ? `${separator}nextPageToken=${token}` : ''}`, user);
      assert.equal(response.status, 200, response.text);
      pages.push(response.json);
      token = response.json.nextPageToken;
    } while (token);
    return pages;
  }

  // One sandbox for the suite, reset to the seed before each test.
  const testSandbox = useTestSandbox();
  beforeEach(function () {
    sandbox = testSandbox().sandbox;
    for (const user of sandbox.users()) tokens[user.userName] = user.token;
  });

  describe('GET /userProfile', function () {
    it('returns the profile of the PAT owner', async function () {
      const response = await get('/userProfile', 'alice');
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
      const profile = response.json;
      assert.equal(profile.ownerId, '3400001');
      assert.equal(profile.userName, 'alice');
      assert.equal(profile.firstName, 'Alice');
      assert.equal(profile.lastName, 'Anderson');
      assert.deepEqual(profile.emails, ['alice@example.org']);
      assert.match(profile.createdOn, ISO_MS);
      assert.equal(typeof profile.etag, 'string');
    });

    it('answers the anonymous profile without a token', async function () {
      const response = await get('/userProfile');
      assert.equal(response.status, 200);
      assert.equal(response.json.ownerId, '273950');
      assert.equal(response.json.userName, 'anonymous');
    });

    it('rejects unknown and malformed Bearer tokens with 401 and the Synapse challenge', async function () {
      for (const authorization of ['Bearer not-a-token', 'Bearer a.b.c']) {
        const response = await sandboxRequest(sandbox.url, 'GET', '/repo/v1/userProfile', { headers: { Authorization: authorization } });
        assert.equal(response.status, 401);
        assert.equal(response.headers.get('www-authenticate'), 'Bearer realm="Synapse Repository Services"');
        assert.deepEqual(response.json, { concreteType: ERROR_TYPE, reason: 'Invalid access token' });
      }
    });

    it('rejects a PAT whose payload was edited (the signature no longer verifies)', async function () {
      const [header, payload, signature] = tokens.erin.split('.');
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
      assert.deepEqual(claims.access.scope, ['view', 'download']);
      claims.access.scope.push('modify');
      const forged = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
      const response = await sandboxRequest(sandbox.url, 'GET', '/repo/v1/userProfile', { token: forged });
      assert.equal(response.status, 401);
    });

    it('issues PATs shaped like Synapse PATs', async function () {
      const claims = JSON.parse(Buffer.from(tokens.alice.split('.')[1], 'base64url').toString());
      assert.equal(claims.sub, '3400001');
      assert.equal(claims.aud, '0');
      assert.equal(claims.token_type, 'PERSONAL_ACCESS_TOKEN');
      assert.deepEqual(claims.access, { scope: ['view', 'download', 'modify'], oidc_claims: {} });
      assert.equal(typeof claims.iss, 'string');
      assert.equal(typeof claims.jti, 'string');
      assert.equal(claims.nbf, claims.iat);
      assert.equal('exp' in claims, false);
    });
  });

  describe('OAuth scopes', function () {
    it('answers 403 insufficient_scope when the PAT lacks view', async function () {
      const { token } = await adminCall(sandbox.url, 'POST', 'tokens', { userName: 'alice', scopes: ['download', 'modify'] });
      for (const path of ['/userProfile', `/entity/${MAIN}`, '/projects']) {
        const response = await sandboxRequest(sandbox.url, 'GET', `/repo/v1${path}`, { token });
        assert.equal(response.status, 403);
        assert.equal(response.json.error, 'insufficient_scope');
        assert.equal(response.json.error_description, 'Request lacks scope(s) required by this service: view');
        assert.match(response.json.reason, /Request lacks scope\(s\) required by this service: view$/);
      }
      const post = await sandboxRequest(sandbox.url, 'POST', '/repo/v1/entity/children', {
        token,
        body: { parentId: MAIN, includeTypes: ['dockerrepo'] },
      });
      assert.equal(post.status, 403);
      assert.equal(post.json.error, 'insufficient_scope');
    });

    it('accepts a view-only PAT for reads', async function () {
      const { token } = await adminCall(sandbox.url, 'POST', 'tokens', { userName: 'dave', scopes: ['view'] });
      const response = await sandboxRequest(sandbox.url, 'GET', '/repo/v1/userProfile', { token });
      assert.equal(response.status, 200);
      assert.equal(response.json.userName, 'dave');
    });
  });

  describe('certification', function () {
    it('GET /user/bundle?mask=8 gives userId and isCertified only', async function () {
      assert.deepEqual((await get('/user/bundle?mask=8', 'alice')).json, { userId: '3400001', isCertified: true });
      assert.deepEqual((await get('/user/bundle?mask=8', 'carol')).json, { userId: '3400003', isCertified: false });
      assert.deepEqual((await get('/user/bundle?mask=8')).json, { userId: '273950', isCertified: false });
    });

    it('GET /user/bundle honours the profile bit and requires mask', async function () {
      const bundle = (await get('/user/bundle?mask=9', 'bob')).json;
      assert.equal(bundle.userProfile.userName, 'bob');
      assert.equal(bundle.isCertified, true);
      assert.equal('isCertified' in (await get('/user/bundle?mask=1', 'bob')).json, false);
      assertError(await get('/user/bundle', 'bob'), 400, /mask/);
      assertError(await get('/user/bundle?mask=x', 'bob'), 400);
    });

    it('GET /user/{id}/certifiedUserPassingRecord: a record for certified users, 404 otherwise', async function () {
      const record = await get('/user/3400001/certifiedUserPassingRecord', 'bob');
      assert.equal(record.status, 200);
      assert.equal(record.json.userId, '3400001');
      assert.equal(record.json.passed, true);
      assert.match(record.json.passedOn, ISO_MS);
      assertError(await get('/user/3400003/certifiedUserPassingRecord', 'alice'), 404);
      assertError(await get('/user/9999999/certifiedUserPassingRecord', 'alice'), 404);
    });
  });

  describe('GET /projects', function () {
    it('pages 50 at a time with "50a50" tokens to the end', async function () {
      const pages = await allProjectPages('alice');
      assert.equal(pages.length, 2);
      assert.equal(pages[0].results.length, 50);
      assert.equal(pages[0].nextPageToken, '50a50');
      assert.equal(pages[1].results.length, 7);
      assert.equal(pages[1].nextPageToken, undefined);
      const ids = pages.flatMap((page) => page.results.map((project) => project.id));
      assert.equal(new Set(ids).size, 57);
      assert.ok(ids.includes(MAIN) && ids.includes('syn1000004') && ids.includes('syn1001055'));
      // Not listed: trashed (syn1000002), public-only (syn1000003), not shared (syn1000005).
      for (const hidden of ['syn1000002', 'syn1000003', 'syn1000005']) assert.ok(!ids.includes(hidden), hidden);
    });

    it('returns ProjectHeaders sorted by last activity, newest first, by default', async function () {
      const [first] = await allProjectPages('alice');
      const header = first.results[0];
      assert.deepEqual(Object.keys(header).sort(), ['id', 'lastActivity', 'modifiedBy', 'modifiedOn', 'name']);
      assert.equal(header.id, MAIN);
      assert.equal(header.modifiedBy, 3400001);
      assert.match(String(header.lastActivity), ISO_MS);
      assert.deepEqual(
        first.results.slice(0, 3).map((p) => p.name),
        ['Alice Main Project', 'Aligners Team Project', 'Alice Lab 55'],
      );
      const activity = first.results.map((p) => String(p.lastActivity));
      assert.deepEqual(activity, [...activity].sort().reverse());
    });

    it('sorts by name and direction', async function () {
      const ascending = (await allProjectPages('alice', 'sort=PROJECT_NAME&sortDirection=ASC')).flatMap((p) =>
        p.results.map((r) => String(r.name)),
      );
      assert.deepEqual(
        ascending,
        [...ascending].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase())),
      );
      assert.equal(ascending[0], 'Alice Lab 01');
      const oldest = (await get('/projects?sortDirection=ASC', 'alice')).json.results[0];
      assert.equal(oldest.name, 'Alice Lab 01');
    });

    it('filters CREATED, PARTICIPATED and TEAM', async function () {
      const ids = async (user: string, query: string): Promise<string[]> =>
        (await allProjectPages(user, query)).flatMap((p) => p.results.map((r) => String(r.id)));
      assert.equal((await ids('alice', 'filter=CREATED')).length, 56);
      assert.deepEqual(await ids('alice', 'filter=PARTICIPATED'), ['syn1000004']);
      assert.deepEqual(await ids('alice', 'filter=TEAM'), ['syn1000004']);
      assert.deepEqual(await ids('alice', 'filter=TEAM&teamId=3500001'), ['syn1000004']);
      assert.deepEqual(await ids('bob', ''), [MAIN, 'syn1000004']);
      assert.deepEqual(await ids('dave', ''), [MAIN, 'syn1000004', 'syn1000003']);
      assert.deepEqual(await ids('frank', ''), []);
      assert.deepEqual(await ids('carol', 'filter=CREATED'), ['syn1000005']);
    });

    it('lists nothing for the anonymous user', async function () {
      assert.deepEqual((await get('/projects')).json, { results: [] });
    });

    it('validates filter, teamId, sort, direction and the page token', async function () {
      assertError(await get('/projects?teamId=3500001', 'alice'), 400, "Cannot specify 'teamId' when filter is not TEAM.");
      assertError(await get('/projects?filter=TEAM&teamId=3500001', 'bob'), 400, 'User 3400002 is not a member of team 3500001');
      assertError(await get('/projects?filter=MINE', 'alice'), 400, /ProjectListType\.MINE/);
      assertError(await get('/projects?filter=all', 'alice'), 400);
      assertError(await get('/projects?sort=NAME', 'alice'), 400);
      assertError(await get('/projects?sortDirection=DOWN', 'alice'), 400);
      assertError(await get('/projects?nextPageToken=51a0', 'alice'), 400, 'Limit must not exceed: 50');
      assertError(await get('/projects?nextPageToken=garbage', 'alice'), 400);
    });

    it('honours a smaller limit in a crafted token', async function () {
      const response = await get('/projects?nextPageToken=5a10', 'alice');
      assert.equal(response.json.results.length, 5);
      assert.equal(response.json.nextPageToken, '5a15');
    });
  });

  describe('POST /entity/children', function () {
    it('lists the docker repositories of a project as EntityHeaders, by name', async function () {
      const response = await children({ parentId: MAIN, includeTypes: ['dockerrepo'] }, 'alice');
      assert.equal(response.status, 200);
      const page = response.json.page;
      // The external repository has its own name; managed ones are named by id. The trashed one is left out.
      assert.deepEqual(
        page.map((h: { id: string }) => h.id),
        ['syn1000103', 'syn1000101', 'syn1000102', 'syn1000106', 'syn1000108'],
      );
      const header = page[1];
      assert.equal(header.name, 'syn1000101');
      assert.equal(header.type, DOCKER_CLASS);
      assert.equal(header.benefactorId, 1000001);
      assert.equal(header.createdBy, '3400001');
      assert.match(header.createdOn, ISO_MS);
      assert.match(header.modifiedOn, ISO_MS);
      assert.equal(page[3].benefactorId, 1000106, 'local sharing settings make the repository its own benefactor');
      assert.equal(response.json.nextPageToken, undefined);
      assert.equal('totalChildCount' in response.json, false);
    });

    it('filters by type, sorts by creation and counts when asked', async function () {
      const folders = await children({ parentId: MAIN, includeTypes: ['folder'], includeTotalChildCount: true }, 'alice');
      assert.deepEqual(
        folders.json.page.map((h: { id: string; type: string }) => [h.id, h.type]),
        [['syn1000104', 'org.sagebionetworks.repo.model.Folder']],
      );
      assert.equal(folders.json.totalChildCount, 1);
      const newest = await children(
        { parentId: MAIN, includeTypes: ['dockerrepo', 'folder'], sortBy: 'CREATED_ON', sortDirection: 'DESC' },
        'alice',
      );
      const created = newest.json.page.map((h: { createdOn: string }) => h.createdOn);
      assert.deepEqual(created, [...created].sort().reverse());
      assert.equal(newest.json.page[0].id, 'syn1000108');
    });

    it('pages with nextPageToken', async function () {
      const seen: string[] = [];
      let token: string | undefined = '2a0';
      while (token) {
        const response = await children({ parentId: MAIN, includeTypes: ['dockerrepo'], nextPageToken: token }, 'alice');
        assert.ok(response.json.page.length <= 2);
        seen.push(...response.json.page.map((h: { id: string }) => h.id));
        token = response.json.nextPageToken;
      }
      assert.equal(seen.length, 5);
      assertError(
        await children({ parentId: MAIN, includeTypes: ['dockerrepo'], nextPageToken: '100a0' }, 'alice'),
        400,
        'Limit must not exceed: 50',
      );
    });

    it('leaves out children the caller cannot read', async function () {
      const ids = (await children({ parentId: MAIN, includeTypes: ['dockerrepo'] }, 'dave')).json.page.map((h: { id: string }) => h.id);
      assert.ok(!ids.includes('syn1000106'));
      assert.equal(ids.length, 4);
    });

    it('lists readable projects, public ones included, when parentId is null', async function () {
      const ids: string[] = [];
      let token: string | undefined;
      do {
        const response = await children({ parentId: null, nextPageToken: token }, 'alice');
        ids.push(...response.json.page.map((h: { id: string }) => h.id));
        token = response.json.nextPageToken;
      } while (token);
      assert.equal(ids.length, 59);
      assert.ok(ids.includes('syn1000003'));
      assert.ok(ids.includes('syn1000007'), 'the challenge project: signed-in users may READ it');
      assert.ok(!ids.includes('syn1000002') && !ids.includes('syn1000005'));
    });

    it('requires includeTypes, valid enums and READ on the parent', async function () {
      assertError(await children({ parentId: MAIN }, 'alice'), 400, 'EntityChildrenRequest.includeTypes is required.');
      assertError(
        await children({ parentId: MAIN, includeTypes: [] }, 'alice'),
        400,
        'EntityChildrenRequest.includeTypes must include at least one type',
      );
      assertError(await children({ parentId: MAIN, includeTypes: ['docker'] }, 'alice'), 400, /EntityType\.docker/);
      assertError(await children({ parentId: MAIN, includeTypes: ['dockerrepo'], sortBy: 'SIZE' }, 'alice'), 400);
      assertError(await children('{not json', 'alice'), 400);
      assertError(
        await children({ parentId: MAIN, includeTypes: ['dockerrepo'] }, 'frank'),
        403,
        'You lack READ access to the requested entity.',
      );
      assertError(await children({ parentId: MAIN, includeTypes: ['dockerrepo'] }), 403, 'You lack READ access to the requested entity.');
      assertError(
        await children({ parentId: 'syn1000002', includeTypes: ['dockerrepo'] }, 'alice'),
        404,
        'Entity syn1000002 is in trash can.',
      );
      assertError(await children({ parentId: 'syn99', includeTypes: ['dockerrepo'] }, 'alice'), 404);
    });
  });

  describe('GET /entity/{id}', function () {
    it('returns a managed DockerRepository named by its id', async function () {
      const repo = (await get('/entity/syn1000101', 'bob')).json;
      assert.equal(repo.id, 'syn1000101');
      assert.equal(repo.name, 'syn1000101');
      assert.equal(repo.repositoryName, `${REGISTRY}/syn1000001/aligner`);
      assert.equal(repo.isManaged, true);
      assert.equal(repo.concreteType, DOCKER_CLASS);
      assert.equal(repo.parentId, MAIN);
      assert.equal(repo.createdBy, '3400001');
      assert.equal(repo.modifiedBy, '3400001');
      assert.match(repo.createdOn, ISO_MS);
      assert.match(repo.modifiedOn, ISO_MS);
      assert.equal(typeof repo.etag, 'string');
      assert.equal('versionNumber' in repo, false);
    });

    it('returns external repositories, projects and folders', async function () {
      const external = (await get('/entity/syn1000103', 'alice')).json;
      assert.equal(external.isManaged, false);
      assert.equal(external.name, 'BLAST (BioContainers)');
      assert.equal(external.repositoryName, 'quay.io/biocontainers/blast');
      const project = (await get(`/entity/${MAIN}`, 'alice')).json;
      assert.equal(project.concreteType, 'org.sagebionetworks.repo.model.Project');
      assert.equal(project.parentId, 'syn4489');
      assert.equal(project.name, 'Alice Main Project');
      const folder = (await get('/entity/syn1000105', 'bob')).json;
      assert.equal(folder.concreteType, 'org.sagebionetworks.repo.model.Folder');
      assert.equal(folder.parentId, 'syn1000104');
      assert.equal((await get('/entity/SYN1000101', 'alice')).json.id, 'syn1000101', 'ids are case-insensitive');
    });

    it('enforces READ, existence and the trash can', async function () {
      assertError(await get(`/entity/${MAIN}`, 'frank'), 403, 'You lack READ access to the requested entity.');
      assertError(await get('/entity/syn1000106', 'dave'), 403, 'You lack READ access to the requested entity.');
      assertError(await get(`/entity/${MAIN}`), 403);
      assertError(await get('/entity/syn1000107', 'alice'), 404, 'Entity syn1000107 is in trash can.');
      assertError(await get('/entity/syn1000201', 'alice'), 404, 'Entity syn1000201 is in trash can.');
      assertError(await get('/entity/syn42', 'alice'), 404, "Resource: 'syn42' does not exist");
      assertError(await get('/entity/not-an-id', 'alice'), 400);
      assert.equal((await get('/entity/syn1000301')).status, 200, 'anonymous users read public entities');
    });
  });

  describe('GET /entity/dockerRepo/id', function () {
    it('finds a managed repository by its full name', async function () {
      const name = encodeURIComponent(`${REGISTRY}/syn1000001/aligner`);
      assert.deepEqual((await get(`/entity/dockerRepo/id?repositoryName=${name}`, 'bob')).json, { id: 'syn1000101' });
      const nested = encodeURIComponent(`${REGISTRY}/syn1000001/tools/samtools`);
      assert.deepEqual((await get(`/entity/dockerRepo/id?repositoryName=${nested}`, 'bob')).json, { id: 'syn1000108' });
    });

    it('answers 404 for unknown or external names, 403 without READ, 400 when blank', async function () {
      const unknown = `${REGISTRY}/syn1000001/nope`;
      assertError(
        await get(`/entity/dockerRepo/id?repositoryName=${encodeURIComponent(unknown)}`, 'alice'),
        404,
        `A repository named ${unknown} does not exist or it is not a managed repository.`,
      );
      assertError(await get(`/entity/dockerRepo/id?repositoryName=${encodeURIComponent('quay.io/biocontainers/blast')}`, 'alice'), 404);
      assertError(
        await get(`/entity/dockerRepo/id?repositoryName=${encodeURIComponent(`${REGISTRY}/syn1000001/restricted-tool`)}`, 'dave'),
        403,
      );
      assertError(await get('/entity/dockerRepo/id?repositoryName=%20', 'alice'), 400);
      assertError(await get('/entity/dockerRepo/id', 'alice'), 400);
    });
  });

  describe('GET /entity/{id}/dockerTag', function () {
    it('pages 10 newest-first by default with an estimated total', async function () {
      const seen: string[] = [];
      const expectations: Array<[number, number, number]> = [
        [0, 10, 11],
        [10, 10, 21],
        [20, 10, 31],
        [30, 0, 30],
      ];
      for (const [offset, size, total] of expectations) {
        const response = await get(`/entity/syn1000102/dockerTag?offset=${offset}`, 'bob');
        assert.equal(response.status, 200);
        assert.equal(response.json.results.length, size, `offset ${offset}`);
        assert.equal(response.json.totalNumberOfResults, total, `offset ${offset}`);
        seen.push(...response.json.results.map((c: { tag: string }) => c.tag));
      }
      assert.equal(new Set(seen).size, 30);
      assert.equal(seen[0], 'build-30');
      const partial = (await get('/entity/syn1000102/dockerTag?limit=7&offset=28', 'bob')).json;
      assert.equal(partial.results.length, 2);
      assert.equal(partial.totalNumberOfResults, 30);
    });

    it('sorts by tag and direction', async function () {
      const ascending = (await get('/entity/syn1000102/dockerTag?sort=TAG&ascending=true&limit=3', 'bob')).json.results;
      assert.deepEqual(
        ascending.map((c: { tag: string }) => c.tag),
        ['build-01', 'build-02', 'build-03'],
      );
      const oldest = (await get('/entity/syn1000102/dockerTag?sort=CREATED_ON&ascending=true&limit=1', 'bob')).json.results[0];
      assert.equal(oldest.tag, 'build-01');
      assert.match(oldest.createdOn, ISO_MS);
      assert.match(oldest.digest, /^sha256:[0-9a-f]{64}$/);
    });

    it('shows only the newest commit of a re-pushed tag', async function () {
      const commits = (await get('/entity/syn1000101/dockerTag', 'alice')).json.results;
      assert.deepEqual(
        commits.map((c: { tag: string }) => c.tag),
        ['latest', 'v2.0', 'v1.1', 'v1.0'],
      );
    });

    it('rejects bad sorts, non-repositories and callers without READ', async function () {
      assertError(await get('/entity/syn1000102/dockerTag?sort=NAME', 'alice'), 400);
      assertError(await get('/entity/syn1000102/dockerTag?sort=created_on', 'alice'), 400);
      assertError(await get('/entity/syn1000102/dockerTag?limit=ten', 'alice'), 400);
      assertError(await get(`/entity/${MAIN}/dockerTag`, 'alice'), 400, 'Only Docker reposiory entities have commits.');
      assertError(await get('/entity/syn1000106/dockerTag', 'dave'), 403);
      assertError(await get('/entity/syn1000107/dockerTag', 'alice'), 404, 'Entity syn1000107 is in trash can.');
    });
  });

  describe('GET /entity/{id}/permissions', function () {
    const permissions = async (id: string, user?: string): Promise<Record<string, unknown>> => {
      const response = await get(`/entity/${id}/permissions`, user);
      assert.equal(response.status, 200, response.text);
      return response.json;
    };

    it('gives an administrator everything on her project', async function () {
      const p = await permissions(MAIN, 'alice');
      for (const field of [
        'canView',
        'canEdit',
        'canCertifiedUserEdit',
        'canAddChild',
        'canCertifiedUserAddChild',
        'canDownload',
        'canUpload',
        'canDelete',
        'canChangePermissions',
        'canChangeSettings',
        'canMove',
        'canModerate',
        'isCertifiedUser',
        'isCertificationRequired',
      ]) {
        assert.equal(p[field], true, field);
      }
      assert.equal(p.canPublicRead, false);
      assert.equal(p.canEnableInheritance, false, 'a project cannot drop its ACL');
      assert.equal(p.ownerPrincipalId, 3400001);
    });

    it('needs certification to add children or edit non-projects', async function () {
      const project = await permissions(MAIN, 'carol');
      assert.equal(project.isCertifiedUser, false);
      assert.equal(project.canEdit, true, 'editing a project needs no certification');
      assert.equal(project.canAddChild, false);
      assert.equal(project.canCertifiedUserAddChild, true);
      const repo = await permissions('syn1000101', 'carol');
      assert.equal(repo.canEdit, false);
      assert.equal(repo.canCertifiedUserEdit, true);
      assert.equal(repo.canDownload, true);
    });

    it('uses local sharing settings over the inherited ACL (benefactor rule)', async function () {
      const inherited = await permissions('syn1000101', 'bob');
      assert.equal(inherited.canView, true);
      assert.equal(inherited.canDownload, true);
      assert.equal(inherited.canEdit, false);
      const local = await permissions('syn1000106', 'bob');
      assert.equal(local.canView, true);
      assert.equal(local.canDownload, false);
      const erin = await permissions('syn1000106', 'erin');
      assert.equal(erin.canEdit, true);
      assert.equal(erin.canAddChild, false);
      assert.equal(erin.canEnableInheritance, false);
      assert.equal((await permissions('syn1000106', 'alice')).canEnableInheritance, true);
      assert.equal((await permissions('syn1000106', 'dave')).canView, false);
      assert.equal((await permissions('syn1000105', 'bob')).canView, true, 'a nested folder inherits from the project');
    });

    it('reflects READ-only, public and anonymous access', async function () {
      const dave = await permissions(MAIN, 'dave');
      assert.deepEqual([dave.canView, dave.canDownload, dave.canAddChild, dave.canEdit], [true, false, false, false]);
      const alice = await permissions('syn1000301', 'alice');
      assert.deepEqual([alice.canView, alice.canDownload, alice.canEdit, alice.canPublicRead], [true, true, false, true]);
      const anonymous = await permissions('syn1000301');
      assert.deepEqual(
        [anonymous.canView, anonymous.canDownload, anonymous.canUpload, anonymous.isCertifiedUser],
        [true, false, false, false],
      );
    });

    it('grants nothing in the trash, nor on an entity that does not exist (200, not 404)', async function () {
      const trashed = await permissions('syn1000107', 'alice');
      assert.deepEqual([trashed.canView, trashed.canEdit, trashed.canDownload, trashed.canCertifiedUserEdit], [false, false, false, false]);
      // EntityAuthorizationUtils answers a missing id with every decision denied (this test used to expect a 404).
      const missing = await get('/entity/syn77/permissions', 'alice');
      assert.equal(missing.status, 200);
      assert.deepEqual(
        [missing.json.canView, missing.json.canDownload, missing.json.canEdit, missing.json.canUpload, missing.json.isCertifiedUser],
        [false, false, false, true, true],
      );
      assert.equal('ownerPrincipalId' in missing.json, false);
    });
  });

  describe('errors', function () {
    it('answers unknown URLs with a 404 ErrorResponse and wrong methods with 405', async function () {
      assertError(await get('/nothing/here', 'alice'), 404);
      assertError(await sandboxRequest(sandbox.url, 'GET', '/unknown'), 404);
      assertError(await sandboxRequest(sandbox.url, 'DELETE', '/repo/v1/userProfile', { token: tokens.alice }), 405);
    });
  });
});
