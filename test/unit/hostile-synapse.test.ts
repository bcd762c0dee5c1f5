// Hostile and broken Synapse answers, table-driven against the real sandbox (its `respond`
// control answers one endpoint with exactly these bytes). Each case asserts what the caller
// gets: the exact error message and kind, that it was not retried, or the accepted value.
import assert from 'node:assert/strict';
import { SynapseClient } from '../../src/core/synapse/client';
import { SynapseError } from '../../src/core/synapse/errors';
import { DEFAULT_MAX_BODY_BYTES } from '../../src/core/synapse/transport';
import { ProjectsTreeModel } from '../../src/core/tree/model';
import { MessageNode } from '../../src/core/tree/nodes';
import { RequestStats, TEST_REGISTRY, useTestSandbox } from './helpers/inProcessSandbox';

/** Retries are allowed, so a case that is (wrongly) retried shows up in the request count. */
const FAST_RETRY = { maxRetries: 3, baseDelayMs: 5, maxDelayMs: 20, throttledBaseDelayMs: 5 };
const JSON_TYPE = 'application/json;charset=UTF-8';
const MB = 1024 * 1024;

interface Respond {
  status?: number;
  contentType?: string;
  body?: string;
  bodyBytes?: number;
  contentLength?: boolean;
}

interface HostileCase {
  name: string;
  /** The endpoint answered with `respond` (the path, as the message names it). */
  path: string;
  method?: 'GET' | 'POST';
  respond: Respond;
  call(client: SynapseClient): Promise<unknown>;
  /** The exact error message (kind badResponse, one request), or a check of the accepted answer. */
  expect: { message: string } | { accepted(value: unknown): void };
}

const PROJECTS = '/repo/v1/projects';
const PROFILE = '/repo/v1/userProfile';
const CHILDREN = '/repo/v1/entity/children';
const ENTITY = '/repo/v1/entity/syn1000101';
const TAGS = '/repo/v1/entity/syn1000101/dockerTag';
const PERMISSIONS = '/repo/v1/entity/syn1000001/permissions';

const listProjects = (client: SynapseClient) => client.listProjects({});
const profile = (client: SynapseClient) => client.getUserProfile();
const shape = (method: string, path: string, problem: string) => `Synapse answered ${method} ${path} with an unexpected shape: ${problem}`;
const notJson = (path: string, status: number, type: string, excerpt: string) =>
  `Synapse (or a proxy in between) answered GET ${path} with something that is not JSON (HTTP ${status}, content type ${type}): "${excerpt}".`;
const tooLarge = (path: string) => `Synapse (or a proxy in between) answered GET ${path} with more than 8 MiB; the answer was not read.`;

const PROXY_PAGE =
  '<!DOCTYPE html><html><head><title>Corporate proxy: sign in</title></head><body><form action="/login"></form></body></html>';
const LONG_PAGE = `<html>\n  <body>\n\t<h1>502 Bad Gateway</h1>\n${'<p>upstream went away</p>\n'.repeat(20)}</body></html>`;

