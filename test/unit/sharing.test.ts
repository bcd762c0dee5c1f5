// Sharing settings (synapse-api.md §9) against the in-process sandbox: the ACL endpoints with Synapse's
// statuses and texts, the registry's token decisions following an ACL change at once, and the core's
// levels, diff, rules checked before sending (matching what the server then says) and 412 handling.
import * as assert from 'node:assert/strict';
import { SynapseClient } from '../../src/core/synapse/client';
import { SynapseError } from '../../src/core/synapse/errors';
import {
  accessTypesOf,
  applyPlan,
  checkAclContent,
  diffRows,
  levelOf,
  loadSharing,
  OwnAccessCache,
  ownAccess,
  planChange,
  principalOf,
  SERVER_TEXT,
  SharingSubject,
} from '../../src/core/sharing';
import { ProjectsTreeModel } from '../../src/core/tree/model';
import { ProjectNode, RepositoryNode } from '../../src/core/tree/nodes';
import { planDetail, problemSentence, rowChangeSentence, ownAccessSummary } from '../../src/core/sharing/messages';
import { sandboxRequest } from '../sandbox/server/client';
import { TEST_REGISTRY, useTestSandbox } from './helpers/inProcessSandbox';

const NO_RETRY = { maxRetries: 0, baseDelayMs: 1, maxDelayMs: 1, throttledBaseDelayMs: 1 };
const ID = { alice: '3400001', bob: '3400002', carol: '3400003', dave: '3400004', frank: '3400006', aligners: '3500001' };
const ALIGNER = 'syn1000101';
const RESTRICTED = 'syn1000106';
const PROJECT = 'syn1000001';

