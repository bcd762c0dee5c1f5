// Push/pull preflight against the Synapse sandbox: each refusal Synapse can explain, before any
// byte moves, and proof (the sandbox's request log) that the registry's token service was not asked.
import * as assert from 'node:assert/strict';
import { checkPullAllowed, checkPushAllowed, inspectPull, inspectPush, PreflightCode, PreflightResult } from '../../src/core/docker';
import { ImageReference, NameError, parseImageReference } from '../../src/core/naming';
import { SynapseClient } from '../../src/core/synapse/client';
import { readTokenClaims } from '../../src/core/synapse/pat';
import { admin, sandboxUser, uniqueId } from './helpers/docker-fixtures';
import { requireLiveStack, SandboxInfo } from './helpers/stack';

interface StatsRequest { method: string; path: string; userId?: string; status: number; startedAt: number; endedAt: number }

describe('push/pull preflight (Synapse sandbox)', function () {
  this.timeout(30_000);
  let info: SandboxInfo;
  const run = uniqueId();
  /** Each check's user and time window, to look for registry token requests afterwards. */
  const windows: Array<{ label: string; userId: string; from: number; to: number }> = [];

  before(async () => {
    info = await requireLiveStack();
  });

  function reference(path: string): ImageReference {
    const parsed = parseImageReference(`${info.registry}/${path}`);
    if (parsed instanceof NameError) throw parsed;
    return parsed;
  }

  async function check(
    direction: 'push' | 'pull',
    userName: string,
    path: string,
    token = sandboxUser(info, userName).token,
  ): Promise<PreflightResult> {
    const client = new SynapseClient({ endpoint: info.synapseEndpoint, token });
    const scopes = readTokenClaims(token)?.scopes;
    const options = { client, reference: reference(path), scopes, portalUrl: info.portalUrl };
    const from = Date.now();
    const result = direction === 'push' ? await inspectPush(options) : await inspectPull(options);
    windows.push({ label: `${direction} ${userName} ${path}`, userId: sandboxUser(info, userName).ownerId, from, to: Date.now() });
    return result;
  }

  function codes(result: PreflightResult): PreflightCode[] {
    return result.refusals.map((refusal) => refusal.code);
  }

  function only(result: PreflightResult, code: PreflightCode) {
    assert.deepEqual(codes(result), [code], JSON.stringify(result.refusals));
    assert.equal(result.allowed, false);
    const refusal = result.refusals[0];
    assert.ok(refusal.message.length > 10 && refusal.fix.length > 10, JSON.stringify(refusal));
    return refusal;
  }

  it('allows alice to push a new repository into her project, and to push to an existing one', async () => {
    const fresh = await check('push', 'alice', `syn1000001/preflight-${run}`);
    assert.deepEqual(fresh.refusals, []);
    assert.equal(fresh.allowed, true);
    assert.equal(fresh.createsRepository, true);
    const existing = await check('push', 'alice', 'syn1000001/aligner');
    assert.equal(existing.allowed, true);
    assert.equal(existing.repositoryId, 'syn1000101');
    assert.equal(existing.createsRepository, false);
  });

  it('refuses a token without the modify scope', async () => {
    const refusal = only(await check('push', 'erin', `syn1000001/preflight-${run}`), 'token-scope');
    assert.match(refusal.message, /lacks the modify scope/);
    assert.match(refusal.link ?? '', /PersonalAccessTokens/);
  });

  it('refuses an uncertified user with edit rights, pointing to the certification quiz', async () => {
    const refusal = only(await check('push', 'carol', `syn1000001/preflight-${run}`), 'not-certified');
    assert.match(refusal.message, /not a certified Synapse user/);
    assert.ok(refusal.link?.startsWith(info.portalUrl), refusal.link);
    assert.match(refusal.link ?? '', /Quiz:Certification/);
    only(await check('push', 'carol', 'syn1000001/aligner'), 'not-certified');
  });

  it('refuses a READ-only user: no new repository, no edit of an existing one', async () => {
    const create = only(await check('push', 'dave', `syn1000001/preflight-${run}`), 'cannot-create-repository');
    assert.match(create.message, /syn1000001/);
    const edit = only(await check('push', 'dave', 'syn1000001/aligner'), 'cannot-edit-repository');
    assert.match(edit.fix, /ask a project admin/i);
    assert.match(edit.fix, /edit access/);
  });

  it('refuses a folder as the first path segment', async () => {
    const refusal = only(await check('push', 'alice', `syn1000104/preflight-${run}`), 'not-a-project');
    assert.equal(refusal.message, 'syn1000104 is a Folder, not a project.');
    assert.match(refusal.fix, /syn1000001/, 'the fix names the folder\'s parent');
  });

  it('refuses a project in the trash can', async () => {
    const refusal = only(await check('push', 'alice', `syn1000002/preflight-${run}`), 'project-in-trash');
    assert.match(refusal.message, /syn1000002 is in the trash can/);
  });

  it('refuses a project that does not exist', async () => {
    const refusal = only(await check('push', 'alice', `syn9999999/preflight-${run}`), 'project-not-found');
    assert.match(refusal.message, /no Synapse project syn9999999/);
  });

  it('refuses a push to a repository in the trash can', async () => {
    only(await check('push', 'alice', 'syn1000001/retired-tool'), 'repository-in-trash');
  });

  it('refuses everything when nobody is signed in', async () => {
    const result = await inspectPush({ reference: reference('syn1000001/aligner'), portalUrl: info.portalUrl });
    only(result, 'not-signed-in');
    only(await inspectPull({ reference: reference('syn1000001/aligner'), portalUrl: info.portalUrl }), 'not-signed-in');
  });

  it('returns the refusals as a list (check*) and the details (inspect*)', async () => {
    const dave = new SynapseClient({ endpoint: info.synapseEndpoint, token: sandboxUser(info, 'dave').token });
    const options = { client: dave, reference: reference('syn1000001/aligner'), scopes: ['view', 'download', 'modify'], portalUrl: info.portalUrl };
    assert.deepEqual((await checkPushAllowed(options)).map((r) => r.code), ['cannot-edit-repository']);
    assert.deepEqual((await checkPullAllowed(options)).map((r) => r.code), ['cannot-download']);
    const alice = { ...options, client: new SynapseClient({ endpoint: info.synapseEndpoint, token: sandboxUser(info, 'alice').token }) };
    assert.deepEqual(await checkPushAllowed(alice), []);
    assert.deepEqual(await checkPullAllowed(alice), []);
  });

  it('allows bob to pull, and refuses a pull without download access or scope', async () => {
    const allowed = await check('pull', 'bob', 'syn1000001/aligner');
    assert.equal(allowed.allowed, true);
    assert.equal(allowed.repositoryId, 'syn1000101');
    only(await check('pull', 'dave', 'syn1000001/aligner'), 'cannot-download');
    const { token } = await admin<{ token: string }>(info, 'POST', '/__admin/tokens', { userName: 'bob', scopes: ['view'] });
    const noScope = only(await check('pull', 'bob', 'syn1000001/aligner', token), 'token-scope');
    assert.match(noScope.message, /lacks the download scope/);
  });

  it('refuses a pull of a repository that does not exist, saying why when the project is the problem', async () => {
    only(await check('pull', 'bob', `syn1000001/preflight-missing-${run}`), 'repository-not-found');
    only(await check('pull', 'alice', `syn1000104/preflight-${run}`), 'not-a-project');
    only(await check('pull', 'alice', 'syn1000001/retired-tool'), 'repository-in-trash');
  });

  it('never asked the registry for a token, and asked Synapse only a few times per check', async () => {
    assert.ok(windows.length >= 15, `only ${windows.length} checks were recorded`);
    const stats = await admin<{ requests: StatsRequest[] }>(info, 'GET', '/__admin/stats');
    // Windows are compared to the millisecond: a request that starts in the millisecond one check
    // ends and the next begins belongs to the later one only.
    const owner = (request: StatsRequest) =>
      windows.filter((w) => w.userId === request.userId && request.startedAt >= w.from && request.startedAt <= w.to).at(-1);
    for (const window of windows) {
      const during = stats.requests.filter((request) => owner(request) === window);
      const tokenRequests = during.filter((request) => request.path.startsWith('/docker/v1/bearerToken'));
      assert.deepEqual(tokenRequests, [], `${window.label} made the registry's token service be called`);
      const synapse = during.filter((request) => request.path.startsWith('/repo/v1/'));
      assert.ok(synapse.length <= 4, `${window.label} sent ${synapse.length} Synapse requests: ${synapse.map((r) => `${r.method} ${r.path} ${r.status}`).join(", ")}`);
    }
  });
});
