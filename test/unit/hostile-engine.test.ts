// Hostile engines and endpoints, table-driven. A loopback "engine" on a unix socket answers the
// real client (dockerode, docker-modem, our operations) with crafted streams: every error shape,
// bad digests and image ids, huge lines, carriage-return storms, unknown events, truncated JSON,
// a BOM, invalid UTF-8. DOCKER_HOST values go through the real resolver and client factory.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  buildImage,
  createDockerClient,
  engineTransport,
  EngineTransport,
  listLocalImages,
  MAX_LINE_KEPT,
  pingDocker,
  pullImage,
  pushImage,
  resolveDockerEndpoint,
} from '../../src/core/docker';
import { makeTree } from './helpers/docker-fixtures';
import { SocketEngine } from './helpers/fake-engine';

const REGISTRY = '127.0.0.1:5999';
const REFERENCE = `${REGISTRY}/syn1000001/hostile:v1`;
const AUTH = { username: 'alice', password: 'not-a-real-token', serveraddress: REGISTRY };
const GOOD_DIGEST = `sha256:${'a'.repeat(64)}`;
const GOOD_ID = `sha256:${'b'.repeat(64)}`;

type Body = string | Buffer | (() => AsyncGenerator<string | Buffer>);

/** A unix-socket HTTP server that answers each Engine API route with what the current case says. */
class HostileEngine extends SocketEngine {
  body: Body = '';
  /** Answers of the non-stream routes. */
  images: unknown = [];
  version: unknown = { Version: '27.0.0', ApiVersion: '1.46' };

  constructor() {
    super('hostile-');
  }

  protected async answer(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    // Read the whole request (a build sends its context) before answering.
    for await (const chunk of req) void chunk;
    const url = (req.url ?? '').replace(/^\/v[0-9.]+\//, '/');
    const json = (value: unknown) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(value));
    };
    if (req.method === 'GET' && url === '/version') return json(this.version);
    if (req.method === 'GET' && url.startsWith('/images/json')) return json(this.images);
    if (req.method === 'GET' && /^\/images\/.+\/json$/.test(url)) return json({ Id: GOOD_ID, RepoTags: [REFERENCE] });
    res.writeHead(200, { 'content-type': 'application/json' });
    const body = this.body;
    if (typeof body !== 'function') {
      res.end(body);
      return;
    }
    for await (const piece of body()) {
      // Respect backpressure, so the server never buffers what the client has not read.
      if (!res.write(piece)) await new Promise((resolve) => res.once('drain', resolve));
    }
    res.end();
  }
}

const lines = (...events: unknown[]): string =>
  events.map((event) => (typeof event === 'string' ? event : JSON.stringify(event))).join('\n') + '\n';
const pushed = (digest: unknown = GOOD_DIGEST) => ({ progressDetail: {}, aux: { Tag: 'v1', Digest: digest, Size: 527 } });
const pullDone = [{ status: `Digest: ${GOOD_DIGEST}` }, { status: `Status: Downloaded newer image for ${REFERENCE}` }];

interface StreamCase {
  name: string;
  operation: 'push' | 'pull';
  body: Body;
  /** The digest the operation returns, or the exact error (name and message) it rejects with. */
  expect: { digest: string } | { error: string; message: string };
}

