// Finding and reaching the Docker engine: the setting, DOCKER_HOST, DOCKER_CONTEXT and a Docker
// context directory, each pinged for real; and the specific message for each way of not reaching it.
import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  createDockerClient,
  DockerEndpoint,
  DockerUnreachableError,
  explainConnectionError,
  pingDocker,
  resolveDockerEndpoint,
} from '../../src/core/docker';
import { stackEngine } from './helpers/docker-fixtures';

/** A temporary DOCKER_CONFIG with one context `name` pointing at `host`, optionally current. */
function dockerConfigWithContext(name: string, host: string, current: boolean): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docker-config-'));
  const id = createHash('sha256').update(name).digest('hex');
  const metaDir = path.join(dir, 'contexts', 'meta', id);
  fs.mkdirSync(metaDir, { recursive: true });
  fs.writeFileSync(
    path.join(metaDir, 'meta.json'),
    JSON.stringify({ Name: name, Metadata: { Description: 'synapse test' }, Endpoints: { docker: { Host: host, SkipTLSVerify: false } } }),
  );
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(current ? { auths: {}, currentContext: name } : { auths: {} }));
  return dir;
}

async function unreachable(endpoint: DockerEndpoint): Promise<DockerUnreachableError> {
  try {
    await pingDocker(createDockerClient(endpoint, 5000), endpoint);
  } catch (error) {
    assert.ok(error instanceof DockerUnreachableError, `got ${String(error)}`);
    return error;
  }
  assert.fail(`${endpoint.host} answered`);
}

