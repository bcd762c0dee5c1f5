// What the engine really receives: a recording proxy sits in front of the stack's engine socket
// and keeps every byte the client sends. Options meant for the client (the abort signal) must
// never reach the query string or a body, and the login body is exactly the authconfig.
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import type Docker from 'dockerode';
import {
  buildImage,
  checkRegistryAuth,
  createDockerClient,
  DockerEndpoint,
  imageExists,
  listLocalImages,
  pullImage,
  pushImage,
  RegistryAuth,
} from '../../src/core/docker';
import { BASE_IMAGE, ImageJanitor, makeTree, sandboxUser, stackEngine, uniqueId } from './helpers/docker-fixtures';
import { RecordingProxy, WireRequest } from './helpers/engine-faults';
import { SandboxInfo } from './helpers/stack';

describe('what reaches the Docker engine (recording proxy in front of the real engine)', function () {
  this.timeout(120_000);
  let info: SandboxInfo;
  let proxy: RecordingProxy;
  let docker: Docker;
  let endpoint: DockerEndpoint;
  const janitor = new ImageJanitor(() => docker);
  const dirs: string[] = [];
  const run = uniqueId();

  before(async () => {
    const stack = await stackEngine();
    info = stack.info;
    proxy = await RecordingProxy.start(info.dockerHost);
    endpoint = { host: proxy.dockerHost, source: 'DOCKER_HOST' };
    docker = createDockerClient(endpoint);
  });

  after(async () => {
    await janitor.cleanUp();
    await proxy?.close();
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  beforeEach(() => proxy.reset());

  function auth(): RegistryAuth {
    return { username: 'alice', password: sandboxUser(info, 'alice').token, serveraddress: info.registry };
  }

  /** The requests sent so far, without the version prefix dockerode may add. */
  function sent(): WireRequest[] {
    return proxy.requests().map((request) => ({ ...request, target: request.target.replace(/^\/v[0-9.]+\//, '/') }));
  }

  function assertNoClientOptions(requests: WireRequest[]): void {
    assert.ok(requests.length > 0, 'the proxy saw requests');
    for (const request of requests) {
      assert.doesNotMatch(request.target, /signal/i, `${request.method} ${request.target}`);
      if (request.headers['content-type']?.includes('json')) {
        assert.doesNotMatch(request.body.toString('utf8'), /signal/i, `the body of ${request.method} ${request.target}`);
      }
    }
  }

  function decodeAuthHeader(value: string | undefined): unknown {
    assert.ok(value, 'X-Registry-Auth was sent');
    return JSON.parse(Buffer.from(value.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8'));
  }

  it('lists images with no query at all, with or without a signal', async () => {
    await listLocalImages(docker);
    await listLocalImages(docker, { signal: new AbortController().signal });
    const requests = sent().filter((request) => request.target.startsWith('/images/json'));
    assert.deepEqual(
      requests.map((request) => `${request.method} ${request.target}`),
      ['GET /images/json', 'GET /images/json'],
    );
    assertNoClientOptions(requests);
  });

  it('checks a login with exactly the authconfig as the body, with or without a signal', async () => {
    await checkRegistryAuth(docker, auth());
    await checkRegistryAuth(docker, auth(), new AbortController().signal, { endpoint });
    const requests = sent().filter((request) => request.target === '/auth');
    assert.equal(requests.length, 2);
    for (const request of requests) {
      assert.equal(request.method, 'POST');
      assert.deepEqual(JSON.parse(request.body.toString('utf8')), auth());
      assert.equal(request.headers['x-registry-auth'], undefined, 'the login carries its credentials in the body only');
    }
    assertNoClientOptions(requests);
  });

  it("inspects, builds, pushes and pulls with only the engine's own parameters", async () => {
    const reference = `${info.registry}/syn1000001/wire-${run}:v1`;
    const dir = makeTree({
      Dockerfile: `FROM ${BASE_IMAGE}\nCOPY id.txt /id.txt\n`,
      'id.txt': `${run} ${randomBytes(8).toString('hex')}\n`,
    });
    dirs.push(dir);
    janitor.add(reference);
    const signal = new AbortController().signal;
    const built = await buildImage({ docker, contextDir: dir, tags: [reference], signal });
    janitor.add(built.imageId);
    assert.equal(await imageExists(docker, reference, signal, { endpoint }), true);
    const digest = await pushImage({ docker, endpoint, reference, auth: auth(), signal });
    assert.equal(await pullImage({ docker, endpoint, reference, auth: auth(), signal }), digest);
    // And once without any signal: the option must not appear as an empty parameter either.
    await buildImage({ docker, contextDir: dir, tags: [reference] });

    const requests = sent();
    assertNoClientOptions(requests);
    const builds = requests.filter((request) => request.target.startsWith('/build?'));
    assert.equal(builds.length, 2);
    for (const build of builds) {
      const query = new URLSearchParams(build.target.slice('/build?'.length));
      assert.deepEqual([...query.keys()].sort(), ['dockerfile', 'forcerm', 'rm', 't']);
      assert.deepEqual(query.getAll('t'), [reference]);
    }
    const [repository, tag] = [reference.slice(0, reference.lastIndexOf(':')), 'v1'];
    const push = requests.find((request) => request.target.includes('/push'));
    assert.equal(push?.target, `/images/${repository}/push?tag=${tag}`);
    assert.deepEqual(decodeAuthHeader(push?.headers['x-registry-auth']), auth());
    const pull = requests.find((request) => request.target.startsWith('/images/create'));
    assert.equal(pull?.target, `/images/create?fromImage=${encodeURIComponent(repository)}&tag=${tag}`);
    assert.deepEqual(decodeAuthHeader(pull?.headers['x-registry-auth']), auth());
    assert.ok(
      requests.some((request) => request.method === 'GET' && request.target === `/images/${reference}/json`),
      'the inspect went through the proxy',
    );
    // The token travels in X-Registry-Auth (push, pull) and the /auth body only: never in a URL.
    for (const request of requests) assert.ok(!request.target.includes(auth().password), `${request.method} ${request.target}`);
  });
});
