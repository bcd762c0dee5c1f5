// The Synapse sandbox's admin API (latency, fail, drop, throttle, stats, tokens, state, trash, reset),
// token stability across restarts and the CLI.
import * as assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { DEFAULT_SEED_FILE, RunningSandbox, loadSeed, startSandbox } from './server';
import { SandboxResponse, adminCall, sandboxRequest } from './server/client';
import { TEST_REGISTRY, useTestSandbox } from '../unit/helpers/inProcessSandbox';
import { isLoopback } from './server/http';
import { generateTokenKeyPair } from './server/tokens';

const REGISTRY = TEST_REGISTRY;
const CONCURRENT_REASON = 'Too many concurrent requests. Allowed 3 concurrent connections at any time.';
const FREQUENCY_REASON = 'Requests are too frequent. Allowed 600 requests every 60 seconds.';

interface Stat {
  method: string;
  path: string;
  userId: string | null;
  status: number;
  startedAt: number;
  endedAt: number;
}

describe('Synapse sandbox: admin API', function () {
  let sandbox: RunningSandbox;
  const tokens: Record<string, string> = {};
  const admin = (method: 'GET' | 'POST', path: string, body?: unknown) => adminCall(sandbox.url, method, path, body);
  const profile = (user?: string): Promise<SandboxResponse> =>
    sandboxRequest(sandbox.url, 'GET', '/repo/v1/userProfile', { token: user ? tokens[user] : undefined });
  const stats = async (): Promise<{ requests: Stat[]; maxConcurrentByUser: Record<string, number> }> => admin('GET', 'stats');

  // One sandbox for the suite, reset to the seed before each test.
  const testSandbox = useTestSandbox();
  beforeEach(function () {
    sandbox = testSandbox().sandbox;
    for (const user of sandbox.users()) tokens[user.userName] = user.token;
  });

  it('latency delays /repo/v1 and /docker/v1 answers until reset', async function () {
    assert.deepEqual(await admin('POST', 'latency', { ms: 250 }), { ms: 250 });
    assert.ok((await profile('alice')).ms >= 240);
    const token = await sandboxRequest(sandbox.url, 'GET', `/docker/v1/bearerToken?service=${REGISTRY}`);
    assert.equal(token.status, 200);
    assert.ok(token.ms >= 240);
    await admin('POST', 'reset');
    assert.ok((await profile('alice')).ms < 200);
  });

  it('fail answers the next N matching requests with the chosen status and a proper body', async function () {
    await admin('POST', 'fail', { count: 2, status: 503 });
    for (let i = 0; i < 2; i++) {
      const response = await profile('alice');
      assert.equal(response.status, 503);
      assert.deepEqual(response.json, {
        concreteType: 'org.sagebionetworks.repo.model.ErrorResponse',
        reason: 'Synapse is down for maintenance.',
      });
    }
    assert.equal((await profile('alice')).status, 200);
    assert.deepEqual(
      (await stats()).requests.map((r) => r.status),
      [503, 503, 200],
    );
  });

  it('fail can target a path prefix, a 429 and the docker endpoint, and count 0 clears it', async function () {
    await admin('POST', 'fail', { count: 1, status: 429, pathPrefix: '/repo/v1/projects' });
    assert.equal((await profile('alice')).status, 200);
    const throttled = await sandboxRequest(sandbox.url, 'GET', '/repo/v1/projects', { token: tokens.alice });
    assert.equal(throttled.status, 429);
    assert.deepEqual(throttled.json, { reason: FREQUENCY_REASON });
    assert.equal(throttled.headers.get('retry-after'), null);

    await admin('POST', 'fail', { count: 1, status: 500, pathPrefix: '/docker/v1/' });
    assert.equal((await sandboxRequest(sandbox.url, 'GET', `/docker/v1/bearerToken?service=${REGISTRY}`)).status, 500);

    await admin('POST', 'fail', { count: 5, status: 502 });
    await admin('POST', 'fail', { count: 0 });
    assert.equal((await profile('alice')).status, 200);
  });

  it('drop closes the connection without an answer', async function () {
    await admin('POST', 'drop', { count: 1 });
    await assert.rejects(profile('alice'));
    assert.equal((await profile('alice')).status, 200);
    assert.deepEqual(
      (await stats()).requests.map((r) => r.status),
      [0, 200],
    );
  });

  it('respond answers the next N matching requests with exactly the given status, content type and body', async function () {
    await admin('POST', 'respond', {
      count: 2,
      pathPrefix: '/repo/v1/userProfile',
      status: 200,
      contentType: 'text/html',
      body: '<html>proxy</html>',
    });
    for (let i = 0; i < 2; i++) {
      const response = await fetch(`${sandbox.url}/repo/v1/userProfile`, { headers: { Authorization: `Bearer ${tokens.alice}` } });
      assert.deepEqual(
        [response.status, response.headers.get('content-type'), await response.text()],
        [200, 'text/html', '<html>proxy</html>'],
      );
    }
    assert.equal((await profile('alice')).json.userName, 'alice', 'then Synapse answers again');
    // A generated body is streamed to exactly bodyBytes, with or without Content-Length.
    await admin('POST', 'respond', {
      pathPrefix: '/repo/v1/userProfile',
      contentType: 'application/json',
      bodyBytes: 200_000,
      contentLength: false,
    });
    const generated = await fetch(`${sandbox.url}/repo/v1/userProfile`);
    assert.equal(generated.headers.get('content-length'), null);
    const text = await generated.text();
    assert.equal(text.length, 200_000);
    assert.equal((JSON.parse(text) as { results: string[] }).results[0].length, 200_000 - '{"results":[""]}'.length);
    assert.deepEqual(
      (await stats()).requests.map((r) => r.status),
      [200, 200, 200, 200],
    );
    const invalid = await sandboxRequest(sandbox.url, 'POST', '/__admin/respond', { body: { body: 'x', bodyBytes: 1 } });
    assert.deepEqual([invalid.status, invalid.json.reason], [400, 'give body or bodyBytes, not both']);
    const badStatus = await sandboxRequest(sandbox.url, 'POST', '/__admin/respond', { body: { status: 99 } });
    assert.deepEqual([badStatus.status, badStatus.json.reason], [400, 'status must be an HTTP status (200-599)']);
  });

  it('stall holds matching requests without an answer (or after the headers) until the client leaves or reset', async function () {
    await admin('POST', 'stall', { count: 1, pathPrefix: '/repo/v1/userProfile' });
    await assert.rejects(fetch(`${sandbox.url}/repo/v1/userProfile`, { signal: AbortSignal.timeout(300) }), /aborted|timeout/i);
    await admin('POST', 'stall', { count: 1, pathPrefix: '/repo/v1/userProfile', sendHeaders: true });
    const headersOnly = await fetch(`${sandbox.url}/repo/v1/userProfile`);
    assert.equal(headersOnly.status, 200);
    const reading = headersOnly.text();
    await delay(200);
    await admin('POST', 'reset'); // ends the held response: the body never completes
    await assert.rejects(reading);
    assert.equal((await profile('alice')).status, 200, 'one stall each, then answers again');
    const badFlag = await sandboxRequest(sandbox.url, 'POST', '/__admin/stall', { body: { sendHeaders: 'yes' } });
    assert.deepEqual([badFlag.status, badFlag.json.reason], [400, 'sendHeaders must be a boolean']);
  });

  it('revoke makes a token fail with 401 on /repo/v1 and 500 on /docker/v1; reset restores seeded tokens', async function () {
    const { token } = await admin('POST', 'tokens', { userName: 'bob' });
    assert.deepEqual(await admin('POST', 'revoke', { token }), { ok: true });
    assert.equal((await sandboxRequest(sandbox.url, 'GET', '/repo/v1/userProfile', { token })).status, 401);
    const docker = await sandboxRequest(sandbox.url, 'GET', `/docker/v1/bearerToken?service=${REGISTRY}`, {
      basic: { user: 'bob', password: token },
    });
    // validateAccessToken throws a ForbiddenException DockerClientAuthFilter does not catch: a 500, not a 401.
    assert.deepEqual([docker.status, docker.json.reason], [500, 'The provided personal access token has expired or has been revoked.']);
    const again = await sandboxRequest(sandbox.url, 'POST', '/__admin/revoke', { body: { token } });
    assert.deepEqual([again.status, again.json.reason], [404, 'The sandbox did not issue this token.']);
    await admin('POST', 'revoke', { token: tokens.carol });
    assert.equal((await profile('carol')).status, 401);
    await admin('POST', 'reset');
    assert.equal((await profile('carol')).status, 200, 'the seeded token is issued again');
    assert.equal((await sandboxRequest(sandbox.url, 'GET', '/repo/v1/userProfile', { token })).status, 401, 'a minted one stays revoked');
  });

  it('stats record every API request and the most in flight per user', async function () {
    await admin('POST', 'latency', { ms: 200 });
    await Promise.all([profile('alice'), profile('alice'), profile('alice'), profile('bob'), profile()]);
    await sandboxRequest(sandbox.url, 'GET', `/docker/v1/bearerToken?service=${REGISTRY}`, { basic: { user: 'x', password: tokens.dave } });
    await sandboxRequest(sandbox.url, 'GET', '/repo/v1/userProfile', { token: 'bogus' });
    const { requests, maxConcurrentByUser } = await stats();
    assert.equal(requests.length, 7);
    assert.deepEqual(maxConcurrentByUser, { 3400001: 3, 3400002: 1, 273950: 1, 3400004: 1 });
    const alice = requests.filter((r) => r.userId === '3400001');
    assert.equal(alice.length, 3);
    for (const request of requests) {
      assert.equal(typeof request.startedAt, 'number');
      assert.ok(request.endedAt >= request.startedAt + 190, 'latency is inside the recorded interval');
    }
    assert.ok(
      alice.every((a) => alice.every((b) => a.startedAt < b.endedAt)),
      'the three overlapped',
    );
    const docker = requests.find((r) => r.path === '/docker/v1/bearerToken')!;
    assert.deepEqual([docker.method, docker.userId, docker.status], ['GET', '3400004', 200]);
    const rejected = requests[requests.length - 1];
    assert.deepEqual([rejected.userId, rejected.status], [null, 401]);

    await admin('POST', 'stats/reset');
    assert.deepEqual(await stats(), { requests: [], maxConcurrentByUser: {} });
  });

  it('throttle allows 3 concurrent requests per signed-in user on /repo/v1', async function () {
    await admin('POST', 'latency', { ms: 300 });
    assert.deepEqual(await admin('POST', 'throttle', { enabled: true }), { enabled: true });
    const answers = await Promise.all(Array.from({ length: 5 }, () => profile('alice')));
    assert.deepEqual(answers.map((r) => r.status).sort(), [200, 200, 200, 429, 429]);
    for (const rejected of answers.filter((r) => r.status === 429)) assert.deepEqual(rejected.json, { reason: CONCURRENT_REASON });
    // Other users, anonymous callers and the docker endpoint are not limited by alice's slots.
    const others = await Promise.all([
      ...Array.from({ length: 4 }, () => profile()),
      ...Array.from({ length: 4 }, () =>
        sandboxRequest(sandbox.url, 'GET', `/docker/v1/bearerToken?service=${REGISTRY}`, { basic: { user: 'a', password: tokens.alice } }),
      ),
    ]);
    assert.ok(others.every((r) => r.status === 200));
    assert.equal((await profile('alice')).status, 200, 'slots are released');
  });

  it('throttle allows 600 requests a minute per user', async function () {
    this.timeout(60_000);
    await admin('POST', 'throttle', { enabled: true });
    let accepted = 0;
    for (let batch = 0; batch < 200; batch++) {
      const answers = await Promise.all([profile('frank'), profile('frank'), profile('frank')]);
      accepted += answers.filter((r) => r.status === 200).length;
    }
    assert.equal(accepted, 600);
    const over = await profile('frank');
    assert.equal(over.status, 429);
    assert.deepEqual(over.json, { reason: FREQUENCY_REASON });
    assert.equal((await profile('bob')).status, 200);
    await admin('POST', 'throttle', { enabled: false });
    assert.equal((await profile('frank')).status, 200);
  });

  it('tokens mints new PATs with the requested scopes', async function () {
    const { token } = await admin('POST', 'tokens', { userName: 'bob', scopes: ['view', 'openid'] });
    assert.notEqual(token, tokens.bob);
    const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
    assert.deepEqual(claims.access.scope, ['view', 'openid']);
    const response = await sandboxRequest(sandbox.url, 'GET', '/repo/v1/userProfile', { token });
    assert.equal(response.json.userName, 'bob');
    const defaults = await admin('POST', 'tokens', { userName: 'carol' });
    assert.deepEqual(JSON.parse(Buffer.from(defaults.token.split('.')[1], 'base64url').toString()).access.scope, [
      'view',
      'download',
      'modify',
    ]);
    assert.equal((await sandboxRequest(sandbox.url, 'POST', '/__admin/tokens', { body: { userName: 'nobody' } })).status, 404);
    assert.equal(
      (await sandboxRequest(sandbox.url, 'POST', '/__admin/tokens', { body: { userName: 'bob', scopes: ['root'] } })).status,
      400,
    );
  });

  it('state describes users and projects', async function () {
    const state = await admin('GET', 'state');
    assert.deepEqual(state.users, sandbox.users());
    const alice = state.users.find((u: { userName: string }) => u.userName === 'alice');
    assert.deepEqual(alice, {
      userName: 'alice',
      ownerId: '3400001',
      token: tokens.alice,
      certified: true,
      scopes: ['view', 'download', 'modify'],
    });
    assert.deepEqual(state.users.find((u: { userName: string }) => u.userName === 'erin').scopes, ['view', 'download']);
    assert.equal(state.projects.length, 62); // 60 before the seed gained syn1000006 (access requirements) and syn1000007 (the challenge)
    const main = state.projects.find((p: { id: string }) => p.id === 'syn1000001');
    assert.equal(main.name, 'Alice Main Project');
    assert.equal(main.inTrash, false);
    assert.deepEqual(main.access.bob, ['READ', 'DOWNLOAD']);
    assert.deepEqual(main.access.carol, ['READ', 'DOWNLOAD', 'UPDATE', 'CREATE']);
    assert.deepEqual(main.access.dave, ['READ']);
    assert.equal(main.access.alice.length, 8);
    assert.equal(main.access.frank, undefined);
    assert.equal(state.projects.find((p: { id: string }) => p.id === 'syn1000002').inTrash, true);
    const team = state.projects.find((p: { id: string }) => p.id === 'syn1000004');
    assert.deepEqual(team.access.alice, ['READ', 'DOWNLOAD'], 'access through a team counts');
    const publicProject = state.projects.find((p: { id: string }) => p.id === 'syn1000003');
    assert.deepEqual(publicProject.access.frank, ['READ', 'DOWNLOAD'], 'access through public groups counts');
  });

  it('trash and restore move entities in and out of the trash can', async function () {
    await admin('POST', 'trash', { id: 'syn1000101' });
    const trashed = await sandboxRequest(sandbox.url, 'GET', '/repo/v1/entity/syn1000101', { token: tokens.alice });
    assert.deepEqual([trashed.status, trashed.json.reason], [404, 'Entity syn1000101 is in trash can.']);
    await admin('POST', 'restore', { id: 'syn1000101' });
    assert.equal((await sandboxRequest(sandbox.url, 'GET', '/repo/v1/entity/syn1000101', { token: tokens.alice })).status, 200);

    await admin('POST', 'trash', { id: 'syn1000004' });
    const projects = await sandboxRequest(sandbox.url, 'GET', '/repo/v1/projects', { token: tokens.bob });
    assert.deepEqual(
      projects.json.results.map((p: { id: string }) => p.id),
      ['syn1000001'],
    );
    assert.equal((await sandboxRequest(sandbox.url, 'GET', '/repo/v1/entity/syn1000401', { token: tokens.bob })).status, 404);
    assert.equal((await sandboxRequest(sandbox.url, 'POST', '/__admin/trash', { body: { id: 'syn1' } })).status, 404);
  });

  it('reset restores the seed and switches every control off', async function () {
    await admin('POST', 'trash', { id: 'syn1000001' });
    await admin('POST', 'throttle', { enabled: true });
    await admin('POST', 'fail', { count: 10, status: 500 });
    await admin('POST', 'reset');
    assert.equal((await sandboxRequest(sandbox.url, 'GET', '/repo/v1/entity/syn1000001', { token: tokens.alice })).status, 200);
    const answers = await Promise.all(Array.from({ length: 6 }, () => profile('alice')));
    assert.ok(answers.every((r) => r.status === 200));
  });

  it('validates admin requests and only answers loopback peers', async function () {
    assert.equal((await sandboxRequest(sandbox.url, 'POST', '/__admin/latency', { body: { ms: -1 } })).status, 400);
    assert.equal((await sandboxRequest(sandbox.url, 'POST', '/__admin/throttle', { body: { enabled: 'yes' } })).status, 400);
    assert.equal((await sandboxRequest(sandbox.url, 'POST', '/__admin/fail', { body: { count: 1, status: 200 } })).status, 400);
    assert.equal((await sandboxRequest(sandbox.url, 'GET', '/__admin/nothing')).status, 404);
    assert.ok(isLoopback('127.0.0.1') && isLoopback('::1') && isLoopback('::ffff:127.0.0.1'));
    assert.ok(!isLoopback('10.0.0.5') && !isLoopback('192.168.1.2') && !isLoopback('::ffff:10.0.0.5') && !isLoopback(undefined));
  });

  it('keeps seeded tokens stable across restarts; minted ones die with the process', async function () {
    const { token: minted } = await admin('POST', 'tokens', { userName: 'alice' });
    const restarted = await startSandbox({ port: 0, seed: loadSeed(), registryHost: REGISTRY });
    try {
      assert.deepEqual(
        restarted.users().map((u) => u.token),
        sandbox.users().map((u) => u.token),
      );
      const ok = await sandboxRequest(restarted.url, 'GET', '/repo/v1/userProfile', { token: tokens.alice });
      assert.equal(ok.json.userName, 'alice');
      assert.equal((await sandboxRequest(restarted.url, 'GET', '/repo/v1/userProfile', { token: minted })).status, 401);
    } finally {
      await restarted.close();
    }
    const otherSecret = await startSandbox({ port: 0, seed: { ...loadSeed(), tokenSecret: 'another secret' }, registryHost: REGISTRY });
    try {
      assert.equal((await sandboxRequest(otherSecret.url, 'GET', '/repo/v1/userProfile', { token: tokens.alice })).status, 401);
    } finally {
      await otherSecret.close();
    }
  });
});