const STREAM_CASES: StreamCase[] = [
  {
    name: '{"error":123}: a number is still an error',
    operation: 'push',
    body: lines({ status: 'The push refers to repository' }, { error: 123 }, pushed()),
    expect: { error: 'DockerOperationError', message: `The push of ${REFERENCE} failed: 123` },
  },
  {
    name: '{"errorDetail":"denied: nope"}: a string detail, recognised as a registry refusal',
    operation: 'push',
    body: lines({ errorDetail: 'denied: nope' }),
    expect: { error: 'RegistryDeniedError', message: `The registry refused the push of ${REFERENCE}: denied: nope` },
  },
  {
    name: '{"error":{...}}: an object without message is quoted as JSON',
    operation: 'push',
    body: lines({ error: { code: 'BLOB_UPLOAD_INVALID', detail: 'x' } }),
    expect: { error: 'DockerOperationError', message: `The push of ${REFERENCE} failed: {"code":"BLOB_UPLOAD_INVALID","detail":"x"}` },
  },
  {
    name: '{"error":{"message":…}}: an object with a message gives the message',
    operation: 'pull',
    body: lines({ error: { message: 'manifest unknown' } }),
    expect: { error: 'DockerOperationError', message: `The pull of ${REFERENCE} failed: manifest unknown` },
  },
  {
    name: '{"errorDetail":{"message","code"},"error"}: the detail\'s message wins',
    operation: 'push',
    body: lines({ errorDetail: { message: 'unknown blob', code: 7 }, error: 'other text' }),
    expect: { error: 'DockerOperationError', message: `The push of ${REFERENCE} failed: unknown blob` },
  },
  {
    name: '{"error":""}: an empty error still ends the operation',
    operation: 'push',
    body: lines({ error: '' }, pushed()),
    expect: {
      error: 'DockerOperationError',
      message: `The push of ${REFERENCE} failed: The Docker engine reported an error without a message.`,
    },
  },
  {
    name: '{"message":"…"}: the engine\'s error-body shape inside a stream',
    operation: 'pull',
    body: lines({ message: 'toomanyrequests: slow down' }, ...pullDone),
    expect: { error: 'DockerOperationError', message: `The pull of ${REFERENCE} failed: toomanyrequests: slow down` },
  },
  {
    name: "a non-JSON line (a proxy's page) is quoted",
    operation: 'push',
    body: lines('<html><body>502 Bad Gateway</body></html>', pushed()),
    expect: {
      error: 'DockerOperationError',
      message: `The push of ${REFERENCE} failed: The Docker engine sent a line that is not a JSON object: <html><body>502 Bad Gateway</body></html>`,
    },
  },
  {
    name: 'JSON that is not an object ([1,2]) is not an event',
    operation: 'pull',
    body: lines('[1,2]', ...pullDone),
    expect: {
      error: 'DockerOperationError',
      message: `The pull of ${REFERENCE} failed: The Docker engine sent a line that is not a JSON object: [1,2]`,
    },
  },
  {
    name: 'a digest carrying a shell command is rejected, never returned',
    operation: 'push',
    body: lines(pushed('sha256:abc; rm -rf ~')),
    expect: {
      error: 'DockerOperationError',
      message: `The push of ${REFERENCE} failed: The Docker engine reported a digest that is not a sha256 digest: "sha256:abc; rm -rf ~"`,
    },
  },
  {
    name: 'a digest in upper case hex is rejected',
    operation: 'push',
    body: lines(pushed(`sha256:${'A'.repeat(64)}`)),
    expect: {
      error: 'DockerOperationError',
      message: `The push of ${REFERENCE} failed: The Docker engine reported a digest that is not a sha256 digest: "sha256:${'A'.repeat(64)}"`,
    },
  },
  {
    name: 'a digest that is not a string ({"Digest":42}) is rejected',
    operation: 'push',
    body: lines(pushed(42)),
    expect: {
      error: 'DockerOperationError',
      message: `The push of ${REFERENCE} failed: The Docker engine reported a digest that is not a sha256 digest: 42`,
    },
  },
  {
    name: 'a pull\'s "Digest:" status with a bad digest is rejected',
    operation: 'pull',
    body: lines({ status: 'Digest: sha256:zz`touch /tmp/x`' }, { status: `Status: Downloaded newer image for ${REFERENCE}` }),
    // (The digest is the status's word after "Digest:"; the rest of the line is not part of it.)
    expect: {
      error: 'DockerOperationError',
      message: `The pull of ${REFERENCE} failed: The Docker engine reported a digest that is not a sha256 digest: "sha256:zz\`touch"`,
    },
  },
  {
    name: 'a push stream that ends without the final aux event',
    operation: 'push',
    body: lines({ status: 'The push refers to repository' }, { status: 'Pushed', id: 'cccccccccccc', progressDetail: {} }),
    expect: { error: 'DockerOperationError', message: `The push of ${REFERENCE} ended without a digest from the registry.` },
  },
  {
    name: 'a pull stream that ends before its "Status:" line',
    operation: 'pull',
    body: lines({ status: 'Pulling from syn1000001/hostile', id: 'v1' }, { status: `Digest: ${GOOD_DIGEST}` }),
    expect: { error: 'DockerOperationError', message: `The pull of ${REFERENCE} ended before the Docker engine reported its result.` },
  },
  {
    name: 'truncated JSON at the end of the stream',
    operation: 'push',
    body: lines(pushed()) + '{"status":"Pushing","id":"cccc',
    expect: {
      error: 'DockerOperationError',
      message: `The push of ${REFERENCE} failed: The answer of the Docker engine ended in the middle of a line: {"status":"Pushing","id":"cccc`,
    },
  },
  {
    name: 'a byte order mark before the first event is ignored',
    operation: 'push',
    body: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(lines({ status: 'The push refers to repository' }, pushed()))]),
    expect: { digest: GOOD_DIGEST },
  },
  {
    name: 'invalid UTF-8 inside a status is replaced, not fatal',
    operation: 'pull',
    body: Buffer.concat([Buffer.from('{"status":"Pulling \xff\xfe from"}\n', 'latin1'), Buffer.from(lines(...pullDone))]),
    expect: { digest: GOOD_DIGEST },
  },
  {
    name: 'unknown event types and fields are ignored',
    operation: 'push',
    body: lines(
      { foo: 1 },
      { aux: { Other: true } },
      { status: 'Something new', id: 'not-a-layer' },
      { status: 'Zapping', id: 'dddddddddddd', progressDetail: { current: -5, total: 'x' } },
      pushed(),
    ),
    expect: { digest: GOOD_DIGEST },
  },
  {
    name: 'a 2 MB status line is cut, not parsed, and ends the push as an error',
    operation: 'push',
    body: async function* () {
      yield '{"status":"';
      for (let i = 0; i < 32; i++) yield 'x'.repeat(64 * 1024);
      yield '"}\n';
      yield lines(pushed());
    },
    expect: {
      error: 'DockerOperationError',
      message: `The push of ${REFERENCE} failed: The Docker engine sent a line of more than 1048576 characters that is not output: {"status":"${'x'.repeat(200 - 11)}…`,
    },
  },
];