const CASES: HostileCase[] = [
  {
    name: 'a proxy’s HTML sign-in page with 200',
    path: PROJECTS,
    respond: { contentType: 'text/html; charset=utf-8', body: PROXY_PAGE },
    call: listProjects,
    expect: { message: notJson(PROJECTS, 200, 'text/html; charset=utf-8', `${PROXY_PAGE.slice(0, 120)}…`) },
  },
  {
    name: 'a long HTML page: whitespace collapsed, excerpt shortened',
    path: PROFILE,
    respond: { contentType: 'text/html', body: LONG_PAGE },
    call: profile,
    expect: { message: notJson(PROFILE, 200, 'text/html', `${LONG_PAGE.replace(/\s+/g, ' ').slice(0, 120)}…`) },
  },
  {
    name: 'truncated JSON',
    path: PROJECTS,
    respond: { contentType: JSON_TYPE, body: '{"results":[{"id":"syn1000001","na' },
    call: listProjects,
    expect: { message: notJson(PROJECTS, 200, JSON_TYPE, '{"results":[{"id":"syn1000001","na') },
  },
  {
    name: 'control characters and invalid UTF-8 never reach the message',
    path: PROFILE,
    respond: { contentType: 'application/octet-stream', body: 'PK\u0003\u0004\u0000\u0000\u001b[31mred\u0007\ufffd' },
    call: profile,
    expect: { message: notJson(PROFILE, 200, 'application/octet-stream', 'PK [31mred \ufffd') },
  },
  {
    name: '{} where a project list belongs',
    path: PROJECTS,
    respond: { contentType: JSON_TYPE, body: '{}' },
    call: listProjects,
    expect: { message: shape('GET', PROJECTS, 'results is not a list.') },
  },
  {
    name: 'null where a profile belongs',
    path: PROFILE,
    respond: { contentType: JSON_TYPE, body: 'null' },
    call: profile,
    expect: { message: shape('GET', PROFILE, 'the answer is not a JSON object.') },
  },
  {
    name: '{"results":null}',
    path: PROJECTS,
    respond: { contentType: JSON_TYPE, body: '{"results":null}' },
    call: listProjects,
    expect: { message: shape('GET', PROJECTS, 'results is not a list.') },
  },
  {
    name: 'results is an object, not a list',
    path: PROJECTS,
    respond: { contentType: JSON_TYPE, body: '{"results":{"id":"syn1000001","name":"A"}}' },
    call: listProjects,
    expect: { message: shape('GET', PROJECTS, 'results is not a list.') },
  },
  {
    name: 'a list item that is a number',
    path: PROJECTS,
    respond: { contentType: JSON_TYPE, body: '{"results":[{"id":"syn1000001","name":"A"},42]}' },
    call: listProjects,
    expect: { message: shape('GET', PROJECTS, 'results[1] is not an object.') },
  },
  {
    name: 'a project id that is a number',
    path: PROJECTS,
    respond: { contentType: JSON_TYPE, body: '{"results":[{"id":1000001,"name":"A"}]}' },
    call: listProjects,
    expect: { message: shape('GET', PROJECTS, 'results[0].id is not a string.') },
  },
  {
    name: 'nextPageToken that is a number',
    path: PROJECTS,
    respond: { contentType: JSON_TYPE, body: '{"results":[],"nextPageToken":50}' },
    call: listProjects,
    expect: { message: shape('GET', PROJECTS, 'nextPageToken is not a string.') },
  },
  {
    name: 'nextPageToken null is the last page (as if absent)',
    path: PROJECTS,
    respond: { contentType: JSON_TYPE, body: '{"results":[{"id":"syn1","name":"A","lastActivity":null}],"nextPageToken":null}' },
    call: listProjects,
    expect: {
      accepted: (page) =>
        assert.deepEqual(page, {
          items: [{ id: 'syn1', name: 'A', lastActivity: undefined, modifiedOn: undefined }],
          nextPageToken: undefined,
        }),
    },
  },
  {
    name: 'an entity header without its type',
    path: CHILDREN,
    method: 'POST',
    respond: { contentType: JSON_TYPE, body: '{"page":[{"id":"syn1000101","name":"aligner"}]}' },
    call: (client) => client.listDockerRepositoryHeaders('syn1000001'),
    expect: { message: shape('POST', CHILDREN, 'page[0].type is not a string.') },
  },
  {
    name: 'a Docker repository without isManaged',
    path: ENTITY,
    respond: {
      contentType: JSON_TYPE,
      body: JSON.stringify({
        id: 'syn1000101',
        name: 'syn1000101',
        concreteType: 'org.sagebionetworks.repo.model.docker.DockerRepository',
        repositoryName: 'x/y',
      }),
    },
    call: (client) => client.getEntity('syn1000101'),
    expect: { message: shape('GET', ENTITY, 'isManaged is not true or false.') },
  },
  {
    name: 'a tag whose digest is null',
    path: TAGS,
    respond: {
      contentType: JSON_TYPE,
      body: '{"totalNumberOfResults":1,"results":[{"tag":"v1","digest":null,"createdOn":"2024-01-01T00:00:00.000Z"}]}',
    },
    call: (client) => client.listDockerTags('syn1000101', { limit: 10, offset: 0 }),
    expect: { message: shape('GET', TAGS, 'results[0].digest is not a string.') },
  },
  {
    name: 'a permission flag that is a string',
    path: PERMISSIONS,
    respond: {
      contentType: JSON_TYPE,
      body: JSON.stringify({
        canView: 'yes',
        canEdit: true,
        canCertifiedUserEdit: true,
        canAddChild: true,
        canCertifiedUserAddChild: true,
        canDownload: true,
        isCertifiedUser: true,
      }),
    },
    call: (client) => client.getPermissions('syn1000001'),
    expect: { message: shape('GET', PERMISSIONS, 'canView is not true or false.') },
  },
  {
    name: 'a JSON string where a profile belongs',
    path: PROFILE,
    respond: { contentType: JSON_TYPE, body: '"alice"' },
    call: profile,
    expect: { message: shape('GET', PROFILE, 'the answer is not a JSON object.') },
  },
  {
    name: 'a JSON list where a profile belongs',
    path: PROFILE,
    respond: { contentType: JSON_TYPE, body: '[{"ownerId":"3400001","userName":"alice"}]' },
    call: profile,
    expect: { message: shape('GET', PROFILE, 'the answer is not a JSON object.') },
  },
  {
    name: 'an empty body on 200',
    path: PROFILE,
    respond: { contentType: JSON_TYPE, body: '' },
    call: profile,
    expect: { message: `Synapse (or a proxy in between) answered GET ${PROFILE} with an empty body (HTTP 200) where JSON was expected.` },
  },
  {
    name: '204 No Content where JSON is expected',
    path: PROFILE,
    respond: { status: 204 },
    call: profile,
    expect: { message: `Synapse (or a proxy in between) answered GET ${PROFILE} with an empty body (HTTP 204) where JSON was expected.` },
  },
  {
    // JSON is judged by parsing, not by the label; the shape is still checked.
    name: 'valid JSON labelled text/plain is accepted',
    path: PROFILE,
    respond: { contentType: 'text/plain', body: '{"ownerId":"3400001","userName":"alice","emails":["alice@example.org"]}' },
    call: profile,
    expect: {
      accepted: (value) =>
        assert.deepEqual(value, {
          ownerId: '3400001',
          userName: 'alice',
          firstName: undefined,
          lastName: undefined,
          emails: ['alice@example.org'],
        }),
    },
  },
  {
    name: 'valid JSON without any content type is accepted',
    path: PROFILE,
    respond: { body: '{"ownerId":"3400001","userName":"alice"}' },
    call: profile,
    expect: { accepted: (value) => assert.equal((value as { userName: string }).userName, 'alice') },
  },
  {
    name: 'a profile with emails that are not strings',
    path: PROFILE,
    respond: { contentType: JSON_TYPE, body: '{"ownerId":"3400001","userName":"alice","emails":[{"address":"a@b"}]}' },
    call: profile,
    expect: { message: shape('GET', PROFILE, 'emails[0] is not a string.') },
  },
  {
    name: 'a body just over the cap, with Content-Length: refused unread',
    path: PROJECTS,
    respond: { contentType: JSON_TYPE, bodyBytes: DEFAULT_MAX_BODY_BYTES + 1 },
    call: listProjects,
    expect: { message: tooLarge(PROJECTS) },
  },
  {
    name: 'a 300 MB chunked body: reading stops at the cap',
    path: PROJECTS,
    respond: { contentType: JSON_TYPE, bodyBytes: 300 * 1000 * 1000, contentLength: false },
    call: listProjects,
    expect: { message: tooLarge(PROJECTS) },
  },
  {
    name: 'a body just under the cap is read (and its shape checked)',
    path: PROJECTS,
    respond: { contentType: JSON_TYPE, bodyBytes: DEFAULT_MAX_BODY_BYTES - 1, contentLength: false },
    call: listProjects,
    expect: { message: shape('GET', PROJECTS, 'results[0] is not an object.') },
  },
];

