// The registry check (POST /auth) against an engine that spoke HTTPS to a plain-HTTP registry:
// Podman 4.x's /auth does this to every such registry (it ignores registries.conf's `insecure`,
// which its pushes and pulls honour), dockerd when the registry is not among its insecure ones.
// Either way the engine never reached the token check, so the answer must never read as "the
// registry refused your token". A loopback engine on a unix socket (helpers/fake-engine.ts) answers
// with the texts and headers the real engines send (Podman 4.3.1's captured on the stack; dockerd's).
import * as assert from 'node:assert/strict';
import { checkRegistryAuth, createDockerClient, RegistryDeniedError, RegistryPlainHttpError } from '../../src/core/docker';
import { answerJson, DOCKERD_20_10, FakeEngine, PODMAN_4_3 } from './helpers/fake-engine';

const REGISTRY = '127.0.0.1:5998';
const AUTH = { username: 'alice', password: 'not-a-real-token', serveraddress: REGISTRY };
// Podman 4.3.1's answer on the stack, to the letter (HTTP 500, {"message": …}).
const PODMAN_AUTH_MESSAGE = `login attempt to ${REGISTRY} failed with status: pinging container registry ${REGISTRY}: Get "https://${REGISTRY}/v2/": http: server gave HTTP response to HTTPS client`;
// dockerd's, for a registry it does not treat as insecure.
const DOCKERD_AUTH_MESSAGE = `Get "https://${REGISTRY}/v2/": http: server gave HTTP response to HTTPS client`;

/** The engine's answer to POST /auth, and how many times it was asked. */
function answerAuth(engine: FakeEngine, status: number, body: unknown): void {
  engine.route = (method, url, res) => method === 'POST' && url === '/auth' && answerJson(res, status, body);
}

const authCalls = (engine: FakeEngine) => engine.calls.filter((call) => call === 'POST /auth').length;

describe('registry check against a plain-HTTP registry (loopback Podman and dockerd)', () => {
  let engine: FakeEngine;

  before(async () => {
    engine = new FakeEngine();
    await engine.listen();
  });

  after(async () => {
    await engine.close();
  });

  it('on Podman: says the engine could not check the token (not that the registry refused it), and how pushes still work', async () => {
    engine.flavour = PODMAN_4_3;
    answerAuth(engine, 500, { message: PODMAN_AUTH_MESSAGE });
    const before = authCalls(engine);
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
    assert.equal(authCalls(engine) - before, 1, 'asked once, never retried');
  });

  it('on dockerd: names the missing insecure-registries entry, which pushes and pulls need as well', async () => {
    engine.flavour = DOCKERD_20_10;
    answerAuth(engine, 500, { message: DOCKERD_AUTH_MESSAGE });
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
    engine.flavour = PODMAN_4_3;
    answerAuth(engine, 500, { message: `login attempt to ${REGISTRY} failed with status: 401 Unauthorized` });
    const docker = createDockerClient(engine.endpoint);
    await assert.rejects(checkRegistryAuth(docker, AUTH, undefined, { endpoint: engine.endpoint }), (error: unknown) => {
      assert.ok(error instanceof RegistryDeniedError, `got ${String(error)}`);
      assert.equal(error.kind, 'unauthorized');
      return true;
    });
  });
});