describe('hostile engine streams (a crafted engine on a loopback socket, the real client)', function () {
  this.timeout(60_000);
  const engine = new HostileEngine();
  const docker = () => createDockerClient(engine.endpoint);
  const dirs: string[] = [];

  before(() => engine.listen());
  after(async () => {
    await engine.close();
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  for (const testCase of STREAM_CASES) {
    it(`${testCase.operation}: ${testCase.name}`, async () => {
      engine.body = testCase.body;
      const options = { docker: docker(), endpoint: engine.endpoint, reference: REFERENCE, auth: AUTH };
      const run = testCase.operation === 'push' ? pushImage(options) : pullImage(options);
      if ('digest' in testCase.expect) {
        assert.equal(await run, testCase.expect.digest);
        return;
      }
      const expected = testCase.expect;
      await assert.rejects(run, (error: Error) => {
        assert.equal(error.name, expected.error, error.message);
        assert.equal(error.message, expected.message);
        return true;
      });
    });
  }

  function context(): string {
    const dir = makeTree({ Dockerfile: 'FROM scratch\n' });
    dirs.push(dir);
    return dir;
  }

  it('build: 20,000 carriage-return progress updates cost well under a second of CPU and keep the last state', async () => {
    engine.body = async function* () {
      yield lines({ stream: 'Step 1/1 : RUN fetch\n' });
      let batch = '';
      for (let i = 0; i < 20_000; i++) {
        batch += `${JSON.stringify({ stream: `\rdownloading ${i} ${'#'.repeat(i % 70)}` })}\n`;
        if (i % 500 === 499) {
          yield batch;
          batch = '';
        }
      }
      yield lines({ stream: '\n' }, { aux: { ID: GOOD_ID } }, { stream: `Successfully built ${'b'.repeat(12)}\n` });
    };
    const output: string[] = [];
    const cpu = process.cpuUsage();
    const result = await buildImage({ docker: docker(), contextDir: context(), tags: [REFERENCE], onOutput: (line) => output.push(line) });
    const used = process.cpuUsage(cpu);
    const cpuMs = (used.user + used.system) / 1000;
    console.log(`      20,000 CR updates: ${cpuMs.toFixed(0)} ms of CPU (client and crafted engine together)`);
    assert.equal(result.imageId, GOOD_ID);
    assert.ok(output.includes(`downloading 19999 ${'#'.repeat(19_999 % 70)}`), 'the last state of the line is kept');
    assert.ok(!output.some((line) => line.includes('downloading 19998')), 'overwritten states are not');
    assert.ok(cpuMs < 1000, `${cpuMs} ms of CPU`);
  });

  it('build: a 64 MB output line finishes quickly with bounded memory, cut to 64 KiB with a marker', async () => {
    const piece = 'y'.repeat(16 * 1024);
    engine.body = async function* () {
      for (let i = 0; i < 4096; i++) yield `${JSON.stringify({ stream: piece })}\n`;
      yield lines({ stream: '\nafter\n' }, { aux: { ID: GOOD_ID } });
    };
    const output: string[] = [];
    const rssBefore = process.memoryUsage().rss;
    let peak = rssBefore;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    const started = Date.now();
    try {
      const result = await buildImage({
        docker: docker(),
        contextDir: context(),
        tags: [REFERENCE],
        onOutput: (line) => output.push(line),
      });
      assert.equal(result.imageId, GOOD_ID);
    } finally {
      clearInterval(sampler);
    }
    const ms = Date.now() - started;
    const grownMb = (peak - rssBefore) / 1024 ** 2;
    console.log(`      64 MB line: ${ms} ms, RSS grew by ${grownMb.toFixed(1)} MB`);
    const long = output.find((line) => line.startsWith('yyyy'));
    assert.ok(long, 'the long line is shown');
    assert.equal(long, `${piece.repeat(4)} … [${64 * 1024 * 1024 - MAX_LINE_KEPT} more characters of this line were dropped.]`);
    assert.ok(output.includes('after'), 'output after the long line is not lost');
    assert.ok(ms < 10_000, `${ms} ms`);
    assert.ok(grownMb < 100, `RSS grew by ${grownMb.toFixed(1)} MB`);
  });

  it('build: a single 64 MB NDJSON event is not buffered whole: its text is kept up to the cap, with a marker', async () => {
    engine.body = async function* () {
      yield lines({ stream: 'Step 1/1 : RUN big\n' });
      yield '{"stream":"';
      for (let i = 0; i < 1024; i++) yield 'z'.repeat(64 * 1024);
      yield '\\n"}\n';
      yield lines({ stream: 'after\n' }, { aux: { ID: GOOD_ID } });
    };
    const output: string[] = [];
    const started = Date.now();
    const result = await buildImage({ docker: docker(), contextDir: context(), tags: [REFERENCE], onOutput: (line) => output.push(line) });
    assert.equal(result.imageId, GOOD_ID);
    const long = output.find((line) => line.startsWith('zzz'));
    const kept = MAX_LINE_KEPT - 256 - '{"stream":"'.length;
    assert.equal(long, `${'z'.repeat(kept)} … [${64 * 1024 * 1024 + 4 - kept} more characters of this line were dropped.]`);
    assert.ok(output.includes('after'));
    assert.ok(Date.now() - started < 10_000, `${Date.now() - started} ms`);
  });

  it('build: an image id that is not a sha256 digest fails the build, naming it', async () => {
    engine.body = lines({ stream: 'Step 1/1 : FROM scratch\n' }, { aux: { ID: 'sha256:../../etc/passwd' } });
    await assert.rejects(buildImage({ docker: docker(), contextDir: context(), tags: [REFERENCE] }), {
      name: 'BuildFailedError',
      message:
        'The build failed at Step 1/1 : FROM scratch: The Docker engine reported an image id that is not a sha256 digest: "sha256:../../etc/passwd"',
    });
  });

  it("build: a stream that ends without an image id never falls back to the tag's old image", async () => {
    engine.body = lines({ stream: 'Step 1/2 : FROM scratch\n' });
    await assert.rejects(buildImage({ docker: docker(), contextDir: context(), tags: [REFERENCE] }), {
      name: 'DockerOperationError',
      message: 'The build ended without reporting an image.',
    });
  });

  it('list: an answer that is not a list is named', async () => {
    engine.images = { images: [] };
    await assert.rejects(listLocalImages(docker(), { endpoint: engine.endpoint }), {
      name: 'DockerOperationError',
      message: 'The Docker engine answered the image list with something that is not a list.',
    });
  });

  it('ping: something that answers, but not as an engine does', async () => {
    engine.version = { hello: 'world' };
    await assert.rejects(pingDocker(docker(), engine.endpoint), {
      name: 'DockerUnreachableError',
      message: `Something answers at ${engine.endpoint.host}, but not as a Docker engine does.`,
    });
  });
});

interface HostCase {
  host: string;
  env?: NodeJS.ProcessEnv;
  /** How credentials would travel, or the exact error the client factory throws. */
  expect: { transport: EngineTransport; shownHost: string } | { error: string };
}

const SSH_REFUSAL = (host: string, destination: string) =>
  `Docker engines over ssh:// (${host}) are not supported yet: the extension cannot check the host key against your known_hosts. ` +
  `Forward the engine to a local socket instead (ssh -NL /tmp/docker-remote.sock:/var/run/docker.sock ${destination}) and set ` +
  'synapseDocker.dockerHost to unix:///tmp/docker-remote.sock, or use a Docker context with TLS.';

const HOST_CASES: HostCase[] = [
  { host: 'unix:///var/run/docker.sock', expect: { transport: 'local', shownHost: 'unix:///var/run/docker.sock' } },
  { host: 'tcp://127.0.0.1:2375', expect: { transport: 'loopback', shownHost: '127.0.0.1:2375' } },
  { host: 'tcp://127.8.9.10:2375', expect: { transport: 'loopback', shownHost: '127.8.9.10:2375' } },
  { host: 'tcp://localhost:2375', expect: { transport: 'loopback', shownHost: 'localhost:2375' } },
  { host: 'tcp://[::1]:2375', expect: { transport: 'loopback', shownHost: '[::1]:2375' } },
  { host: 'http://127.0.0.1:2375', expect: { transport: 'loopback', shownHost: '127.0.0.1:2375' } },
  { host: 'tcp://10.0.0.5:2375', expect: { transport: 'plain', shownHost: '10.0.0.5:2375' } },
  { host: 'tcp://build.example:2375', expect: { transport: 'plain', shownHost: 'build.example:2375' } },
  { host: 'tcp://127.0.0.1.example:2375', expect: { transport: 'plain', shownHost: '127.0.0.1.example:2375' } },
  { host: 'tcp://10.0.0.5:2376', env: { DOCKER_TLS_VERIFY: '1' }, expect: { transport: 'tls', shownHost: '10.0.0.5:2376' } },
  { host: 'https://10.0.0.5:2376', expect: { transport: 'tls', shownHost: '10.0.0.5:2376' } },
  { host: 'tcp://', expect: { error: 'The Docker host "tcp://" names no host (expected tcp://host:port).' } },
  {
    host: 'unix://docker.sock',
    expect: { error: 'The Docker host "unix://docker.sock" names no absolute socket path (expected unix:///path/to/docker.sock).' },
  },
  { host: 'unix://', expect: { error: 'The Docker host "unix://" names no absolute socket path (expected unix:///path/to/docker.sock).' } },
  { host: 'ssh://me@build.example:2222', expect: { error: SSH_REFUSAL('ssh://me@build.example:2222', 'me@build.example -p 2222') } },
  { host: 'ssh://build.example', expect: { error: SSH_REFUSAL('ssh://build.example', 'build.example') } },
  {
    host: 'docker.sock',
    expect: { error: 'The Docker host "docker.sock" is not a URL (expected unix:///path, npipe:////./pipe/name, tcp://host:port).' },
  },
  {
    host: '::::',
    expect: { error: 'The Docker host "::::" is not a URL (expected unix:///path, npipe:////./pipe/name, tcp://host:port).' },
  },
  {
    host: 'ftp://127.0.0.1:21',
    expect: { error: 'Unsupported Docker host "ftp://127.0.0.1:21" (expected unix:///path, npipe:////./pipe/name, tcp://host:port).' },
  },
];

describe('hostile DOCKER_HOST values (the real resolver and client factory)', () => {
  for (const testCase of HOST_CASES) {
    const label = `${testCase.host}${
      testCase.env
        ? ` with ${Object.entries(testCase.env)
            .map(([k, v]) => `${k}=${v}`)
            .join(' ')}`
        : ''
    }`;
    it(`${label} → ${'error' in testCase.expect ? 'refused' : testCase.expect.transport}`, async () => {
      const home = fs.mkdtempSync(path.join(os.tmpdir(), 'hostile-home-'));
      try {
        const endpoint = await resolveDockerEndpoint({ env: { DOCKER_HOST: testCase.host, ...testCase.env }, homeDir: home });
        assert.equal(endpoint.host, testCase.host);
        if ('error' in testCase.expect) {
          assert.throws(() => createDockerClient(endpoint), { message: testCase.expect.error });
          assert.throws(() => engineTransport(endpoint), { message: testCase.expect.error });
          return;
        }
        createDockerClient(endpoint); // constructing a client sends nothing
        assert.deepEqual(engineTransport(endpoint), { transport: testCase.expect.transport, host: testCase.expect.shownHost });
      } finally {
        fs.rmSync(home, { recursive: true, force: true });
      }
    });
  }
});