describe('Synapse sandbox: CLI (main.js)', function () {
  let dir: string;
  let child: ChildProcess | undefined;

  beforeEach(function () {
    dir = mkdtempSync(join(tmpdir(), 'sandbox-cli-'));
  });

  afterEach(function () {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes the ready file, serves with the given key and listener secret, and stops on SIGTERM', async function () {
    const keys = await generateTokenKeyPair();
    writeFileSync(join(dir, 'key.pem'), keys.keyPem);
    writeFileSync(join(dir, 'cert.pem'), keys.certPem);
    const readyFile = join(dir, 'ready.json');
    child = spawn(
      process.execPath,
      [
        join(__dirname, 'main.js'),
        '--seed',
        DEFAULT_SEED_FILE,
        '--registry',
        REGISTRY,
        '--port',
        '0',
        '--token-key',
        join(dir, 'key.pem'),
        '--token-cert',
        join(dir, 'cert.pem'),
        '--listener-secret',
        'reg:s3cret:with-colon',
        '--ready-file',
        readyFile,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
    for (let i = 0; i < 100 && !existsSync(readyFile); i++) await delay(50);
    const ready = JSON.parse(readFileSync(readyFile, 'utf8'));
    assert.match(ready.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(ready.url, `http://127.0.0.1:${ready.port}`);
    assert.equal(ready.issuer, 'www.synapse.org');
    assert.equal(ready.tokenCertPem, keys.certPem);
    assert.equal(ready.users.length, 9); // grace (terms of use), heidi (access requirements) and oscar (challenge organiser) joined the seed
    assert.equal(ready.projects.length, 62);

    const alice = ready.users.find((u: { userName: string }) => u.userName === 'alice');
    assert.equal((await sandboxRequest(ready.url, 'GET', '/repo/v1/userProfile', { token: alice.token })).json.ownerId, '3400001');
    const events = await sandboxRequest(ready.url, 'POST', '/dockerRegistryListener/v1/events', {
      basic: { user: 'reg', password: 's3cret:with-colon' },
      body: { events: [] },
    });
    assert.equal(events.status, 204);

    child.kill('SIGTERM');
    assert.equal(await exited, 0);
  });

  it('fails with a usage message without --registry', async function () {
    const run = spawn(process.execPath, [join(__dirname, 'main.js')], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    run.stderr!.on('data', (chunk) => (stderr += String(chunk)));
    const code = await new Promise<number | null>((resolve) => run.once('exit', resolve));
    assert.equal(code, 1);
    assert.match(stderr, /--registry is required/);
  });
});
