// The registry check (POST /auth) against an engine that spoke HTTPS to a plain-HTTP registry:
// Podman 4.x's /auth does this to every such registry (it ignores registries.conf's `insecure`,
// which its pushes and pulls honour), dockerd when the registry is not among its insecure ones.
// Either way the engine never reached the token check, so the answer must never read as "the
// registry refused your token". A loopback engine on a unix socket answers with the texts and
// headers the real engines send (Podman 4.3.1's captured on the stack; dockerd 20.10's).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkRegistryAuth, createDockerClient, DockerEndpoint, RegistryDeniedError, RegistryPlainHttpError } from '../../src/core/docker';

const REGISTRY = '127.0.0.1:5998';
const AUTH = { username: 'alice', password: 'not-a-real-token', serveraddress: REGISTRY };
// Podman 4.3.1's answer on the stack, to the letter (HTTP 500, {"message": …}).
const PODMAN_AUTH_MESSAGE =
  `login attempt to ${REGISTRY} failed with status: pinging container registry ${REGISTRY}: Get "https://${REGISTRY}/v2/": http: server gave HTTP response to HTTPS client`;
// dockerd's, for a registry it does not treat as insecure.
const DOCKERD_AUTH_MESSAGE = `Get "https://${REGISTRY}/v2/": http: server gave HTTP response to HTTPS client`;

interface EngineFlavour {
  name: string;
  pingHeaders: Record<string, string>;
  version: unknown;
  auth: { status: number; body: unknown };
}

const PODMAN: EngineFlavour = {
  name: 'Podman 4.3.1',
  pingHeaders: { 'Libpod-Buildah-Version': '1.28.2', 'Libpod-Api-Version': '4.3.1', 'Builder-Version': '' },
  version: { Version: '4.3.1', ApiVersion: '1.41', Os: 'linux', Arch: 'amd64', Components: [{ Name: 'Podman Engine', Version: '4.3.1' }] },
  auth: { status: 500, body: { message: PODMAN_AUTH_MESSAGE } },
};

const DOCKERD: EngineFlavour = {
  name: 'Docker Engine 20.10.24',
  pingHeaders: { 'Builder-Version': '1' },
  version: { Version: '20.10.24', ApiVersion: '1.41', Os: 'linux', Arch: 'amd64', Components: [{ Name: 'Engine', Version: '20.10.24' }] },
  auth: { status: 500, body: { message: DOCKERD_AUTH_MESSAGE } },
};

/** An engine that answers /_ping, /version and /auth as the flavour says, and counts the /auth calls. */
class FakeEngine {
  authCalls = 0;
  flavour: EngineFlavour = PODMAN;
  readonly socketPath: string;
  private readonly dir: string;
  private readonly server: http.Server;

  constructor() {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir().length <= 40 ? os.tmpdir() : '/tmp', 'plain-http-'));
    this.socketPath = path.join(this.dir, 'engine.sock');
    this.server = http.createServer((req, res) => void this.answer(req, res));
  }

  get endpoint(): DockerEndpoint {
    return { host: `unix://${this.socketPath}`, source: 'DOCKER_HOST' };
  }

  listen(): Promise<void> {
    return new Promise((resolve) => this.server.listen(this.socketPath, resolve));
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  private async answer(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    for await (const chunk of req) void chunk;
    const url = (req.url ?? '').replace(/^\/v[0-9.]+\//, '/');
    const json = (status: number, value: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(value));
    };
    if (url === '/_ping') {
      res.writeHead(200, { 'content-type': 'text/plain', 'api-version': '1.41', ...this.flavour.pingHeaders });
      res.end('OK');
      return;
    }
    if (url === '/version') return json(200, this.flavour.version);
    if (req.method === 'POST' && url === '/auth') {
      this.authCalls++;
      return json(this.flavour.auth.status, this.flavour.auth.body);
    }
    json(404, { message: `no route ${url}` });
  }
}

describe('registry check against a plain-HTTP registry (fake Podman and dockerd)', () => {
  let engine: FakeEngine;

  before(async () => {
    engine = new FakeEngine();
    await engine.listen();
  });

  after(async () => {
    await engine.close();
  });

  it('on Podman: says the engine could not check the token (not that the registry refused it), and how pushes still work', async () => {
    engine.flavour = PODMAN;
    engine.authCalls = 0;
    const docker = createDockerClient(engine.endpoint);
    await assert.rejects(checkRegistryAuth(docker, AUTH, undefined, { endpoint: engine.endpoint }), (error: unknown) => {
      assert.ok(error instanceof RegistryPlainHttpError, `got ${String(error)}`);
      assert.ok(!(error instanceof RegistryDeniedError), 'a check that never reached the registry is not a refusal');
      assert.equal(error.podman, true);
      assert.equal(error.registry, REGISTRY);
      assert.equal(
        error.message,
        `Podman 4.3.1 cannot check the token against the registry ${REGISTRY}: its login check speaks only HTTPS, and ${REGISTRY} answers plain HTTP. ` +
          `Nothing was said about the token; pushes and pulls work if registries.conf marks ${REGISTRY} insecure.`,
      );
      assert.doesNotMatch(error.message, /refused/);
      assert.equal(error.raw, PODMAN_AUTH_MESSAGE);
      assert.ok(!error.message.includes(AUTH.password) && !error.raw.includes(AUTH.password), 'the token never appears');
      return true;
    });
    assert.equal(engine.authCalls, 1, 'asked once, never retried');
  });

  it('on dockerd: names the missing insecure-registries entry, which pushes and pulls need as well', async () => {
    engine.flavour = DOCKERD;
    const docker = createDockerClient(engine.endpoint);
    await assert.rejects(checkRegistryAuth(docker, AUTH, undefined, { endpoint: engine.endpoint }), (error: unknown) => {
      assert.ok(error instanceof RegistryPlainHttpError, `got ${String(error)}`);
      assert.equal(error.podman, false);
      assert.equal(
        error.message,
        `The Docker engine spoke HTTPS to the registry ${REGISTRY}, which answers plain HTTP, so the token could not be checked, and pushes and pulls will fail the same way. ` +
          `Add ${REGISTRY} to the engine's "insecure-registries" (daemon.json), or serve the registry over HTTPS.`,
      );
      return true;
    });
  });

  it('a real refusal from Podman is still a refusal', async () => {
    engine.flavour = {
      ...PODMAN,
      auth: { status: 500, body: { message: `login attempt to ${REGISTRY} failed with status: 401 Unauthorized`, response: 500 } },
    };
    const docker = createDockerClient(engine.endpoint);
    await assert.rejects(checkRegistryAuth(docker, AUTH, undefined, { endpoint: engine.endpoint }), (error: unknown) => {
      assert.ok(error instanceof RegistryDeniedError, `got ${String(error)}`);
      assert.equal(error.kind, 'unauthorized');
      return true;
    });
  });
});