describe('hostile Synapse answers', function () {
  this.timeout(30_000);
  const sandbox = useTestSandbox();
  const clientFor = () => new SynapseClient({ endpoint: sandbox().url, token: sandbox().token('alice'), retry: FAST_RETRY });
  const requestsTo = async (path: string) => (await sandbox().admin<RequestStats>('GET', 'stats')).requests.filter((r) => r.path === path);

  it(`has at least 12 cases (${CASES.length})`, () => assert.ok(CASES.length >= 12));

  for (const hostile of CASES) {
    it(hostile.name, async () => {
      // Several answers are queued: a retry would get the same bytes again and show in the count.
      await sandbox().admin('POST', 'respond', { count: 5, pathPrefix: hostile.path, status: 200, ...hostile.respond });
      const outcome = await hostile.call(clientFor()).then(
        (value) => ({ value }),
        (error: unknown) => ({ error }),
      );
      if ('message' in hostile.expect) {
        assert.ok('error' in outcome, `expected an error, got ${JSON.stringify((outcome as { value: unknown }).value)?.slice(0, 200)}`);
        const error = outcome.error as SynapseError;
        assert.ok(error instanceof SynapseError, `not a SynapseError: ${String(error)}`);
        assert.equal(error.message, hostile.expect.message);
        assert.equal(error.kind, 'badResponse');
        assert.equal(error.retryable, false);
      } else {
        assert.ok('value' in outcome, `expected an answer, got ${(outcome as { error: Error }).error?.message}`);
        hostile.expect.accepted(outcome.value);
      }
      assert.equal((await requestsTo(hostile.path)).length, 1, 'answered once, never retried');
    });
  }

  it('keeps the token out of the excerpt when a proxy echoes the request headers', async () => {
    const token = sandbox().token('alice');
    await sandbox().admin('POST', 'respond', {
      pathPrefix: PROFILE,
      status: 200,
      contentType: 'text/html',
      body: `<pre>Authorization: Bearer ${token}</pre>`,
    });
    const error = await clientFor()
      .getUserProfile()
      .then(
        () => assert.fail('expected an error'),
        (e: SynapseError) => e,
      );
    assert.equal(error.message, notJson(PROFILE, 200, 'text/html', '<pre>Authorization: Bearer [redacted token]</pre>'));
    assert.ok(!error.message.includes(token.split('.')[2]), 'not even the signature');
  });

  it('reads at most the cap of a 300 MB body: memory stays flat', async () => {
    const client = clientFor();
    await client.getUserProfile(); // warm up the connection and the code paths
    global.gc?.();
    const before = process.memoryUsage();
    let peakRss = before.rss;
    let peakBuffers = before.arrayBuffers;
    const sampler = setInterval(() => {
      const now = process.memoryUsage();
      peakRss = Math.max(peakRss, now.rss);
      peakBuffers = Math.max(peakBuffers, now.arrayBuffers);
    }, 2);
    const bodyBytes = 300 * 1000 * 1000;
    await sandbox().admin('POST', 'respond', {
      pathPrefix: PROJECTS,
      status: 200,
      contentType: JSON_TYPE,
      bodyBytes,
      contentLength: false,
    });
    const started = Date.now();
    await assert.rejects(client.listProjects({}), (e: SynapseError) => e.message === tooLarge(PROJECTS));
    const elapsed = Date.now() - started;
    clearInterval(sampler);
    global.gc?.();
    const after = process.memoryUsage();
    const growth = (peakRss - before.rss) / MB;
    console.log(
      `      300 MB body refused after ${elapsed} ms: rss ${(before.rss / MB).toFixed(0)} MB → peak ${(peakRss / MB).toFixed(0)} MB` +
        ` (+${growth.toFixed(1)} MB) → ${(after.rss / MB).toFixed(0)} MB after; array buffers peak +${((peakBuffers - before.arrayBuffers) / MB).toFixed(1)} MB;` +
        ` heap ${(before.heapUsed / MB).toFixed(1)} → ${(after.heapUsed / MB).toFixed(1)} MB`,
    );
    assert.ok(growth < 64, `rss grew by ${growth.toFixed(1)} MB while refusing a 300 MB body`);
  });

  it('the tree shows what is wrong with the answer, with Retry, and loads once Synapse answers properly', async () => {
    const client = clientFor();
    const model = new ProjectsTreeModel({
      client: async () => client,
      pinnedProjects: () => [],
      settings: () => ({ projectFilter: 'ALL', projectSort: 'LAST_ACTIVITY', tagSort: 'CREATED_ON', registry: TEST_REGISTRY }),
    });
    await sandbox().admin('POST', 'respond', { pathPrefix: PROJECTS, status: 200, contentType: JSON_TYPE, body: '{}' });
    const [message] = (await model.children()) as MessageNode[];
    assert.equal(message.kind, 'message');
    assert.equal(message.text, `${shape('GET', PROJECTS, 'results is not a list.')} — Retry`);
    assert.equal(message.action, 'retry');
    assert.doesNotMatch(message.text, /not iterable|Cannot read|Couldn't reach/);
    model.reset(); // what Retry does
    const nodes = await model.children();
    assert.equal(nodes.filter((n) => n.kind === 'project').length, 50);
  });
});
