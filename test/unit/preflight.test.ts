// Push/pull preflight against the Synapse sandbox: each refusal Synapse can explain, before any
// byte moves, and proof (the sandbox's request log) that the registry's token service was not asked.
import * as assert from 'node:assert/strict';
import { checkPullAllowed, checkPushAllowed, inspectPull, inspectPush, PreflightCode, PreflightResult } from '../../src/core/docker';
import { ImageReference, NameError, parseImageReference } from '../../src/core/naming';
import { SynapseClient } from '../../src/core/synapse/client';
import { readTokenClaims } from '../../src/core/synapse/pat';
import { admin, sandboxUser, uniqueId } from './helpers/docker-fixtures';
import { requireLiveStack, SandboxInfo } from './helpers/stack';

interface StatsRequest {
  method: string;
  path: string;
  userId?: string;
  status: number;
  startedAt: number;
  endedAt: number;
}

describe('push/pull preflight (Synapse sandbox)', function () {
  this.timeout(30_000);
  let info: SandboxInfo;
  const run = uniqueId();
  /** Each check's user and time window, to look for registry token requests afterwards. */
  const windows: Array<{ label: string; userId: string; from: number; to: number; maxRequests: number }> = [];

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
    /** Explaining a refused DOWNLOAD (access requirements, 2FA) takes a few more requests. */
    maxRequests = 4,
  ): Promise<PreflightResult> {
    const client = new SynapseClient({ endpoint: info.synapseEndpoint, token });
    const scopes = readTokenClaims(token)?.scopes;
    const options = { client, reference: reference(path), scopes, portalUrl: info.portalUrl };
    const from = Date.now();
    const result = direction === 'push' ? await inspectPush(options) : await inspectPull(options);
    windows.push({
      label: `${direction} ${userName} ${path}`,
      userId: sandboxUser(info, userName).ownerId,
      from,
      to: Date.now(),
      maxRequests,
    });
    // The windows are in milliseconds: keep the next check's first request out of this one.
    await new Promise((resolve) => setTimeout(resolve, 3));
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
    assert.match(refusal.fix, /syn1000001/, "the fix names the folder's parent");
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
    const options = {
      client: dave,
      reference: reference('syn1000001/aligner'),
      scopes: ['view', 'download', 'modify'],
      portalUrl: info.portalUrl,
    };
    assert.deepEqual(
      (await checkPushAllowed(options)).map((r) => r.code),
      ['cannot-edit-repository'],
    );
    assert.deepEqual(
      (await checkPullAllowed(options)).map((r) => r.code),
      ['cannot-download'],
    );
    const alice = { ...options, client: new SynapseClient({ endpoint: info.synapseEndpoint, token: sandboxUser(info, 'alice').token }) };
    assert.deepEqual(await checkPushAllowed(alice), []);
    assert.deepEqual(await checkPullAllowed(alice), []);
  });

  /** The one refusal, advisory: the pull goes on and the registry decides (issue 6: never refuse what the server may allow). */
  function onlyAdvisory(result: PreflightResult, code: PreflightCode) {
    assert.deepEqual(codes(result), [code], JSON.stringify(result.refusals));
    assert.equal(result.allowed, true, 'advisory refusals do not stop the transfer');
    assert.equal(result.refusals[0].advisory, true);
    return result.refusals[0];
  }

  it('allows bob to pull; warns (without refusing) a pull without download access; refuses one without the scope', async () => {
    const allowed = await check('pull', 'bob', 'syn1000001/aligner');
    assert.equal(allowed.allowed, true);
    assert.equal(allowed.repositoryId, 'syn1000101');
    // Was a refusal: a challenge organiser pulls through READ_PRIVATE_SUBMISSION without DOWNLOAD.
    const warned = onlyAdvisory(await check('pull', 'dave', 'syn1000001/aligner'), 'cannot-download');
    assert.equal(warned.message, `You don't have download access to ${info.registry}/syn1000001/aligner (syn1000101).`);
    const { token } = await admin<{ token: string }>(info, 'POST', '/__admin/tokens', { userName: 'bob', scopes: ['view'] });
    const noScope = only(await check('pull', 'bob', 'syn1000001/aligner', token), 'token-scope');
    assert.match(noScope.message, /lacks the download scope/);
  });

  it('warns about a pull of a repository Synapse does not list, saying why when the project is the problem', async () => {
    // Advisory (were refusals): the evaluation-queue grant looks at the name only, so the registry decides.
    onlyAdvisory(await check('pull', 'bob', `syn1000001/preflight-missing-${run}`), 'repository-not-found');
    onlyAdvisory(await check('pull', 'alice', `syn1000104/preflight-${run}`), 'not-a-project');
    onlyAdvisory(await check('pull', 'alice', 'syn1000001/retired-tool'), 'repository-in-trash');
  });

  it('refuses a view+modify token pushing to an existing repository, naming the download scope', async () => {
    const { token } = await admin<{ token: string }>(info, 'POST', '/__admin/tokens', { userName: 'alice', scopes: ['view', 'modify'] });
    const refusal = only(await check('push', 'alice', 'syn1000001/aligner', token), 'token-scope');
    assert.equal(
      refusal.message,
      'This personal access token lacks the download scope, which a push to an existing repository needs: the registry asks for pull access with every push.',
    );
    assert.equal(refusal.fix, 'Create a personal access token with the view, download and modify scopes and sign in with it.');
    assert.equal(refusal.advisory, undefined, 'certain: Synapse grants no pull without the scope');
    const fresh = await check('push', 'alice', `syn1000001/preflight-vm-${run}`, token);
    assert.deepEqual([fresh.allowed, fresh.refusals], [true, []], 'a new repository gets pull with its creation');
    const { token: viewOnly } = await admin<{ token: string }>(info, 'POST', '/__admin/tokens', { userName: 'alice', scopes: ['view'] });
    const both = only(await check('push', 'alice', 'syn1000001/aligner', viewOnly), 'token-scope');
    assert.equal(both.message, 'This personal access token lacks the download and modify scopes, which a push needs.');
  });

  it('says when DOWNLOAD is refused because of an access requirement or two-factor authentication', async () => {
    const controlled = `${info.registry}/syn1000006/controlled-tool`;
    const pull = onlyAdvisory(await check('pull', 'heidi', 'syn1000006/controlled-tool', undefined, 5), 'access-requirement');
    assert.equal(
      pull.message,
      `${controlled} (syn1000601) has an access requirement you have not met, so Synapse does not let you download it.`,
    );
    assert.equal(pull.fix, "Request access on the repository's page on Synapse, then pull again.");
    assert.equal(pull.link, `${info.portalUrl}/Synapse:syn1000601`);
    const push = onlyAdvisory(await check('push', 'heidi', 'syn1000006/controlled-tool', undefined, 7), 'access-requirement');
    assert.equal(
      push.fix,
      "Request access on the repository's page on Synapse, then push again: the registry asks for pull access with every push.",
    );
    const twoFactor = onlyAdvisory(await check('pull', 'heidi', 'syn1000006/two-factor-tool', undefined, 6), 'two-factor-required');
    assert.equal(
      twoFactor.message,
      `${info.registry}/syn1000006/two-factor-tool (syn1000602) has an access requirement that needs two-factor authentication, which your Synapse account does not have enabled.`,
    );
    assert.equal(twoFactor.fix, 'Enable two-factor authentication in your Synapse account settings, then pull again.');
    const pushTwoFactor = onlyAdvisory(await check('push', 'heidi', 'syn1000006/two-factor-tool', undefined, 8), 'two-factor-required');
    assert.equal(
      pushTwoFactor.fix,
      'Enable two-factor authentication in your Synapse account settings, then push again: the registry asks for pull access with every push.',
    );
  });

  it('says to accept the new terms of use on the web site, for a push and for a pull', async () => {
    for (const direction of ['push', 'pull'] as const) {
      const refusal = only(await check(direction, 'grace', 'syn1000006/controlled-tool'), 'terms-of-use');
      assert.equal(refusal.message, 'Synapse refuses every request until you accept its new terms of use.');
      assert.equal(refusal.fix, `Sign in on ${info.portalUrl.replace(/\/+$/, '')}, accept the new terms, then try again.`);
      assert.equal(refusal.link, info.portalUrl.replace(/\/+$/, ''));
    }
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
      assert.ok(
        synapse.length <= window.maxRequests,
        `${window.label} sent ${synapse.length} Synapse requests: ${synapse.map((r) => `${r.method} ${r.path} ${r.status}`).join(', ')}`,
      );
    }
  });
});
