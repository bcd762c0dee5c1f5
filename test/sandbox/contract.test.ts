// The sandbox against Synapse's published REST contract: the OpenAPI specification generated from the
// server (npm @sage-bionetworks/synapse-client). The extension's own client talks to the sandbox through a
// loopback recorder; every request it sends (path, query parameter names and types, POST bodies) and every
// answer it gets (each endpoint, paging, each error status) is checked against the spec's schemas.
import * as assert from 'node:assert/strict';
import { IncomingMessage, Server, ServerResponse, createServer, request as httpRequest } from 'node:http';
import { AddressInfo } from 'node:net';
import { SynapseClient } from '../../src/core/synapse/client';
import { SynapseError } from '../../src/core/synapse/errors';
import { startTestSandbox, TEST_REGISTRY, TestSandbox } from '../unit/helpers/inProcessSandbox';
import { sandboxRequest } from './server/client';
import { DEFAULT_LISTENER_CREDENTIALS } from './server';
import { findOperation, loadSynapseSpec, Operation, requestProblems, SchemaValidator } from './openapi';

interface Exchange {
  method: string;
  path: string;
  query: URLSearchParams;
  requestBody?: unknown;
  status: number;
  responseBody: unknown;
}

const ERROR_RESPONSE = 'org.sagebionetworks.repo.model.ErrorResponse';
const OAUTH_ERROR_RESPONSE = 'org.sagebionetworks.repo.model.OAuthErrorResponse';
const NO_RETRY = { maxRetries: 0, baseDelayMs: 1, maxDelayMs: 1, throttledBaseDelayMs: 1 };
/**
 * Parameters the spec's generator marks required although the controller gives them a defaultValue
 * (EvaluationController.createSubmission: challengeEndpoint, notificationUnsubscribeEndpoint; their
 * description says "In normal operation, this parameter should be omitted").
 */
const SPEC_OVER_REQUIRED = new Set([
  'POST /repo/v1/evaluation/submission: required query parameter challengeEndpoint is missing',
  'POST /repo/v1/evaluation/submission: required query parameter notificationUnsubscribeEndpoint is missing',
]);

