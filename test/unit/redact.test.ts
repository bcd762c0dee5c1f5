// The one redactor (src/core/util/redact.ts) and the exits it guards: a Synapse server that echoes
// the Authorization header (into a 500 body, a 500 JSON reason, a 200 HTML page), and an engine
// stream that echoes the X-Registry-Auth header. Both servers are tiny loopback fakes started here:
// no real Synapse or engine echoes, which is exactly the hostile case.
import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import Docker from 'dockerode';
import { redact, registerSecret, REDACTED_CREDENTIALS, REDACTED_TOKEN } from '../../src/core/util/redact';
import { SignInError, verifyToken } from '../../src/core/synapse/signIn';
import { SynapseError } from '../../src/core/synapse/errors';
import { checkRegistryAuth, DockerOperationError, pullImage, pushImage, RegistryDeniedError } from '../../src/core/docker/operations';
import { leaks } from './helpers/leaks';

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A token shaped like a Synapse PAT (view, download, modify), unique to the test. */
export function patShapedToken(): string {
  const header = b64url({ alg: 'HS256', typ: 'JWT' });
  const payload = b64url({
    sub: '3400001',
    jti: crypto.randomUUID(),
    token_type: 'PERSONAL_ACCESS_TOKEN',
    access: { scope: ['view', 'download', 'modify'] },
  });
  return `${header}.${payload}.${crypto.randomBytes(32).toString('base64url')}`;
}

/** A secret that is not a JWT, so only the registry (not the JWT pattern) can find it. */
const plainSecret = () => crypto.randomBytes(36).toString('base64url');

function assertClean(text: string, secret: string, where: string): void {
  assert.deepEqual(leaks(text, secret), [], `${where} betrays the secret:\n${text}`);
}