describe('sharing settings (sandbox ACL endpoints and the core)', function () {
  this.timeout(20_000);
  const env = useTestSandbox();
  const token = (user: string) => env().token(user);
  const rest = (user: string | undefined, method: string, path: string, body?: unknown) =>
    sandboxRequest(env().url, method, `/repo/v1${path}`, { token: user ? token(user) : undefined, body });
  const client = (user: string) => new SynapseClient({ endpoint: env().url, token: token(user), retry: NO_RETRY });
  const writes = async (): Promise<number> => {
    const stats = await env().admin<{ requests: Array<{ method: string; path: string }> }>('GET', 'stats');
    return stats.requests.filter((r) => r.method !== 'GET' && r.path.endsWith('/acl')).length;
  };

  /** The actions of a docker bearer token for one repository scope (what the registry would allow). */
  async function dockerActions(user: string, path: string): Promise<string[]> {
    const basic = { user, password: token(user) };
    const answer = await sandboxRequest(
      env().url,
      'GET',
      `/docker/v1/bearerToken?service=${encodeURIComponent(TEST_REGISTRY)}&scope=repository:${path}:pull,push`,
      { basic },
    );
    assert.equal(answer.status, 200, answer.text);
    const claims = JSON.parse(Buffer.from(String(answer.json.token).split('.')[1], 'base64url').toString('utf8')) as {
      access: Array<{ actions: string[] }>;
    };
    return claims.access[0].actions;
  }

  async function aclOf(id: string, user = 'alice') {
    const answer = await rest(user, 'GET', `/entity/${id}/acl`);
    assert.equal(answer.status, 200, answer.text);
    return answer.json as {
      id: string;
      etag: string;
      creationDate: string;
      resourceAccess: Array<{ principalId: number; accessType: string[] }>;
    };
  }

  describe('the sandbox answers as Synapse does', () => {
    it('GET /acl: an inheriting repository is a 404 naming its benefactor; the benefactor answers its ACL', async () => {
      const inherited = await rest('alice', 'GET', `/entity/${ALIGNER}/acl`);
      assert.equal(inherited.status, 404);
      assert.equal(
        inherited.json.reason,
        `The requested ACL does not exist. This entity inherits its permissions from: /repo/v1/entity/${PROJECT}/acl`,
      );
      const acl = await aclOf(PROJECT);
      assert.equal(acl.id, PROJECT);
      assert.deepEqual(acl.resourceAccess.find((row) => row.principalId === Number(ID.bob))?.accessType, ['READ', 'DOWNLOAD']);
      // No access check on reading an ACL (EntityAclManagerImpl.getACL ignores the caller): frank sees it too.
      assert.equal((await rest('frank', 'GET', `/entity/${PROJECT}/acl`)).status, 200);
      const missing = await rest('alice', 'GET', '/entity/syn42/acl');
      assert.deepEqual([missing.status, missing.json.reason], [404, 'Benefactor not found for: syn42']);
    });

    it('GET /benefactor: the project for an inheriting repository, the repository itself with local settings, READ needed', async () => {
      const header = await rest('bob', 'GET', `/entity/${ALIGNER}/benefactor`);
      assert.deepEqual([header.status, header.json.id, header.json.name], [200, PROJECT, 'Alice Main Project']);
      assert.equal((await rest('bob', 'GET', `/entity/${RESTRICTED}/benefactor`)).json.id, RESTRICTED);
      const frank = await rest('frank', 'GET', `/entity/${ALIGNER}/benefactor`);
      assert.deepEqual([frank.status, frank.json.reason], [403, 'You lack READ access to the requested entity.']);
    });

    it('POST creates local settings (201) and the token server follows at once; a second POST is refused', async () => {
      assert.deepEqual(await dockerActions('bob', 'syn1000001/aligner'), ['pull'], 'inherited: bob may pull');
      const created = await rest('alice', 'POST', `/entity/${ALIGNER}/acl`, {
        resourceAccess: [{ principalId: Number(ID.alice), accessType: accessTypesOf('admin') }],
      });
      assert.equal(created.status, 201, created.text);
      assert.equal(created.json.id, ALIGNER);
      assert.match(created.json.etag, /^[0-9a-f-]{36}$/);
      assert.deepEqual(await dockerActions('bob', 'syn1000001/aligner'), [], 'local settings without bob: no pull at the next token');
      assert.equal((await rest('bob', 'GET', `/entity/${ALIGNER}/permissions`)).json.canDownload, false);
      const again = await rest('alice', 'POST', `/entity/${ALIGNER}/acl`, {
        resourceAccess: [{ principalId: Number(ID.alice), accessType: ['READ', 'CHANGE_PERMISSIONS'] }],
      });
      assert.deepEqual([again.status, again.json.reason], [403, 'Resource already has an ACL.']);
      const byBob = await rest('bob', 'POST', `/entity/syn1000102/acl`, {
        resourceAccess: [{ principalId: Number(ID.bob), accessType: ['READ', 'CHANGE_PERMISSIONS'] }],
      });
      assert.deepEqual([byBob.status, byBob.json.reason], [403, 'You lack CHANGE_PERMISSIONS access to the requested entity.']);
    });

    it('PUT: a stale etag is 412 and changes nothing; an inheriting entity cannot be updated', async () => {
      const acl = await aclOf(RESTRICTED);
      const withBob = acl.resourceAccess.map((row) =>
        row.principalId === Number(ID.bob) ? { ...row, accessType: ['READ', 'DOWNLOAD'] } : row,
      );
      const first = await rest('alice', 'PUT', `/entity/${RESTRICTED}/acl`, { ...acl, resourceAccess: withBob });
      assert.equal(first.status, 200, first.text);
      assert.notEqual(first.json.etag, acl.etag, 'a new etag');
      assert.deepEqual(await dockerActions('bob', 'syn1000001/restricted-tool'), ['pull']);
      const stale = await rest('alice', 'PUT', `/entity/${RESTRICTED}/acl`, { ...acl, resourceAccess: acl.resourceAccess });
      assert.deepEqual([stale.status, stale.json.reason], [412, 'E-tags do not match.']);
      assert.deepEqual(await dockerActions('bob', 'syn1000001/restricted-tool'), ['pull'], 'the stale write changed nothing');
      const inheriting = await rest('alice', 'PUT', `/entity/${ALIGNER}/acl`, { id: ALIGNER, etag: 'x', resourceAccess: [] });
      assert.deepEqual(
        [inheriting.status, inheriting.json.reason],
        [403, 'Cannot update ACL for a resource which inherits its permissions.'],
      );
      const mismatch = await rest('alice', 'PUT', `/entity/${RESTRICTED}/acl`, { ...acl, id: PROJECT });
      assert.deepEqual(
        [mismatch.status, mismatch.json.reason],
        [400, `The path ID: ${RESTRICTED} does not match the ACL's ID: ${PROJECT}`],
      );
    });

    it('validateACLContent: own CHANGE_PERMISSIONS kept unless owner, PUBLIC only READ, no anonymous, no empty rows', async () => {
      const project = await aclOf(PROJECT);
      const put = (user: string, acl: typeof project, rows: typeof project.resourceAccess) =>
        rest(user, 'PUT', `/entity/${PROJECT}/acl`, { ...acl, resourceAccess: rows });
      // alice owns the project: she may leave herself out.
      const others = project.resourceAccess.filter((row) => row.principalId !== Number(ID.alice));
      const bobAdmin = [
        ...others.filter((row) => row.principalId !== Number(ID.bob)),
        { principalId: Number(ID.bob), accessType: accessTypesOf('admin') },
      ];
      const granted = await put('alice', project, bobAdmin);
      assert.equal(granted.status, 200, granted.text);
      const current = (await aclOf(PROJECT)) as typeof project;
      // bob, an administrator who does not own it, may not drop his own CHANGE_PERMISSIONS.
      const bobDrops = current.resourceAccess.map((row) =>
        row.principalId === Number(ID.bob) ? { ...row, accessType: ['READ', 'DOWNLOAD'] } : row,
      );
      const refused = await put('bob', current, bobDrops);
      assert.deepEqual([refused.status, refused.json.reason], [400, 'Caller is trying to revoke their own ACL editing permissions.']);
      const cases: Array<[Array<{ principalId: number; accessType: string[] }>, number, string]> = [
        [[{ principalId: 273949, accessType: ['READ', 'DOWNLOAD'] }], 400, 'Only READ permissions can be assigned to the public group'],
        [
          [{ principalId: 273950, accessType: ['READ'] }],
          400,
          'Cannot assign permissions to anonymous. To share resources with anonymous users, use the PUBLIC group id (273949)',
        ],
        [[{ principalId: Number(ID.dave), accessType: [] }], 400, 'No access types specified.'],
      ];
      for (const [extra, status, reason] of cases) {
        const answer = await put('bob', current, [...current.resourceAccess, ...extra]);
        assert.deepEqual([answer.status, answer.json.reason], [status, reason], JSON.stringify(extra));
      }
      assert.equal(
        (await put('bob', current, [...current.resourceAccess, { principalId: 273949, accessType: ['READ'] }])).status,
        200,
        'PUBLIC READ is fine',
      );
    });

    it('AUTHENTICATED_USERS with DOWNLOAD needs a certified caller (403 USER_CERTIFICATION_REQUIRED)', async () => {
      const carols = await aclOf('syn1000005', 'carol');
      const rows = [...carols.resourceAccess, { principalId: 273948, accessType: ['READ', 'DOWNLOAD'] }];
      const refused = await rest('carol', 'PUT', '/entity/syn1000005/acl', { ...carols, resourceAccess: rows });
      assert.deepEqual(
        [refused.status, refused.json.reason, refused.json.errorCode],
        [403, 'Only certified users can allow authenticated users to download.', 'USER_CERTIFICATION_REQUIRED'],
      );
      assert.equal(
        (
          await rest('carol', 'PUT', '/entity/syn1000005/acl', {
            ...carols,
            resourceAccess: [...carols.resourceAccess, { principalId: 273948, accessType: ['READ'] }],
          })
        ).status,
        200,
      );
    });

    it('DELETE restores inheritance (204); a project cannot inherit; an inheriting entity already does; trash as everywhere', async () => {
      const restored = await rest('alice', 'DELETE', `/entity/${RESTRICTED}/acl`);
      assert.deepEqual([restored.status, restored.text], [204, '']);
      assert.equal((await rest('alice', 'GET', `/entity/${RESTRICTED}/benefactor`)).json.id, PROJECT);
      assert.deepEqual(await dockerActions('bob', 'syn1000001/restricted-tool'), ['pull'], "inherits bob's DOWNLOAD from the project now");
      const again = await rest('alice', 'DELETE', `/entity/${RESTRICTED}/acl`);
      assert.deepEqual([again.status, again.json.reason], [403, 'Resource already inherits its permissions.']);
      const project = await rest('alice', 'DELETE', `/entity/${PROJECT}/acl`);
      assert.deepEqual([project.status, project.json.reason], [403, 'Cannot restore inheritance for resource which has no parent.']);
      const trashed = await rest('alice', 'DELETE', '/entity/syn1000107/acl');
      assert.deepEqual([trashed.status, trashed.json.reason], [404, 'Entity syn1000107 is in trash can.']);
      const trashedAcl = await rest('alice', 'GET', '/entity/syn1000107/acl');
      assert.deepEqual(
        [trashedAcl.status, trashedAcl.json.reason],
        [404, 'The requested ACL does not exist. This entity inherits its permissions from: /repo/v1/entity/syn1681355/acl'],
      );
      const scopeless = await env().admin<{ token: string }>('POST', 'tokens', { userName: 'alice', scopes: ['view', 'download'] });
      const noModify = await sandboxRequest(env().url, 'DELETE', `/repo/v1/entity/${ALIGNER}/acl`, { token: scopeless.token });
      assert.deepEqual([noModify.status, noModify.json.error], [403, 'insufficient_scope']);
    });

    it('a team in the ACL: its members may pull, others not', async () => {
      const created = await rest('alice', 'POST', `/entity/${ALIGNER}/acl`, {
        resourceAccess: [
          { principalId: Number(ID.alice), accessType: accessTypesOf('admin') },
          { principalId: Number(ID.aligners), accessType: accessTypesOf('download') },
        ],
      });
      assert.equal(created.status, 201, created.text);
      assert.deepEqual(await dockerActions('dave', 'syn1000001/aligner'), ['pull'], 'dave is in Aligners');
      assert.deepEqual(await dockerActions('bob', 'syn1000001/aligner'), [], 'bob is not');
    });

    it('userGroupHeaders: users and teams by prefix, names by id', async () => {
      const found = await rest('alice', 'GET', '/userGroupHeaders?prefix=Ali');
      assert.equal(found.status, 200);
      assert.deepEqual(
        found.json.children.map((h: { userName: string; isIndividual: boolean }) => [h.userName, h.isIndividual]),
        [
          ['alice', true],
          ['Aligners', false],
        ],
      );
      assert.equal(found.json.prefixFilter, 'Ali');
      const teams = await rest('alice', 'GET', '/userGroupHeaders?prefix=ali&typeFilter=TEAMS_ONLY');
      assert.deepEqual(
        teams.json.children.map((h: { ownerId: string }) => h.ownerId),
        [ID.aligners],
      );
      const batch = await rest('alice', 'GET', `/userGroupHeaders/batch?ids=${ID.bob},273948,99,${ID.aligners}`);
      assert.deepEqual(
        batch.json.children.map((h: { userName: string }) => h.userName),
        ['bob', 'AUTHENTICATED_USERS', 'Aligners'],
      );
      const bad = await rest('alice', 'GET', '/userGroupHeaders/batch?ids=bob');
      assert.deepEqual([bad.status, bad.json.reason], [400, 'For input string: "bob"']);
    });
  });

  describe('the core', () => {
    const aligner: SharingSubject = { id: ALIGNER, name: 'syn1000001/aligner', kind: 'repository', parentId: PROJECT };
    const restricted: SharingSubject = { id: RESTRICTED, name: 'syn1000001/restricted-tool', kind: 'repository', parentId: PROJECT };

    it("levels: the web site's five, exact types otherwise", () => {
      assert.equal(levelOf(['DOWNLOAD', 'READ']), 'download');
      assert.equal(levelOf(accessTypesOf('admin')), 'admin');
      assert.equal(levelOf(['READ', 'DOWNLOAD', 'UPDATE']), undefined);
      assert.deepEqual(
        ownAccess(
          {
            canDownload: true,
            canEdit: false,
            canCertifiedUserEdit: true,
            canAddChild: false,
            canCertifiedUserAddChild: false,
            canChangePermissions: false,
          },
          'repository',
        ),
        { pull: true, push: false, share: false, pushNeedsCertification: true },
      );
    });

    it('loads inherited settings: benefactor, levels, your row, administrators (4 requests)', async () => {
      await env().admin('POST', 'stats/reset');
      const settings = await loadSharing(client('bob'), aligner, ID.bob);
      const stats = await env().admin<{ requests: unknown[] }>('GET', 'stats');
      assert.equal(stats.requests.length, 4);
      assert.equal(settings.inherited, true);
      assert.equal(settings.benefactor.name, 'Alice Main Project');
      const bob = settings.rows.find((row) => row.isYou)!;
      assert.deepEqual([bob.principal.userName, bob.level], ['bob', 'download']);
      assert.equal(settings.rows[0], bob, 'your row first');
      const carol = settings.rows.find((row) => row.principal.userName === 'carol')!;
      assert.deepEqual([carol.level, carol.principal.firstName], ['edit', 'Carol']);
      assert.deepEqual(
        settings.administrators.map((row) => row.principal.userName),
        ['alice'],
      );
      assert.deepEqual(settings.own, { pull: true, push: false, share: false, pushNeedsCertification: false });
      assert.equal(ownAccessSummary(settings.own), 'pull');
    });

    it('a level on local settings updates them (bob gains pull); on inherited settings it creates local ones (dave gains pull and push)', async () => {
      const alice = client('alice');
      const bob = principalOf((await alice.findPrincipals('bob'))[0]);
      const restrictedSettings = await loadSharing(alice, restricted, ID.alice);
      assert.equal(restrictedSettings.inherited, false);
      const plan = await planChange(alice, restrictedSettings, { kind: 'set', principal: bob, accessTypes: accessTypesOf('download') });
      assert.equal(plan.request, 'update');
      assert.deepEqual(plan.problems, []);
      assert.deepEqual(
        plan.changes.map((c) => [c.principal.userName, c.gains, c.loses]),
        [['bob', ['pull'], []]],
      );
      assert.equal(rowChangeSentence(plan.changes[0]), 'Bob Baker (bob): Can view → Can download — gains pull');
      const outcome = await applyPlan(alice, plan);
      assert.equal(outcome.kind, 'applied');
      assert.equal(outcome.kind === 'applied' && outcome.settings.rows.find((r) => r.principal.id === ID.bob)?.level, 'download');
      assert.deepEqual(await dockerActions('bob', 'syn1000001/restricted-tool'), ['pull']);

      const inherited = await loadSharing(alice, aligner, ID.alice);
      const dave = principalOf((await alice.findPrincipals('dave'))[0]);
      const local = await planChange(alice, inherited, { kind: 'set', principal: dave, accessTypes: accessTypesOf('edit') });
      assert.equal(local.request, 'create', 'a change on inherited settings creates local ones');
      assert.deepEqual(
        local.changes.map((c) => [c.principal.userName, c.gains]),
        [['dave', ['pull', 'push']]],
      );
      assert.match(planDetail(local), /Pushing also needs a certified Synapse user/);
      assert.equal((await applyPlan(alice, local)).kind, 'applied');
      assert.equal((await alice.getBenefactor(ALIGNER)).id, ALIGNER);
      assert.deepEqual(await dockerActions('dave', 'syn1000001/aligner'), ['pull', 'push']);
    });

    it('restoring inheritance says who loses pull, and the registry follows', async () => {
      const alice = client('alice');
      const settings = await loadSharing(alice, restricted, ID.alice);
      const plan = await planChange(alice, settings, { kind: 'restoreInheritance' });
      assert.equal(plan.inheritFrom?.id, PROJECT);
      const byName = new Map(plan.changes.map((c) => [c.principal.userName, c]));
      assert.deepEqual(byName.get('bob')?.gains, ['pull'], 'bob has DOWNLOAD on the project');
      assert.deepEqual(byName.get('dave')?.after, ['READ']);
      assert.deepEqual(byName.get('erin')?.loses, [], 'erin keeps pull and push (project: READ, DOWNLOAD, CREATE, UPDATE)');
      assert.equal((await applyPlan(alice, plan)).kind, 'applied');
      assert.deepEqual(await dockerActions('bob', 'syn1000001/restricted-tool'), ['pull']);
    });

    it('each rule is found before sending, nothing is sent, and the server says the same text', async () => {
      const project: SharingSubject = { id: PROJECT, name: 'Alice Main Project', kind: 'project' };
      // bob administers the project (alice makes him one) but does not own it.
      const alice = client('alice');
      const bobPrincipal = principalOf((await alice.findPrincipals('bob'))[0]);
      assert.equal(
        (
          await applyPlan(
            alice,
            await planChange(alice, await loadSharing(alice, project, ID.alice), {
              kind: 'set',
              principal: bobPrincipal,
              accessTypes: accessTypesOf('admin'),
            }),
          )
        ).kind,
        'applied',
      );
      const bob = client('bob');
      const settings = await loadSharing(bob, project, ID.bob);
      const publicGroup = { id: '273949', kind: 'public' as const };
      const everyone = { id: '273948', kind: 'authenticated' as const };
      const cases: Array<[Parameters<typeof planChange>[2], keyof typeof SERVER_TEXT]> = [
        [{ kind: 'set', principal: bobPrincipal, accessTypes: accessTypesOf('download') }, 'keepOwnChangePermissions'],
        [{ kind: 'remove', principalId: ID.bob }, 'keepOwnChangePermissions'],
        [{ kind: 'set', principal: publicGroup, accessTypes: accessTypesOf('download') }, 'publicViewOnly'],
        [{ kind: 'set', principal: { id: '273950', kind: 'anonymous' }, accessTypes: ['READ'] }, 'anonymousNothing'],
        [{ kind: 'set', principal: everyone, accessTypes: [] }, 'noAccessTypes'],
        [{ kind: 'restoreInheritance' }, 'projectCannotInherit'],
      ];
      const before = await writes();
      for (const [change, code] of cases) {
        const plan = await planChange(bob, settings, change);
        assert.deepEqual(
          plan.problems.map((p) => p.code),
          [code],
          JSON.stringify(change),
        );
        assert.deepEqual(await applyPlan(bob, plan), { kind: 'blocked', problems: plan.problems });
        assert.ok(problemSentence(plan.problems[0]).includes(`(Synapse: "${SERVER_TEXT[code]}")`));
        // What Synapse would have said, sent raw: the same text.
        const raw =
          plan.request === 'delete'
            ? await rest('bob', 'DELETE', `/entity/${PROJECT}/acl`)
            : await rest('bob', 'PUT', `/entity/${PROJECT}/acl`, {
                ...settings.acl,
                resourceAccess: plan.after.map((r) => ({ principalId: Number(r.principalId), accessType: r.accessType })),
              });
        assert.equal(raw.json.reason, SERVER_TEXT[code]);
      }
      assert.equal(await writes(), before + cases.length, 'only the raw requests reached the server');

      // An uncertified administrator may not let all signed-in users download.
      const carol = client('carol');
      const carols = await loadSharing(carol, { id: 'syn1000005', name: 'Carol Sandbox', kind: 'project' }, ID.carol);
      const plan = await planChange(carol, carols, { kind: 'set', principal: everyone, accessTypes: accessTypesOf('download') });
      assert.deepEqual(
        plan.problems.map((p) => p.code),
        ['authenticatedDownloadNeedsCertified'],
      );
      assert.deepEqual(
        checkAclContent(plan.after, () => undefined, { ...carols.you, certified: true }),
        [],
      );
      // A user without CHANGE_PERMISSIONS is told whom to ask.
      const daves = await loadSharing(client('dave'), aligner, ID.dave);
      const refused = await planChange(client('dave'), daves, { kind: 'createLocal' });
      assert.deepEqual(
        refused.problems.map((p) => p.code),
        ['mayNotChange', 'keepOwnChangePermissions'],
      );
      assert.match(problemSentence(refused.problems[0], daves), /Ask an administrator: Alice Anderson \(alice\)/);
    });

    it('a concurrent change (412) is reloaded, never overwritten', async () => {
      const alice = client('alice');
      const settings = await loadSharing(alice, restricted, ID.alice);
      const dave = principalOf((await alice.findPrincipals('dave'))[0]);
      const plan = await planChange(alice, settings, { kind: 'set', principal: dave, accessTypes: accessTypesOf('download') });
      // Meanwhile someone else gives bob download.
      const current = await aclOf(RESTRICTED);
      const other = await rest('alice', 'PUT', `/entity/${RESTRICTED}/acl`, {
        ...current,
        resourceAccess: current.resourceAccess.map((row) =>
          row.principalId === Number(ID.bob) ? { ...row, accessType: ['READ', 'DOWNLOAD'] } : row,
        ),
      });
      assert.equal(other.status, 200);
      const outcome = await applyPlan(alice, plan);
      assert.equal(outcome.kind, 'conflict');
      assert.ok(outcome.kind === 'conflict' && outcome.error instanceof SynapseError && outcome.error.status === 412);
      const reloaded = outcome.kind === 'conflict' ? outcome.settings : settings;
      assert.equal(reloaded.rows.find((row) => row.principal.id === ID.bob)?.level, 'download', 'the other change is what is shown');
      assert.equal(
        reloaded.rows.find((row) => row.principal.id === ID.dave),
        undefined,
        'ours was not sent over it',
      );
      assert.notEqual(reloaded.acl.etag, settings.acl.etag);
      // A restore planned on settings someone else restored meanwhile: the 403 is a concurrent change too.
      const restore = await planChange(alice, reloaded, { kind: 'restoreInheritance' });
      assert.equal((await rest('alice', 'DELETE', `/entity/${RESTRICTED}/acl`)).status, 204);
      const second = await applyPlan(alice, restore);
      assert.equal(second.kind, 'conflict');
      assert.equal(second.kind === 'conflict' && second.settings.inherited, true);
    });

    it('the tree learns pull/push/share with one permissions request per expanded project or repository', async () => {
      const access = new OwnAccessCache();
      const bob = client('bob');
      const model = new ProjectsTreeModel({
        client: async () => bob,
        access,
        pinnedProjects: () => [],
        settings: () => ({ projectFilter: 'ALL', projectSort: 'LAST_ACTIVITY', tagSort: 'CREATED_ON', registry: TEST_REGISTRY }),
      });
      const project = (await model.children()).find((n): n is ProjectNode => n.kind === 'project' && n.project.id === PROJECT)!;
      await env().admin('POST', 'stats/reset');
      const repositories = await model.children(project);
      const stats = await env().admin<{ requests: Array<{ path: string }> }>('GET', 'stats');
      assert.deepEqual(
        stats.requests.filter((r) => r.path.endsWith('/permissions')).map((r) => r.path),
        [`/repo/v1/entity/${PROJECT}/permissions`],
      );
      assert.deepEqual(access.get(PROJECT), { pull: true, push: false, share: false, pushNeedsCertification: false });
      const restrictedNode = repositories.find((n): n is RepositoryNode => n.kind === 'repository' && n.repository.id === RESTRICTED)!;
      assert.equal(access.get(RESTRICTED), undefined, 'not before it is expanded');
      await model.children(restrictedNode);
      assert.deepEqual(
        access.get(RESTRICTED),
        { pull: false, push: false, share: false, pushNeedsCertification: false },
        'bob: READ only there',
      );
      await model.children(restrictedNode);
      const again = await env().admin<{ requests: Array<{ path: string }> }>('GET', 'stats');
      assert.equal(again.requests.filter((r) => r.path.endsWith('/permissions')).length, 2, 'expanded again: nothing asked again');
      // alice gives bob download there; after the invalidation the next look sees it.
      const alice = client('alice');
      const settings = await loadSharing(alice, restricted, ID.alice);
      const bobPrincipal = settings.rows.find((row) => row.principal.id === ID.bob)!.principal;
      assert.equal(
        (
          await applyPlan(
            alice,
            await planChange(alice, settings, { kind: 'set', principal: bobPrincipal, accessTypes: accessTypesOf('download') }),
          )
        ).kind,
        'applied',
      );
      const seen: Array<string | undefined> = [];
      access.onDidChange((id) => seen.push(id));
      access.invalidate([RESTRICTED]);
      assert.equal((await access.ensure(bob, RESTRICTED, 'repository'))?.pull, true);
      assert.deepEqual(seen, [RESTRICTED, RESTRICTED], 'forgotten, then loaded: the tree re-renders the row twice');
      model.reset(project);
      assert.equal(access.get(PROJECT), undefined, 'a refresh forgets it');
    });

    it('diffRows on a project: adding repositories is CREATE', () => {
      const changes = diffRows(
        [{ principalId: '1', accessType: ['READ'] }],
        [
          { principalId: '1', accessType: accessTypesOf('edit') },
          { principalId: '2', accessType: ['READ'] },
        ],
        'project',
        (id) => ({ id, kind: 'user', userName: `u${id}` }),
      );
      assert.deepEqual(
        changes.map((c) => [c.principal.id, c.gains, c.loses]),
        [
          ['1', ['pull', 'push', 'addRepositories'], []],
          ['2', [], []],
        ],
      );
    });
  });
});