describe('docker engine endpoint (real engine)', function () {
  this.timeout(30_000);
  let dockerHost: string;
  const temp: string[] = [];

  before(async () => {
    dockerHost = (await stackEngine()).info.dockerHost;
  });

  after(() => {
    for (const dir of temp) fs.rmSync(dir, { recursive: true, force: true });
  });

  function tempDir(prefix: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    temp.push(dir);
    return dir;
  }

  async function pingThrough(endpoint: DockerEndpoint): Promise<void> {
    const answer = await pingDocker(createDockerClient(endpoint), endpoint);
    assert.match(answer.apiVersion, /^1\.\d+$/);
  }

  it('honours the setting first, even with DOCKER_HOST and a context set', async () => {
    const config = dockerConfigWithContext('elsewhere', 'unix:///nonexistent/docker.sock', true);
    temp.push(config);
    const endpoint = await resolveDockerEndpoint({
      setting: ` ${dockerHost} `,
      env: { DOCKER_HOST: 'unix:///nonexistent/other.sock', DOCKER_CONFIG: config, DOCKER_CONTEXT: 'elsewhere' },
    });
    assert.deepEqual(endpoint, { host: dockerHost, source: 'setting' });
    await pingThrough(endpoint);
  });

  it('honours DOCKER_HOST', async () => {
    const endpoint = await resolveDockerEndpoint({ env: { DOCKER_HOST: dockerHost }, homeDir: tempDir('home-') });
    assert.equal(endpoint.source, 'DOCKER_HOST');
    assert.equal(endpoint.host, dockerHost);
    await pingThrough(endpoint);
  });

  it('honours DOCKER_CONTEXT through the context store', async () => {
    const config = dockerConfigWithContext('synapse-sandbox', dockerHost, false);
    temp.push(config);
    const endpoint = await resolveDockerEndpoint({ env: { DOCKER_CONFIG: config, DOCKER_CONTEXT: 'synapse-sandbox' } });
    assert.equal(endpoint.source, 'DOCKER_CONTEXT');
    assert.equal(endpoint.contextName, 'synapse-sandbox');
    assert.equal(endpoint.host, dockerHost);
    await pingThrough(endpoint);
  });

  it("honours config.json's currentContext (DOCKER_CONFIG, and ~/.docker)", async () => {
    const config = dockerConfigWithContext('sandbox-current', dockerHost, true);
    temp.push(config);
    const viaConfig = await resolveDockerEndpoint({ env: { DOCKER_CONFIG: config } });
    assert.equal(viaConfig.source, 'config currentContext');
    assert.equal(viaConfig.contextName, 'sandbox-current');
    await pingThrough(viaConfig);

    const home = tempDir('home-');
    fs.renameSync(config, path.join(home, '.docker'));
    const viaHome = await resolveDockerEndpoint({ env: {}, homeDir: home });
    assert.equal(viaHome.host, dockerHost);
    await pingThrough(viaHome);
  });

  it('falls back to the platform default, and names a missing context clearly', async () => {
    const home = tempDir('home-');
    assert.deepEqual(await resolveDockerEndpoint({ env: {}, homeDir: home, platform: 'linux' }), {
      host: 'unix:///var/run/docker.sock',
      source: 'default',
    });
    assert.equal((await resolveDockerEndpoint({ env: {}, homeDir: home, platform: 'win32' })).host, 'npipe:////./pipe/docker_engine');
    const config = dockerConfigWithContext('exists', dockerHost, false);
    temp.push(config);
    await assert.rejects(
      resolveDockerEndpoint({ env: { DOCKER_CONFIG: config, DOCKER_CONTEXT: 'missing' } }),
      /Docker context "missing".*not found/,
    );
  });

  it('says there is no socket (ENOENT)', async () => {
    const socket = path.join(tempDir('nosock-'), 'docker.sock');
    const error = await unreachable({ host: `unix://${socket}`, source: 'setting' });
    assert.equal(error.code, 'ENOENT');
    assert.match(error.message, /no socket at unix:\/\/.*docker\.sock \(setting\)/);
  });

  it('says nothing listens on a socket file nobody serves (ECONNREFUSED)', async () => {
    const socket = path.join(tempDir('deadsock-'), 'docker.sock');
    // A process binds the socket and dies without removing it: the file stays, nobody listens.
    spawnSync(
      process.execPath,
      ['-e', `require('net').createServer().listen(${JSON.stringify(socket)}, () => process.kill(process.pid, 'SIGKILL'))`],
      {
        stdio: 'ignore',
        timeout: 10_000,
      },
    );
    assert.ok(fs.statSync(socket).isSocket(), 'the dead socket file exists');
    const error = await unreachable({ host: `unix://${socket}`, source: 'DOCKER_HOST' });
    assert.equal(error.code, 'ECONNREFUSED');
    assert.match(error.message, /Nothing is listening at unix:\/\/.*\(DOCKER_HOST\)/);
  });

  it('says nothing listens on a closed loopback port (ECONNREFUSED)', async () => {
    const port = await new Promise<number>((resolve) => {
      const server = net.createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = server.address() as net.AddressInfo;
        server.close(() => resolve(free));
      });
    });
    const error = await unreachable({ host: `tcp://127.0.0.1:${port}`, source: 'DOCKER_CONTEXT', contextName: 'remote' });
    assert.equal(error.code, 'ECONNREFUSED');
    assert.match(error.message, new RegExp(`Nothing is listening at tcp://127\\.0\\.0\\.1:${port} \\(DOCKER_CONTEXT "remote"\\)`));
  });

  it("says the socket needs permission (EACCES), for a user outside the socket's group", async function () {
    // As root, permission bits are not checked: connect from a child process running as nobody.
    const dir = tempDir('permsock-');
    fs.chmodSync(dir, 0o755);
    const socket = path.join(dir, 'docker.sock');
    const server = net.createServer((connection) => connection.end());
    await new Promise<void>((resolve) => server.listen(socket, resolve));
    try {
      fs.chmodSync(socket, 0o660); // root:root, like /var/run/docker.sock owned by root:docker
      const engineModule = path.resolve(__dirname, '../../src/core/docker/engine.js');
      const script = `
        const { createDockerClient, pingDocker } = require(${JSON.stringify(engineModule)});
        const endpoint = { host: ${JSON.stringify(`unix://${socket}`)}, source: 'default' };
        pingDocker(createDockerClient(endpoint, 5000), endpoint).then(
          () => console.log(JSON.stringify({ ok: true })),
          (error) => console.log(JSON.stringify({ name: error.name, code: error.code, message: error.message })));`;
      const isRoot = process.getuid?.() === 0;
      const child = spawn(process.execPath, ['-e', script], {
        ...(isRoot ? { uid: 65534, gid: 65534 } : {}),
        cwd: os.tmpdir(),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk) => (stdout += chunk));
      child.stderr.on('data', (chunk) => (stderr += chunk));
      await new Promise<void>((resolve) => child.on('close', () => resolve()));
      const outcome = JSON.parse(stdout.trim() || '{}') as { name?: string; code?: string; message?: string };
      assert.equal(outcome.code, 'EACCES', `child said ${stdout} ${stderr}`);
      assert.equal(outcome.name, 'DockerUnreachableError');
      assert.match(outcome.message ?? '', /No permission to use the Docker socket unix:\/\/.*docker group/);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('maps each connection error code to its message', () => {
    const endpoint: DockerEndpoint = { host: 'unix:///var/run/docker.sock', source: 'default' };
    const of = (code: string) => explainConnectionError(Object.assign(new Error(code), { code }), endpoint);
    assert.match(of('ENOENT').message, /no socket/);
    assert.match(of('ECONNREFUSED').message, /Nothing is listening/);
    assert.match(of('EACCES').message, /No permission/);
    assert.match(of('ETIMEDOUT').message, /did not answer in time/);
    assert.match(of('EWHATEVER').message, /Couldn't reach the Docker engine/);
  });
});