/** A loopback pass-through that keeps every exchange (the extension's client cannot tell it is there). */
async function startRecorder(target: string, exchanges: Exchange[]): Promise<{ url: string; close(): Promise<void> }> {
  const upstream = new URL(target);
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const forward = httpRequest(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: upstream.host },
        },
        (answer) => {
          const parts: Buffer[] = [];
          answer.on('data', (chunk: Buffer) => parts.push(chunk));
          answer.on('end', () => {
            const text = Buffer.concat(parts).toString('utf8');
            const url = new URL(req.url ?? '/', 'http://recorder.invalid');
            exchanges.push({
              method: req.method ?? 'GET',
              path: url.pathname,
              query: url.searchParams,
              requestBody: body.length ? JSON.parse(body.toString('utf8')) : undefined,
              status: answer.statusCode ?? 0,
              responseBody: text ? JSON.parse(text) : undefined,
            });
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            res.end(text);
          });
        },
      );
      forward.on('error', () => res.destroy());
      forward.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('Synapse OpenAPI contract: the sandbox and what the extension sends', function () {
  this.timeout(30_000);
  const spec = loadSynapseSpec();
  const validator = new SchemaValidator(spec);
  const exchanges: Exchange[] = [];
  /** "GET /repo/v1/entity/{id}" → statuses checked, for the coverage line. */
  const coverage = new Map<string, Set<number>>();
  let env: TestSandbox;
  let recorder: { url: string; close(): Promise<void> };

  before(async () => {
    env = await startTestSandbox();
    recorder = await startRecorder(env.url, exchanges);
  });
  after(async () => {
    await recorder?.close();
    await env?.close();
    const lines = [...coverage].sort().map(([operation, statuses]) => `${operation}: ${[...statuses].sort().join(', ')}`);
    console.log(`      contract coverage (${coverage.size} operations):\n        ${lines.join('\n        ')}`);
  });
  beforeEach(async () => {
    await env.admin('POST', 'reset');
    exchanges.length = 0;
  });

  const client = (userName: string) => new SynapseClient({ endpoint: recorder.url, token: env.token(userName), retry: NO_RETRY });

  /** Checks every recorded exchange against its operation; returns how many were checked. */
  function checkExchanges(): number {
    const problems: string[] = [];
    for (const exchange of exchanges) {
      const found = findOperation(spec, exchange.method, exchange.path);
      const label = `${exchange.method} ${exchange.path}?${exchange.query}`;
      if (!found) {
        problems.push(`${label}: no such operation in the specification`);
        continue;
      }
      problems.push(
        ...requestProblems(validator, found.operation, exchange.query, exchange.requestBody)
          .filter((p) => !SPEC_OVER_REQUIRED.has(`${exchange.method} ${found.template}: ${p}`))
          .map((p) => `${label}: request: ${p}`),
      );
      problems.push(
        ...answerProblems(found.operation, exchange.status, exchange.responseBody).map((p) => `${label}: answer ${exchange.status}: ${p}`),
      );
      const key = `${exchange.method} ${found.template}`;
      if (!coverage.has(key)) coverage.set(key, new Set());
      coverage.get(key)!.add(exchange.status);
    }
    assert.deepEqual(problems, []);
    return exchanges.length;
  }

  function answerProblems(operation: Operation, status: number, body: unknown): string[] {
    if (status >= 200 && status < 300) {
      const declared = operation.responses[String(status)];
      if (!declared) return [`status ${status} is not declared (declared: ${Object.keys(operation.responses).join(', ')})`];
      const schema = declared.content?.['application/json']?.schema;
      return schema ? validator.validate(schema, body) : body === undefined ? [] : ['a body where the spec declares none'];
    }
    return errorProblems(status, body);
  }

  /** Errors are not declared per operation in the spec; Synapse sends an ErrorResponse (429: a bare reason). */
  function errorProblems(status: number, body: unknown): string[] {
    if (status === 429) {
      // The throttle filter writes {"reason": …} itself: not an ErrorResponse (no concreteType), which the spec requires.
      const missing = validator.validate(validator.schema(ERROR_RESPONSE), body);
      return JSON.stringify(missing) === JSON.stringify(['$: required property concreteType is missing'])
        ? []
        : [`429 body ${JSON.stringify(body)}: ${missing.join('; ')}`];
    }
    const concreteType = (body as { concreteType?: string } | undefined)?.concreteType;
    const schema = concreteType === OAUTH_ERROR_RESPONSE ? OAUTH_ERROR_RESPONSE : ERROR_RESPONSE;
    validator.seen.add(schema);
    // OAuthErrorResponse has no concreteType property in the spec, though the server writes one.
    const value = schema === OAUTH_ERROR_RESPONSE ? { ...(body as object), concreteType: undefined } : body;
    const cleaned = JSON.parse(JSON.stringify(value)) as unknown;
    const problems = validator.validate(validator.schema(schema), cleaned);
    if (typeof (body as { reason?: unknown } | undefined)?.reason !== 'string') problems.push('no reason');
    return problems;
  }

  it("every call of the extension's client: the request it sends and the answer it gets", async () => {
    const alice = client('alice');
    assert.equal((await alice.getUserProfile()).userName, 'alice');
    assert.equal(await alice.isCertified(), true);
    assert.equal((await alice.getCertificationRecord('3400001'))?.passed, true);
    assert.equal(await alice.getCertificationRecord('3400003'), undefined, 'carol never passed: 404');
    let projectPages = 0;
    for await (const page of alice.projectPages()) {
      projectPages++;
      assert.ok(page.length > 0);
    }
    assert.equal(projectPages, 2, '57 projects: 50 + 7');
    await alice.listProjects({ filter: 'CREATED', sort: 'PROJECT_NAME', sortDirection: 'ASC' });
    await alice.listProjects({ filter: 'PARTICIPATED', sort: 'LAST_ACTIVITY', sortDirection: 'DESC' });
    const repositories = [];
    for await (const page of alice.dockerRepositoryPages('syn1000001', { query: { sortBy: 'CREATED_ON', sortDirection: 'DESC' } }))
      repositories.push(...page);
    assert.equal(repositories.length, 5, 'aligner, variant-caller, BLAST, restricted-tool, tools/samtools (retired-tool is in the trash)');
    await alice.getEntity('syn1000001');
    await alice.getEntity('syn1000104');
    assert.equal(await alice.findDockerRepositoryId(`${TEST_REGISTRY}/syn1000001/aligner`), 'syn1000101');
    assert.equal(await alice.findDockerRepositoryId(`${TEST_REGISTRY}/syn1000001/none-such`), undefined);
    let tags = 0;
    for await (const page of alice.dockerTagPages('syn1000102', 20, { sort: 'TAG', ascending: true })) tags += page.length;
    assert.equal(tags, 30);
    await alice.listDockerTags('syn1000101', { limit: 10, offset: 0 });
    await alice.getPermissions('syn1000101');
    assert.equal((await alice.getPermissions('syn1')).canView, false, 'a missing entity: 200, nothing allowed');
    const heidi = client('heidi');
    assert.equal((await heidi.getRestrictionInformation('syn1000601')).hasUnmetAccessRequirement, true);
    assert.equal((await heidi.getRestrictionInformation('syn1000602')).hasUnmetAccessRequirement, false);
    assert.equal((await heidi.getAccessRequirement(9600002)).isTwoFaRequired, true);
    const anonymous = new SynapseClient({ endpoint: recorder.url, retry: NO_RETRY });
    assert.equal((await anonymous.getUserProfile()).ownerId, '273950');
    assert.ok(checkExchanges() >= 25, `only ${exchanges.length} exchanges`);
  });

  it('paging of POST /entity/children past 50, and an empty nextPageToken as the first page', async () => {
    // 51 repositories in one notification (one transaction), then two pages of children.
    const events = Array.from({ length: 51 }, (_v, i) => ({
      id: `e${i}`,
      timestamp: new Date().toISOString(),
      action: 'push',
      target: {
        mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
        size: 1,
        digest: `sha256:${String(i).padStart(64, '0')}`,
        length: 1,
        repository: `syn1001001/tool-${i}`,
        tag: 'v1',
        url: 'x',
      },
      request: { id: `r${i}`, addr: '127.0.0.1', host: TEST_REGISTRY, method: 'PUT', useragent: 'docker' },
      actor: { name: '3400001' },
      source: { addr: '127.0.0.1', instanceID: 'i' },
    }));
    const notification = { events };
    const listenerOperation = findOperation(spec, 'POST', '/dockerRegistryListener/v1/events');
    assert.ok(listenerOperation, 'the listener is in the spec');
    assert.deepEqual(
      requestProblems(validator, listenerOperation.operation, new URLSearchParams(), notification),
      [],
      "the registry's notification shape",
    );
    const posted = await sandboxRequest(env.url, 'POST', '/dockerRegistryListener/v1/events', {
      basic: DEFAULT_LISTENER_CREDENTIALS,
      body: notification,
    });
    assert.equal(posted.status, 204);
    const alice = client('alice');
    const first = await alice.listDockerRepositoryHeaders('syn1001001');
    assert.equal(first.items.length, 50);
    assert.equal(first.nextPageToken, '50a50');
    const second = await alice.listDockerRepositoryHeaders('syn1001001', first.nextPageToken);
    assert.deepEqual([second.items.length, second.nextPageToken], [1, undefined]);
    const again = await alice.listDockerRepositoryHeaders('syn1001001', '');
    assert.deepEqual(
      again.items.map((h) => h.id),
      first.items.map((h) => h.id),
      'an empty token is the first page',
    );
    checkExchanges();
  });

  it('each error status the extension meets is an ErrorResponse (429: the bare reason)', async () => {
    const expectError = async (call: () => Promise<unknown>, status: number): Promise<void> => {
      await assert.rejects(call, (error: unknown) => error instanceof SynapseError && error.status === status);
    };
    const alice = client('alice');
    await expectError(() => alice.listDockerTags('syn1000101', { limit: 10, offset: 0 }, { sort: 'FOO' as 'TAG' }), 400);
    await expectError(() => new SynapseClient({ endpoint: recorder.url, token: 'a.b.c', retry: NO_RETRY }).getUserProfile(), 401);
    await expectError(() => client('frank').getEntity('syn1000001'), 403);
    await expectError(() => client('grace').getUserProfile(), 403);
    const { token: viewless } = await env.admin<{ token: string }>('POST', 'tokens', { userName: 'alice', scopes: ['download'] });
    await expectError(() => new SynapseClient({ endpoint: recorder.url, token: viewless, retry: NO_RETRY }).getUserProfile(), 403);
    await expectError(() => alice.getEntity('syn42'), 404);
    await expectError(() => alice.getEntity('syn1000107'), 404);
    await expectError(() => alice.listDockerTags('syn1000104', { limit: 10, offset: 0 }), 400);
    await env.admin('POST', 'fail', { status: 429, count: 1 });
    await expectError(() => alice.getUserProfile(), 429);
    await env.admin('POST', 'fail', { status: 503, count: 1 });
    await expectError(() => alice.getUserProfile(), 503);
    // The docker token endpoint: the registry's client calls it (a revoked PAT is a 500 there).
    const revoked = (await env.admin<{ token: string }>('POST', 'tokens', { userName: 'bob' })).token;
    await env.admin('POST', 'revoke', { token: revoked });
    const basic = (password: string) => ({ Authorization: `Basic ${Buffer.from(`bob:${password}`).toString('base64')}` });
    const service = encodeURIComponent(TEST_REGISTRY);
    for (const [password, status] of [
      [env.token('bob'), 200],
      [revoked, 500],
      ['nope', 401],
      [env.token('grace'), 403],
    ] as const) {
      const answer = await sandboxRequest(
        recorder.url,
        'GET',
        `/docker/v1/bearerToken?service=${service}&scope=repository:syn1000001/aligner:pull,push`,
        { headers: basic(password) },
      );
      assert.equal(answer.status, status, answer.text);
    }
    const statuses = exchanges.map((e) => e.status).sort();
    for (const status of [200, 400, 401, 403, 404, 429, 500, 503]) assert.ok(statuses.includes(status), `status ${status} was exercised`);
    checkExchanges();
  });

  it('the evaluation service: queues, rounds, challenge, teams, eligibility, submit, bundles, status, cancel and refusals', async () => {
    const alice = client('alice');
    const queues = await alice.evaluations.listEvaluations({ accessType: 'SUBMIT', activeOnly: true });
    assert.equal(queues.length, 1);
    await alice.evaluations.listEvaluations();
    await alice.evaluations.getEvaluation(queues[0].id);
    assert.equal((await alice.evaluations.listRounds(queues[0].id))[0].limits[0].limitType, 'DAILY');
    const challenge = await alice.evaluations.getChallengeForProject('syn1000007');
    assert.equal(await alice.evaluations.getChallengeForProject('syn1000001'), undefined, '404 without a challenge');
    const [teamId] = await alice.evaluations.listSubmissionTeams(challenge!.id);
    await alice.evaluations.getTeam(teamId);
    await alice.evaluations.getUserName('3400004');
    const eligibility = await alice.evaluations.getTeamEligibility(queues[0].id, teamId);
    const { etag } = await alice.getEntity('syn1000101');
    const digest = (await alice.listDockerTags('syn1000101', { limit: 1, offset: 0 })).results[0].digest;
    const created = await alice.evaluations.submit(
      {
        evaluationId: queues[0].id,
        entityId: 'syn1000101',
        dockerDigest: digest,
        teamId,
        contributors: eligibility.membersEligibility.map((m) => m.principalId),
      },
      etag!,
      eligibility.eligibilityStateHash,
    );
    await env.admin('POST', 'evaluation/status', {
      submissionId: created.id,
      status: 'EVALUATION_IN_PROGRESS',
      statusDescription: 'running',
      progress: 10,
      canCancel: true,
    });
    await alice.evaluations.listMySubmissions(queues[0].id);
    await alice.evaluations.requestCancel(created.id);
    await env.admin('POST', 'evaluation/status', { submissionId: created.id, status: 'SCORED', score: 0.5, scoreKey: 'auc' });
    await env.admin('POST', 'evaluation/status', {
      submissionId: created.id,
      status: 'SCORED',
      score: 0.1,
      scoreKey: 'hidden',
      privateScore: true,
    });
    await alice.evaluations.getStatus(created.id);
    await client('oscar').evaluations.getStatus(created.id); // with the private and the V2 annotations
    const refused = async (call: () => Promise<unknown>, status: number): Promise<void> => {
      await assert.rejects(call, (error: unknown) => error instanceof SynapseError && error.status === status);
    };
    await refused(
      () => client('carol').evaluations.submit({ evaluationId: queues[0].id, entityId: 'syn1000101', dockerDigest: digest }, etag!),
      403,
    );
    await refused(
      () => client('bob').evaluations.submit({ evaluationId: queues[0].id, entityId: 'syn1000101', dockerDigest: 'sha256:0' }, etag!),
      400,
    );
    await refused(() => client('bob').evaluations.requestCancel(created.id), 403);
    await refused(() => alice.evaluations.getEvaluation('1'), 404);
    assert.ok(checkExchanges() >= 18, `only ${exchanges.length} exchanges`);
  });

  it('sharing settings: ACL reads and every write, the benefactor, principal search and names (and their errors)', async () => {
    const alice = client('alice');
    assert.equal((await alice.getBenefactor('syn1000101')).id, 'syn1000001');
    const project = await alice.getAcl('syn1000001');
    await assert.rejects(
      alice.getAcl('syn1000101'),
      (error: unknown) => error instanceof SynapseError && error.status === 404,
      'an inheriting entity',
    );
    const rows = [
      {
        principalId: '3400001',
        accessType: ['READ', 'DOWNLOAD', 'CREATE', 'UPDATE', 'DELETE', 'CHANGE_PERMISSIONS', 'CHANGE_SETTINGS', 'MODERATE'],
      },
      { principalId: '3400002', accessType: ['READ', 'DOWNLOAD'] },
    ];
    const created = await alice.createAcl('syn1000101', rows);
    const updated = await alice.updateAcl(created, [...rows, { principalId: '3500001', accessType: ['READ'] }]);
    await assert.rejects(
      alice.updateAcl(created, rows),
      (error: unknown) => error instanceof SynapseError && error.status === 412,
      'the stale etag',
    );
    await assert.rejects(
      alice.updateAcl(updated, [...rows, { principalId: '273949', accessType: ['READ', 'DOWNLOAD'] }]),
      (error: unknown) => error instanceof SynapseError && error.status === 400,
    );
    await assert.rejects(
      client('carol').updateAcl(await client('carol').getAcl('syn1000005'), [
        { principalId: '3400003', accessType: ['READ', 'CHANGE_PERMISSIONS'] },
        { principalId: '273948', accessType: ['READ', 'DOWNLOAD'] },
      ]),
      (error: unknown) => error instanceof SynapseError && error.status === 403 && error.errorCode === 'USER_CERTIFICATION_REQUIRED',
    );
    await alice.deleteAcl('syn1000101');
    await assert.rejects(
      alice.deleteAcl('syn1000001'),
      (error: unknown) => error instanceof SynapseError && error.status === 403,
      'a project cannot inherit',
    );
    assert.deepEqual(
      (await alice.findPrincipals('ali')).map((h) => h.userName),
      ['alice', 'Aligners'],
    );
    assert.deepEqual(
      (await alice.findPrincipals('b', { typeFilter: 'USERS_ONLY', limit: 5 })).map((h) => h.userName),
      ['bob'],
    );
    assert.deepEqual(
      (await alice.principalHeaders(project.resourceAccess.map((row) => row.principalId))).length,
      project.resourceAccess.length,
    );
    checkExchanges();
    for (const operation of [
      'GET /repo/v1/entity/{id}/acl',
      'POST /repo/v1/entity/{id}/acl',
      'PUT /repo/v1/entity/{id}/acl',
      'DELETE /repo/v1/entity/{id}/acl',
      'GET /repo/v1/entity/{id}/benefactor',
      'GET /repo/v1/userGroupHeaders',
      'GET /repo/v1/userGroupHeaders/batch',
    ]) {
      assert.ok(coverage.has(operation), `${operation} was checked`);
    }
    assert.deepEqual([...coverage.get('PUT /repo/v1/entity/{id}/acl')!].sort(), [200, 400, 403, 412]);
    assert.deepEqual([...coverage.get('DELETE /repo/v1/entity/{id}/acl')!].sort(), [204, 403]);
  });

  it('the validator itself refuses what the spec does not allow', () => {
    // Proof that the contract checks can fail: shapes Synapse never sends.
    const header = validator.schema('org.sagebionetworks.repo.model.ProjectHeaderList');
    assert.deepEqual(validator.validate(header, { results: [{ id: 'syn1', name: 'A', modifiedBy: '3400001' }] }), [
      '$.results[0].modifiedBy: expected integer, got string "3400001"',
    ]);
    assert.deepEqual(validator.validate(header, { results: [], nextPageToken: null }), [
      '$.nextPageToken: null (Synapse omits empty fields)',
    ]);
    assert.deepEqual(validator.validate(header, { results: [], extra: 1 }), ['$: property extra is not in the schema']);
    const entity = validator.schema('org.sagebionetworks.repo.model.Entity');
    assert.match(validator.validate(entity, { concreteType: 'org.example.Nothing', id: 'syn1' }).join(), /none of the \d+ types/);
    const children = findOperation(spec, 'POST', '/repo/v1/entity/children')!;
    assert.match(
      requestProblems(validator, children.operation, new URLSearchParams(), {
        parentId: 'syn1',
        includeTypes: ['dockerrepository'],
      }).join(),
      /not one of/,
    );
    const tags = findOperation(spec, 'GET', '/repo/v1/entity/syn1/dockerTag')!;
    assert.deepEqual(tags.params, { id: 'syn1' });
    assert.deepEqual(requestProblems(validator, tags.operation, new URLSearchParams('limit=ten&order=x'), undefined), [
      'query parameter limit=ten is not a number',
      'query parameter order is not declared',
    ]);
  });
});
