// Synapse's real rules, as the sandbox plays them (synapse-api.md §1.5, §2, §3.4, §3.7; facts from the
// server source): each rule a user of the extension would run into, asserted against the running sandbox.
import * as assert from 'node:assert/strict';
import { RunningSandbox, SeedData, loadSeed, startSandbox } from './server';
import { SandboxResponse, adminCall, sandboxRequest } from './server/client';

const REGISTRY = '127.0.0.1:5124';
const LISTENER = { user: 'registry', password: 'rules-listener-secret' };
const ERROR_TYPE = 'org.sagebionetworks.repo.model.ErrorResponse';
const TERMS = 'Terms of use have not been signed.';

function claims(token: string): { access: Array<{ name: string; actions: string[] }> } {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));
}

describe('Synapse rules the sandbox follows', function () {
  let sandbox: RunningSandbox;
  const tokens: Record<string, string> = {};

  before(async () => {
    sandbox = await startSandbox({ seed: loadSeed(), registryHost: REGISTRY, listenerCredentials: LISTENER });
    for (const user of sandbox.users()) tokens[user.userName] = user.token;
  });
  after(() => sandbox?.close());
  beforeEach(() => adminCall(sandbox.url, 'POST', 'reset'));

  const repo = (
    path: string,
    user?: string,
    options: { headers?: Record<string, string>; method?: string; body?: unknown } = {},
  ): Promise<SandboxResponse> =>
    sandboxRequest(sandbox.url, options.method ?? 'GET', `/repo/v1${path}`, {
      token: user ? tokens[user] : undefined,
      headers: options.headers,
      body: options.body,
    });
  const bearerToken = (password: string, scope: string): Promise<SandboxResponse> =>
    sandboxRequest(
      sandbox.url,
      'GET',
      `/docker/v1/bearerToken?service=${encodeURIComponent(REGISTRY)}&scope=${encodeURIComponent(scope)}`,
      { basic: { user: 'x', password } },
    );
  const granted = async (password: string, path: string, actions = 'pull,push'): Promise<string[]> => {
    const answer = await bearerToken(password, `repository:${path}:${actions}`);
    assert.equal(answer.status, 200, answer.text);
    return claims(answer.json.token).access[0].actions;
  };
  const notify = (events: unknown[]) =>
    sandboxRequest(sandbox.url, 'POST', '/dockerRegistryListener/v1/events', { basic: LISTENER, body: { events } });
  const pushEvent = (repository: string, tag: string, digest: string) => ({
    id: `e-${tag}-${digest.slice(-4)}`,
    timestamp: new Date().toISOString(),
    action: 'push',
    target: {
      mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
      size: 1,
      digest,
      length: 1,
      repository,
      url: 'http://x.invalid',
      tag,
    },
    request: { id: 'r', addr: '127.0.0.1', host: REGISTRY, method: 'PUT', useragent: 'docker' },
    actor: { name: '3400001' },
    source: { addr: '127.0.0.1', instanceID: 'i' },
  });

  it('a revoked PAT at /docker/v1/bearerToken is a 500 (the same PAT at /repo/v1 is a 401)', async () => {
    const { token } = await adminCall(sandbox.url, 'POST', 'tokens', { userName: 'bob' });
    await adminCall(sandbox.url, 'POST', 'revoke', { token });
    const docker = await bearerToken(token, 'repository:syn1000001/aligner:pull');
    assert.deepEqual(
      [docker.status, docker.json],
      [500, { concreteType: ERROR_TYPE, reason: 'The provided personal access token has expired or has been revoked.' }],
    );
    assert.equal((await sandboxRequest(sandbox.url, 'GET', '/repo/v1/userProfile', { token })).status, 401);
    assert.equal(
      (await bearerToken('not-a-token', 'repository:syn1000001/aligner:pull')).status,
      401,
      'a token Synapse never issued is still 401',
    );
  });

  it('a push to an existing repository gets push without pull for a view+modify token; the registry needs both', async () => {
    const { token: viewModify } = await adminCall(sandbox.url, 'POST', 'tokens', { userName: 'alice', scopes: ['view', 'modify'] });
    assert.deepEqual(await granted(viewModify, 'syn1000001/aligner'), ['push'], 'existing: no pull without download');
    assert.deepEqual(await granted(viewModify, 'syn1000001/brand-new'), ['pull', 'push'], 'new: pull comes with the creation');
    assert.deepEqual(await granted(tokens.alice, 'syn1000001/aligner'), ['pull', 'push']);
    // erin has UPDATE on restricted-tool; bob only READ: no DOWNLOAD, no pull.
    assert.deepEqual(await granted(tokens.bob, 'syn1000001/restricted-tool'), []);
  });

  it('access requirements and 2FA refuse DOWNLOAD, and say so in restrictionInformation', async () => {
    const permissions = await repo('/entity/syn1000601/permissions', 'heidi');
    assert.deepEqual([permissions.json.canView, permissions.json.canDownload, permissions.json.canEdit], [true, false, true]);
    assert.deepEqual(await granted(tokens.heidi, 'syn1000006/controlled-tool', 'pull'), []);
    assert.deepEqual(await granted(tokens.heidi, 'syn1000006/two-factor-tool', 'pull'), []);
    const unmet = await repo('/restrictionInformation', 'heidi', {
      method: 'POST',
      body: { restrictableObjectType: 'ENTITY', objectId: 'syn1000601' },
    });
    assert.equal(unmet.status, 200);
    assert.deepEqual(
      [unmet.json.hasUnmetAccessRequirement, unmet.json.restrictionLevel, unmet.json.restrictionDetails],
      [true, 'CONTROLLED_BY_ACT', [{ accessRequirementId: 9600001, isApproved: false, isMet: false, isExempt: false }]],
    );
    const twoFa = await repo('/restrictionInformation', 'heidi', {
      method: 'POST',
      body: { restrictableObjectType: 'ENTITY', objectId: 'syn1000602' },
    });
    assert.deepEqual([twoFa.json.hasUnmetAccessRequirement, twoFa.json.userEntityPermissions.canDownload], [false, false]);
    const requirement = await repo('/accessRequirement/9600002', 'heidi');
    assert.deepEqual(
      [requirement.json.concreteType, requirement.json.isTwoFaRequired],
      ['org.sagebionetworks.repo.model.ManagedACTAccessRequirement', true],
    );
    const open = await repo('/restrictionInformation', 'alice', {
      method: 'POST',
      body: { restrictableObjectType: 'ENTITY', objectId: 'syn1000101' },
    });
    assert.deepEqual([open.json.restrictionLevel, open.json.hasUnmetAccessRequirement, open.json.restrictionDetails], ['OPEN', false, []]);
  });

  it('a registry notification is one transaction: all events or none', async () => {
    const good = pushEvent('syn1000001/tx-one', 'v1', `sha256:${'1'.repeat(64)}`);
    const bad = pushEvent('syn1000104/in-a-folder', 'v1', `sha256:${'2'.repeat(64)}`);
    assert.equal((await notify([good, bad])).status, 204);
    assert.equal(
      (await repo(`/entity/dockerRepo/id?repositoryName=${encodeURIComponent(`${REGISTRY}/syn1000001/tx-one`)}`, 'alice')).status,
      404,
      'rolled back',
    );
    const tagsBefore = (await repo('/entity/syn1000101/dockerTag?limit=50', 'alice')).json.results.length;
    assert.equal((await notify([pushEvent('syn1000001/aligner', 'rolled-back', `sha256:${'3'.repeat(64)}`), bad])).status, 204);
    assert.equal(
      (await repo('/entity/syn1000101/dockerTag?limit=50', 'alice')).json.results.length,
      tagsBefore,
      'the commit on an existing repository is rolled back too',
    );
  });

  it('tags and repository names compare case-insensitively', async () => {
    assert.equal((await notify([pushEvent('syn1000001/aligner', 'Release', `sha256:${'4'.repeat(64)}`)])).status, 204);
    assert.equal((await notify([pushEvent('syn1000001/aligner', 'release', `sha256:${'5'.repeat(64)}`)])).status, 204);
    const tags = (await repo('/entity/syn1000101/dockerTag?limit=50', 'alice')).json.results as Array<{ tag: string; digest: string }>;
    const releases = tags.filter((t) => t.tag.toLowerCase() === 'release').map((t) => ({ tag: t.tag, digest: t.digest }));
    assert.deepEqual(releases, [{ tag: 'release', digest: `sha256:${'5'.repeat(64)}` }], 'one listed tag, the newest commit');
    const found = await repo(`/entity/dockerRepo/id?repositoryName=${encodeURIComponent(`${REGISTRY}/SYN1000001/Aligner`)}`, 'alice');
    assert.deepEqual([found.status, found.json], [200, { id: 'syn1000101' }]);
  });

  it("a missing entity: Synapse's reason on GET, 200 with nothing allowed on permissions", async () => {
    const missing = await repo('/entity/syn424242', 'alice');
    assert.deepEqual([missing.status, missing.json], [404, { concreteType: ERROR_TYPE, reason: "Resource: 'syn424242' does not exist" }]);
    const permissions = await repo('/entity/syn424242/permissions', 'carol');
    assert.equal(permissions.status, 200);
    assert.deepEqual(
      [permissions.json.canView, permissions.json.canAddChild, permissions.json.canUpload, permissions.json.isCertifiedUser],
      [false, false, true, false],
    );
  });

  it('lastActivity is absent on a project nobody was active in, which sorts by its creation date', async () => {
    const carol = (await repo('/projects', 'carol')).json.results as Array<{ id: string; lastActivity?: string }>;
    assert.deepEqual(
      carol.map((p) => p.id),
      ['syn1000001', 'syn1000005'],
    );
    assert.equal('lastActivity' in carol[1], false);
    assert.equal(typeof carol[0].lastActivity, 'string');
  });

  it('an empty nextPageToken is the first page', async () => {
    const first = (await repo('/projects', 'alice')).json;
    const empty = (await repo('/projects?nextPageToken=', 'alice')).json;
    assert.deepEqual(empty, first);
    assert.equal(first.nextPageToken, '50a50');
    const children = await repo('/entity/children', 'alice', {
      method: 'POST',
      body: { parentId: 'syn1000001', includeTypes: ['dockerrepo'], nextPageToken: '' },
    });
    assert.equal(children.status, 200);
    assert.equal(children.json.page.length, 5);
  });

  it('trash moves the node and drops its ACLs: a restore does not bring them back', async () => {
    assert.equal((await repo('/entity/syn1000106/permissions', 'bob')).json.canDownload, false, 'its own ACL: bob may only read');
    await adminCall(sandbox.url, 'POST', 'trash', { id: 'syn1000106' });
    const listed = (
      await repo('/entity/children', 'alice', { method: 'POST', body: { parentId: 'syn1000001', includeTypes: ['dockerrepo'] } })
    ).json.page as Array<{ id: string }>;
    assert.ok(!listed.some((h) => h.id === 'syn1000106'), 'moved out of the project');
    await adminCall(sandbox.url, 'POST', 'restore', { id: 'syn1000106' });
    const restored = (await repo('/entity/syn1000106/permissions', 'bob')).json;
    assert.equal(restored.canDownload, true, "now inherits the project's ACL (bob READ+DOWNLOAD)");
    assert.equal(
      (await repo('/entity/syn1000106/permissions', 'dave')).json.canView,
      true,
      'dave was not in the local ACL; the project lets him read',
    );
    const state = await adminCall(sandbox.url, 'GET', 'state');
    const archived = state.projects.find((p: { id: string }) => p.id === 'syn1000002');
    assert.deepEqual([archived.inTrash, archived.access], [true, {}], 'the seeded trashed project lost its ACL');
  });

  it('CERTIFIED_USERS is principal 3', async () => {
    const seed: SeedData = {
      users: [
        { userName: 'ann', ownerId: '1', certified: true },
        { userName: 'ben', ownerId: '2', certified: false },
        { userName: 'own', ownerId: '9' },
      ],
      projects: [{ id: 'syn10', name: 'For certified users', createdBy: 'own', acl: { own: ['ADMIN'], CERTIFIED_USERS: ['READ'] } }],
    };
    const small = await startSandbox({ seed, registryHost: REGISTRY });
    try {
      const [ann, ben] = ['ann', 'ben'].map((name) => small.users().find((u) => u.userName === name)!.token);
      assert.equal((await sandboxRequest(small.url, 'GET', '/repo/v1/entity/syn10', { token: ann })).status, 200);
      assert.equal((await sandboxRequest(small.url, 'GET', '/repo/v1/entity/syn10', { token: ben })).status, 403);
    } finally {
      await small.close();
    }
  });

  it('a non-Bearer Authorization header on /repo/v1 is the anonymous user', async () => {
    for (const authorization of [
      `Basic ${Buffer.from(`alice:${tokens.alice}`).toString('base64')}`,
      `bearer ${tokens.alice}`,
      tokens.alice,
    ]) {
      const answer = await sandboxRequest(sandbox.url, 'GET', '/repo/v1/userProfile', { headers: { Authorization: authorization } });
      assert.deepEqual([answer.status, answer.json.ownerId], [200, '273950'], authorization.slice(0, 8));
    }
  });

  it('a user who has not accepted the new terms of use gets 403 on every call', async () => {
    for (const answer of [
      await repo('/userProfile', 'grace'),
      await repo('/entity/syn1000006', 'grace'),
      await repo('/entity/children', 'grace', { method: 'POST', body: { parentId: 'syn1000006', includeTypes: ['dockerrepo'] } }),
      await bearerToken(tokens.grace, 'repository:syn1000006/controlled-tool:pull'),
    ]) {
      assert.deepEqual([answer.status, answer.json], [403, { concreteType: ERROR_TYPE, reason: TERMS }]);
    }
    const { token: viewless } = await adminCall(sandbox.url, 'POST', 'tokens', { userName: 'grace', scopes: ['download'] });
    assert.equal(
      (await sandboxRequest(sandbox.url, 'GET', '/repo/v1/userProfile', { token: viewless })).json.reason,
      TERMS,
      'before the scope check',
    );
    assert.equal((await repo('/userProfile')).status, 200, 'anonymous users are let through');
  });
});