describe('the redactor', () => {
  it('removes anything shaped like a JWT, registered or not', () => {
    const token = patShapedToken();
    assert.equal(redact(`header Bearer ${token} end`), `header Bearer ${REDACTED_TOKEN} end`);
  });

  it('removes a registered secret that is not a JWT, whole and as any 16+ characters of it', () => {
    const secret = plainSecret();
    assert.equal(redact(`x ${secret} y`), `x ${secret} y`, 'not registered yet: left alone');
    registerSecret(secret);
    assert.equal(redact(`x ${secret} y`), `x ${REDACTED_TOKEN} y`);
    assert.equal(redact(`cut: ${secret.slice(0, 16)}`), `cut: ${REDACTED_TOKEN}`);
    assert.equal(redact(`mid:${secret.slice(5, 30)}:end`), `mid:${REDACTED_TOKEN}:end`);
    assert.equal(redact(`tail=${secret.slice(-20)}`), `tail=${REDACTED_TOKEN}`);
    // Fifteen characters are below the rule: documented, and asserted so a change is deliberate.
    assert.equal(redact(`short ${secret.slice(0, 15)}`), `short ${secret.slice(0, 15)}`);
  });

  it('removes a token split across the text (a wrapped line, an excerpt)', () => {
    const token = patShapedToken();
    registerSecret(token);
    const half = Math.floor(token.length / 2);
    const split = `first ${token.slice(0, half)}\n${token.slice(half)} last`;
    assert.equal(redact(split), `first ${REDACTED_TOKEN}\n${REDACTED_TOKEN} last`);
    const excerpt = `Authorization: Bearer ${token}`.slice(0, 120);
    assert.equal(redact(excerpt), `Authorization: Bearer ${REDACTED_TOKEN}`);
    assertClean(redact(`${token.slice(3, 40)} and ${token.slice(60, 90)} and ${token.slice(-30)}`), token, 'three pieces');
  });

  it('removes each dot-separated part of 8+ characters, even shorter than 16', () => {
    const secret = `Ab3dEf6hIj.Kl9nOp2r.${crypto.randomBytes(6).toString('hex')}`;
    registerSecret(secret);
    assert.equal(redact('part Kl9nOp2r alone'), `part ${REDACTED_TOKEN} alone`);
    assert.equal(redact('part Ab3dEf6hIj alone'), `part ${REDACTED_TOKEN} alone`);
    assert.equal(redact('too short: Kl9nOp2'), 'too short: Kl9nOp2');
  });

  it('removes the base64 and base64url X-Registry-Auth of an authconfig holding the token, at every alignment', () => {
    const token = patShapedToken();
    registerSecret(token);
    // Usernames of 0-5 characters put the password at every offset modulo 3 in the JSON.
    for (const username of ['', 'a', 'ab', 'abc', 'abcd', 'abcde']) {
      const authconfigs = [
        { username, password: token, serveraddress: '127.0.0.1:5000' },
        { serveraddress: 'docker.synapse.org', email: 'x@example.org', password: token, username, auth: '' },
      ];
      for (const authconfig of authconfigs) {
        const json = Buffer.from(JSON.stringify(authconfig));
        for (const encoded of [
          json.toString('base64'),
          json.toString('base64url'),
          json.toString('base64').replace(/\+/g, '-').replace(/\//g, '_'),
        ]) {
          const text = `X-Registry-Auth: ${encoded}\r\nnext`;
          assert.equal(redact(text), `X-Registry-Auth: ${REDACTED_CREDENTIALS}\r\nnext`, `username "${username}"`);
        }
      }
    }
    const basic = Buffer.from(`alice:${token}`).toString('base64');
    assert.equal(redact(`Authorization: Basic ${basic}`), `Authorization: Basic ${REDACTED_CREDENTIALS}`);
    const truncated = Buffer.from(JSON.stringify({ username: 'alice', password: token }))
      .toString('base64url')
      .slice(0, 150);
    assertClean(redact(`echo ${truncated}`), token, 'a truncated X-Registry-Auth');
  });

  it('redacts with secrets passed to the call, without registering them', () => {
    const secret = plainSecret();
    assert.equal(redact(`a ${secret} b`, [secret]), `a ${REDACTED_TOKEN} b`);
    assert.equal(redact(`a ${secret} b`), `a ${secret} b`);
  });

  it('leaves ordinary text alone: digests, image names, ids, URLs, short secrets', () => {
    for (let i = 0; i < 4; i++) registerSecret(patShapedToken());
    registerSecret('short'); // under 8 characters: not registered, or every "short" would go
    const ordinary = [
      'sha256:0f3e9d1c2b4a59687766554433221100ffeeddccbbaa99887766554433221100',
      '127.0.0.1:5000/syn1000001/my-image:v1.2.3@sha256:9b2c0a4e1d7f3a6b8c5d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b',
      'docker.synapse.org/syn12345678/analysis-pipeline_2024:latest',
      'GET /repo/v1/entity/syn1000001/dockerTag?limit=50&offset=0 → 200 in 12 ms',
      'Signed in to https://repo-prod.prod.sagebase.org/repo/v1 as alice (3400001); token scopes: view, download, modify',
      'Step 3/5 : RUN make -j4 && echo short done',
      'aGVsbG8gd29ybGQsIHRoaXMgaXMgYmFzZTY0IHRleHQ=',
    ];
    for (const text of ordinary) assert.equal(redact(text), text);
  });

  it('is idempotent and keeps a long text fast', () => {
    const token = patShapedToken();
    registerSecret(token);
    const text = `a ${token} b ${Buffer.from(token).toString('base64')} c`;
    assert.equal(redact(redact(text)), redact(text));
    const big = `${crypto.randomBytes(600_000).toString('base64')} ${'word '.repeat(100_000)}`;
    const started = Date.now();
    assert.equal(redact(big), big);
    assert.ok(Date.now() - started < 2000, `1.3 MB took ${Date.now() - started} ms`);
  });
});

// ---- a Synapse that echoes the Authorization header -----------------------------------------

type EchoMode = '500-text' | '500-json' | '200-html';

async function startEchoServer(mode: EchoMode): Promise<{ url: string; requests: number; close(): Promise<void> }> {
  const state = { requests: 0 };
  const server = http.createServer((req, res) => {
    state.requests++;
    const auth = String(req.headers.authorization ?? '');
    if (mode === '500-json') {
      res.writeHead(500, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ reason: `Bad header ${auth} (as base64: ${Buffer.from(auth).toString('base64')})` }));
    } else if (mode === '500-text') {
      res.writeHead(500, { 'Content-Type': 'text/plain' });
      res.end(`Proxy error. Your request carried Authorization: ${auth}`);
    } else {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end(`<html><body><h1>Sign in</h1><p>We saw: ${auth}</p></body></html>`);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get requests() {
      return state.requests;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('a Synapse that echoes the Authorization header cannot show the token', () => {
  const FAST = { maxRetries: 1, baseDelayMs: 1, maxDelayMs: 2, throttledBaseDelayMs: 1 };

  for (const mode of ['500-text', '500-json', '200-html'] as const) {
    it(`in a ${mode} answer: neither the error's message, its reason, nor the log`, async () => {
      const server = await startEchoServer(mode);
      const token = patShapedToken(); // never registered before: verifyToken registers it
      const logged: string[] = [];
      const log = (line: string) => logged.push(line);
      try {
        const error = await verifyToken(token, {
          endpoint: server.url,
          retry: FAST,
          logger: { trace: log, debug: log, info: log, warn: log, error: log },
        }).then(
          () => assert.fail('the sign-in must fail'),
          (e: unknown) => e,
        );
        assert.ok(error instanceof SynapseError, `expected a SynapseError, got ${String(error)}`);
        assert.ok(server.requests >= 1, 'the request was made');
        if (mode !== '200-html') {
          assert.equal(error.status, 500);
          assert.match(error.message, /^Synapse GET \/repo\/v1\/userProfile failed \(500\): /);
          assert.ok(error.reason?.includes(REDACTED_TOKEN), `the reason keeps its text around the redaction: ${error.reason}`);
        }
        assertClean(error.message, token, 'SynapseError.message');
        assertClean(error.reason ?? '', token, 'SynapseError.reason');
        assertClean(logged.join('\n'), token, 'the log');
        assert.ok(logged.length >= 1, 'the retry was logged');
      } finally {
        await server.close();
      }
    });
  }
});

// ---- an engine that echoes X-Registry-Auth ---------------------------------------------------

/**
 * Just enough of the Engine API for pushImage, pullImage and checkRegistryAuth: the image exists,
 * and every answer quotes the X-Registry-Auth header (and the decoded password) back.
 */
async function startEchoEngine(): Promise<{ docker: Docker; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const header = String(req.headers['x-registry-auth'] ?? '');
      const decoded = header ? (JSON.parse(Buffer.from(header, 'base64url').toString()) as { password?: string }) : {};
      const url = new URL(req.url ?? '/', 'http://engine');
      if (req.method === 'GET' && url.pathname.endsWith('/json')) {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ Id: `sha256:${'1'.repeat(64)}`, RepoTags: [], RepoDigests: [] }));
      } else if (req.method === 'POST' && url.pathname.endsWith('/push')) {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.write(`${JSON.stringify({ status: 'The push refers to repository [127.0.0.1:5000/syn123/echo]' })}\n`);
        const error = `denied: requested access to the resource is denied (auth ${header})`;
        res.end(`${JSON.stringify({ errorDetail: { message: error }, error })}\n`);
      } else if (req.method === 'POST' && url.pathname.endsWith('/images/create')) {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        const error = `Get "http://127.0.0.1:5000/v2/": unexpected password ${decoded.password}`;
        res.end(`${JSON.stringify({ errorDetail: { message: error }, error })}\n`);
      } else if (req.method === 'POST' && url.pathname.endsWith('/auth')) {
        const sent = JSON.parse(body || '{}') as { password?: string };
        res.writeHead(500, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ message: `login attempt with ${sent.password} as ${Buffer.from(body).toString('base64')} failed` }));
      } else {
        res.writeHead(404, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ message: `no route ${req.method} ${url.pathname}` }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    docker: new Docker({ host: '127.0.0.1', port, protocol: 'http' }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('an engine that echoes the credentials cannot show them', () => {
  let engine: Awaited<ReturnType<typeof startEchoEngine>>;
  before(async () => {
    engine = await startEchoEngine();
  });
  after(() => engine.close());

  // Each test uses a secret nobody registered: the operation redacts with the auth it was given.
  const freshAuth = () => ({ username: 'alice', password: plainSecret(), serveraddress: '127.0.0.1:5000' });

  it('a push whose denial quotes X-Registry-Auth', async () => {
    const auth = freshAuth();
    const error = await pushImage({ docker: engine.docker, reference: '127.0.0.1:5000/syn123/echo:v1', auth }).then(
      () => assert.fail('the push must fail'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof RegistryDeniedError, String(error));
    assert.equal(error.raw, `denied: requested access to the resource is denied (auth ${REDACTED_CREDENTIALS})`);
    assert.equal(
      error.message,
      `The registry refused the push of 127.0.0.1:5000/syn123/echo:v1: denied: requested access to the resource is denied (auth ${REDACTED_CREDENTIALS})`,
    );
    assertClean(`${error.message}\n${error.raw}`, auth.password, 'the push error');
  });

  it('a pull whose failure quotes the password', async () => {
    const auth = freshAuth();
    const error = await pullImage({ docker: engine.docker, reference: '127.0.0.1:5000/syn123/echo:v1', auth }).then(
      () => assert.fail('the pull must fail'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof DockerOperationError, String(error));
    assert.equal(error.raw, `Get "http://127.0.0.1:5000/v2/": unexpected password ${REDACTED_TOKEN}`);
    assertClean(`${error.message}\n${error.raw}`, auth.password, 'the pull error');
  });

  it('a login whose HTTP error quotes the password and the base64 body', async () => {
    const auth = freshAuth();
    const error = await checkRegistryAuth(engine.docker, auth).then(
      () => assert.fail('the login must fail'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof DockerOperationError, String(error));
    assert.equal(error.raw, `login attempt with ${REDACTED_TOKEN} as ${REDACTED_CREDENTIALS} failed`);
    assertClean(`${error.message}\n${error.raw}`, auth.password, 'the login error');
  });
});

describe('sign-in refuses a malformed token before any request', () => {
  it('names the character and its position, never the token', async () => {
    const server = await startEchoServer('500-text');
    try {
      const token = patShapedToken();
      const broken = `${token.slice(0, 30)}\r\n${token.slice(30)}`;
      const error = await verifyToken(broken, { endpoint: server.url }).then(
        () => assert.fail('must be refused'),
        (e: unknown) => e,
      );
      assert.ok(error instanceof SignInError);
      assert.equal(
        error.message,
        'The token contains a line break (U+000D) at position 31. A personal access token is one line of letters, digits, dots, dashes and underscores; copy it again from your Synapse account settings.',
      );
      assert.equal(server.requests, 0, 'no request may be made with such a token');
      assertClean(error.message, token, 'the refusal');
    } finally {
      await server.close();
    }
  });
});
