// The Synapse sandbox as the registry's token server (/docker/v1/bearerToken) and notification listener.
import * as assert from 'node:assert/strict';
import { X509Certificate, createHash, verify } from 'node:crypto';
import { RunningSandbox, loadSeed, startSandbox } from './server';
import { SandboxResponse, adminCall, sandboxRequest } from './server/client';

const REGISTRY = '127.0.0.1:5123';
const LISTENER = { user: 'registry', password: 'listener-secret-for-tests' };
const DOCKER_V2_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';

/** libtrust key id, computed independently of the sandbox: bit string → 5-bit groups → RFC 4648 alphabet. */
function expectedKid(certPem: string): string {
  const der = new X509Certificate(certPem).publicKey.export({ type: 'spki', format: 'der' });
  const bytes = createHash('sha256').update(der).digest().subarray(0, 30);
  const bits = [...bytes].map((byte) => byte.toString(2).padStart(8, '0')).join('');
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const chars = bits
    .match(/.{5}/g)!
    .map((group) => alphabet[parseInt(group, 2)])
    .join('');
  assert.equal(chars.length, 48);
  return chars.match(/.{4}/g)!.join(':');
}

interface DockerClaims {
  iss: string;
  aud: string;
  sub: string;
  iat: number;
  nbf: number;
  exp: number;
  jti: string;
  access: Array<{ type: string; name: string; actions: string[] }>;
}

describe('Synapse sandbox: docker token server and registry listener', function () {
  let sandbox: RunningSandbox;
  const tokens: Record<string, string> = {};

  before(async function () {
    sandbox = await startSandbox({ port: 0, seed: loadSeed(), registryHost: REGISTRY, listenerCredentials: LISTENER });
    for (const user of sandbox.users()) tokens[user.userName] = user.token;
  });

  after(async function () {
    await sandbox.close();
  });

  beforeEach(async function () {
    await adminCall(sandbox.url, 'POST', 'reset');
  });

  function tokenRequest(query: string, password?: string, user = 'anything'): Promise<SandboxResponse> {
    return sandboxRequest(sandbox.url, 'GET', `/docker/v1/bearerToken?${query}`, {
      basic: password === undefined ? undefined : { user, password },
    });
  }

  /** Requests a token and checks its signature with the sandbox's certificate. */
  async function dockerToken(
    scopes: string[],
    password?: string,
    service = REGISTRY,
  ): Promise<{ header: Record<string, string>; claims: DockerClaims }> {
    const query = [`service=${encodeURIComponent(service)}`, ...scopes.map((scope) => `scope=${encodeURIComponent(scope)}`)].join('&');
    const response = await tokenRequest(query, password);
    assert.equal(response.status, 200, response.text);
    assert.deepEqual(Object.keys(response.json), ['token']);
    const [header, payload, signature] = response.json.token.split('.');
    const publicKey = new X509Certificate(sandbox.tokenCertPem).publicKey;
    assert.ok(
      verify(
        'sha256',
        Buffer.from(`${header}.${payload}`),
        { key: publicKey, dsaEncoding: 'ieee-p1363' },
        Buffer.from(signature, 'base64url'),
      ),
      'the ES256 signature verifies with the certificate',
    );
    return {
      header: JSON.parse(Buffer.from(header, 'base64url').toString()),
      claims: JSON.parse(Buffer.from(payload, 'base64url').toString()),
    };
  }

  /** The actions granted for one repository scope. */
  async function granted(
    user: string | undefined,
    path: string,
    actions = 'push,pull',
    password = user && tokens[user],
  ): Promise<string[]> {
    const { claims } = await dockerToken([`repository:${path}:${actions}`], password);
    assert.equal(claims.access.length, 1);
    assert.equal(claims.access[0].type, 'repository');
    assert.equal(claims.access[0].name, path);
    return claims.access[0].actions;
  }

  const mint = async (userName: string, scopes: string[]): Promise<string> =>
    (await adminCall(sandbox.url, 'POST', 'tokens', { userName, scopes })).token;

  describe('GET /docker/v1/bearerToken', function () {
    it('signs an ES256 JWT with the libtrust kid and Synapse claims', async function () {
      const { header, claims } = await dockerToken(['repository:syn1000001/aligner:pull'], tokens.bob);
      assert.equal(header.alg, 'ES256');
      assert.equal(header.typ, 'JWT');
      assert.equal(header.kid, expectedKid(sandbox.tokenCertPem));
      assert.match(header.kid, /^([A-Z2-7]{4}:){11}[A-Z2-7]{4}$/);
      assert.equal(claims.iss, 'www.synapse.org');
      assert.equal(sandbox.issuer, 'www.synapse.org');
      assert.equal(claims.aud, REGISTRY);
      assert.equal(claims.sub, '3400002');
      assert.equal(claims.nbf, claims.iat - 120);
      assert.equal(claims.exp, claims.iat + 120);
      assert.ok(Math.abs(claims.iat - Date.now() / 1000) < 10);
      assert.equal(typeof claims.jti, 'string');
      assert.deepEqual(claims.access, [{ type: 'repository', name: 'syn1000001/aligner', actions: ['pull'] }]);
    });

    it('grants a certified creator push and pull on a new repository', async function () {
      assert.deepEqual(await granted('alice', 'syn1000001/new-tool'), ['pull', 'push']);
      assert.deepEqual(await granted('alice', 'syn1000001/new-tool', 'push'), ['pull', 'push'], 'pull comes with push on a new repository');
      assert.deepEqual(await granted('alice', 'syn1000001/tools/new.tool_v2'), ['pull', 'push']);
    });

    it('grants push on an existing repository only with UPDATE and certification', async function () {
      assert.deepEqual(await granted('alice', 'syn1000001/aligner'), ['pull', 'push']);
      assert.deepEqual(await granted('bob', 'syn1000001/aligner'), ['pull']);
      assert.deepEqual(await granted('dave', 'syn1000001/aligner'), [], 'READ alone gives neither');
    });

    it('refuses push to a user who is not certified', async function () {
      assert.deepEqual(await granted('carol', 'syn1000001/new-tool'), []);
      assert.deepEqual(await granted('carol', 'syn1000001/aligner'), ['pull']);
      assert.deepEqual(await granted('carol', 'syn1000005/own-tool'), [], 'not even in her own project');
    });

    it('needs the modify scope for push and the download scope for pull', async function () {
      assert.deepEqual(await granted('erin', 'syn1000001/new-tool'), [], 'erin may create but her PAT lacks modify');
      assert.deepEqual(await granted('erin', 'syn1000001/aligner'), ['pull']);
      const noDownload = await mint('alice', ['view', 'modify']);
      assert.deepEqual(await granted('alice', 'syn1000001/aligner', 'pull', noDownload), []);
      assert.deepEqual(await granted('alice', 'syn1000001/aligner', 'push,pull', noDownload), ['push']);
      assert.deepEqual(await granted('alice', 'syn1000001/brand-new', 'push,pull', noDownload), ['pull', 'push']);
      const viewOnly = await mint('alice', ['view']);
      assert.deepEqual(await granted('alice', 'syn1000001/aligner', 'push,pull', viewOnly), []);
    });

    it('follows local sharing settings of an existing repository', async function () {
      assert.deepEqual(await granted('bob', 'syn1000001/restricted-tool'), [], 'bob may read but not download it');
      assert.deepEqual(await granted('carol', 'syn1000001/restricted-tool'), ['pull']);
      assert.deepEqual(await granted('alice', 'syn1000001/restricted-tool'), ['pull', 'push']);
      const erinFull = await mint('erin', ['view', 'download', 'modify']);
      assert.deepEqual(await granted('erin', 'syn1000001/restricted-tool', 'push,pull', erinFull), ['pull', 'push']);
    });

    it('grants nothing when the first segment is not an existing, non-trashed project', async function () {
      assert.deepEqual(await granted('alice', 'syn1000104/tool'), [], 'a folder');
      assert.deepEqual(await granted('alice', 'syn1000101/tool'), [], 'a repository');
      assert.deepEqual(await granted('alice', 'syn424242/tool'), [], 'nothing');
      assert.deepEqual(await granted('alice', 'syn1000002/new-tool'), [], 'a trashed project');
      assert.deepEqual(await granted('alice', 'syn1000002/legacy-tool'), [], 'a repository in a trashed project');
      assert.deepEqual(await granted('alice', 'myproject/tool'), [], 'not a syn id');
      assert.deepEqual(await granted('alice', 'syn1000001/Bad-Name'), [], 'uppercase is not a valid name');
      assert.deepEqual(await granted('alice', 'syn1000001/bad-'), [], 'a component cannot end with a separator');
      assert.deepEqual(await granted('frank', 'syn1000001/new-tool'), [], 'no CREATE on the project');
    });

    it('denies a repository in the trash until it is restored', async function () {
      assert.deepEqual(await granted('alice', 'syn1000001/retired-tool'), []);
      await adminCall(sandbox.url, 'POST', 'restore', { id: 'syn1000107' });
      assert.deepEqual(await granted('alice', 'syn1000001/retired-tool'), ['pull', 'push']);
    });

    it('never grants pull on a repository that does not exist', async function () {
      assert.deepEqual(await granted('alice', 'syn1000001/missing', 'pull'), []);
    });

    it('gives the anonymous user a token without actions', async function () {
      const { claims } = await dockerToken(['repository:syn1000003/reference-tool:pull']);
      assert.equal(claims.sub, '273950');
      assert.deepEqual(claims.access, [{ type: 'repository', name: 'syn1000003/reference-tool', actions: [] }]);
      assert.deepEqual(await granted('alice', 'syn1000003/reference-tool', 'pull'), ['pull'], 'signed-in users may pull it');
    });

    it('ignores the username when the password is a valid PAT', async function () {
      const response = await tokenRequest(`service=${REGISTRY}&scope=repository:syn1000001/aligner:pull`, tokens.bob, 'not-bob-at-all');
      assert.equal(response.status, 200);
    });

    it('answers login (no scope) and several scopes', async function () {
      assert.deepEqual((await dockerToken([], tokens.alice)).claims.access, []);
      const { claims } = await dockerToken(
        ['repository:syn1000001/aligner:pull', 'repository:syn1000001/restricted-tool:pull', 'registry:catalog:*'],
        tokens.bob,
      );
      assert.deepEqual(claims.access, [
        { type: 'repository', name: 'syn1000001/aligner', actions: ['pull'] },
        { type: 'repository', name: 'syn1000001/restricted-tool', actions: [] },
        { type: 'registry', name: 'catalog', actions: [] },
      ]);
    });

    it('rejects bad credentials with 401 "Invalid credentials."', async function () {
      for (const password of ['wrong', tokens.alice.slice(0, -2)]) {
        const response = await tokenRequest(`service=${REGISTRY}`, password);
        assert.equal(response.status, 401);
        assert.equal(response.headers.get('www-authenticate'), 'Bearer realm="Synapse Repository Services"');
        assert.deepEqual(response.json, { concreteType: 'org.sagebionetworks.repo.model.ErrorResponse', reason: 'Invalid credentials.' });
      }
      const bearer = await sandboxRequest(sandbox.url, 'GET', `/docker/v1/bearerToken?service=${REGISTRY}`, { token: tokens.alice });
      assert.equal(bearer.status, 401, 'the token endpoint wants HTTP Basic');
    });

    it('validates service, scope format and actions like Synapse', async function () {
      assert.equal((await tokenRequest('scope=repository:syn1000001/aligner:pull', tokens.alice)).status, 400);
      const twoParts = await tokenRequest(`service=${REGISTRY}&scope=repository:syn1000001/aligner`, tokens.alice);
      assert.equal(twoParts.status, 500);
      assert.match(twoParts.json.reason, /Expected 3 parts/);
      assert.equal((await tokenRequest(`service=${REGISTRY}&scope=repository:syn1000001/aligner:`, tokens.alice)).status, 500);
      assert.equal((await tokenRequest(`service=${REGISTRY}&scope=repository:syn1000001/aligner:delete`, tokens.alice)).status, 400);
      assert.equal((await tokenRequest(`service=${REGISTRY}&scope=repository:syn1000001/aligner:*`, tokens.alice)).status, 400);
      assert.equal((await tokenRequest(`service=${REGISTRY}&scope=repository:syn1000001/aligner:pull,mount`, tokens.alice)).status, 500);
      assert.equal((await tokenRequest(`service=${REGISTRY}&scope=volume:x:pull`, tokens.alice)).status, 400);
    });

    it('names repositories service + "/" + path', async function () {
      assert.deepEqual(await granted('alice', 'syn1000001/aligner'), ['pull', 'push']);
      const { claims } = await dockerToken(['repository:syn1000001/aligner:pull'], tokens.alice, 'docker.synapse.org');
      assert.equal(claims.aud, 'docker.synapse.org');
      assert.deepEqual(claims.access[0].actions, [], 'docker.synapse.org/syn1000001/aligner is not in this sandbox');
    });
  });

  describe('POST /dockerRegistryListener/v1/events', function () {
    const event = (
      overrides: {
        repository?: string;
        tag?: string;
        digest?: string;
        mediaType?: string;
        action?: string;
        host?: string;
        actor?: string;
      } = {},
    ): unknown => ({
      id: `event-${Math.random()}`,
      timestamp: '2020-01-01T00:00:00Z',
      action: overrides.action ?? 'push',
      target: {
        mediaType: overrides.mediaType ?? DOCKER_V2_MANIFEST,
        size: 1234,
        digest: overrides.digest ?? `sha256:${'a'.repeat(64)}`,
        length: 1234,
        repository: overrides.repository ?? 'syn1000001/pushed-tool',
        url: 'http://example.invalid/v2/x',
        tag: overrides.tag ?? 'v1',
      },
      request: { id: 'r1', addr: '127.0.0.1:4000', host: overrides.host ?? REGISTRY, method: 'PUT', useragent: 'docker/24' },
      actor: { name: overrides.actor ?? '3400001' },
      source: { addr: 'registry:5000', instanceID: 'i1' },
    });
    const notify = (events: unknown[], credentials = LISTENER): Promise<SandboxResponse> =>
      sandboxRequest(sandbox.url, 'POST', '/dockerRegistryListener/v1/events', { basic: credentials, body: { events } });
    const lookup = (path: string): Promise<SandboxResponse> =>
      sandboxRequest(sandbox.url, 'GET', `/repo/v1/entity/dockerRepo/id?repositoryName=${encodeURIComponent(`${REGISTRY}/${path}`)}`, {
        token: tokens.alice,
      });
    const tags = async (id: string): Promise<Array<{ tag: string; digest: string; createdOn: string }>> =>
      (await sandboxRequest(sandbox.url, 'GET', `/repo/v1/entity/${id}/dockerTag`, { token: tokens.alice })).json.results;

    it('creates a managed repository and its first commit on a manifest push', async function () {
      const before = Date.now();
      const response = await notify([event()]);
      assert.equal(response.status, 204);
      const found = await lookup('syn1000001/pushed-tool');
      assert.equal(found.status, 200);
      const id = found.json.id;
      const entity = (await sandboxRequest(sandbox.url, 'GET', `/repo/v1/entity/${id}`, { token: tokens.alice })).json;
      assert.equal(entity.name, id);
      assert.equal(entity.isManaged, true);
      assert.equal(entity.repositoryName, `${REGISTRY}/syn1000001/pushed-tool`);
      assert.equal(entity.parentId, 'syn1000001');
      assert.equal(entity.createdBy, '3400001');
      const [commit] = await tags(id);
      assert.equal(commit.tag, 'v1');
      assert.equal(commit.digest, `sha256:${'a'.repeat(64)}`);
      const createdOn = Date.parse(commit.createdOn);
      assert.ok(createdOn >= before && createdOn <= Date.now(), 'createdOn is the server time, not the event time');
      const listed = await sandboxRequest(sandbox.url, 'POST', '/repo/v1/entity/children', {
        token: tokens.bob,
        body: { parentId: 'syn1000001', includeTypes: ['dockerrepo'] },
      });
      assert.ok(
        listed.json.page.some((header: { id: string }) => header.id === id),
        'bob sees it through the project ACL',
      );
      assert.deepEqual(await granted('bob', 'syn1000001/pushed-tool'), ['pull'], 'once it exists, bob may pull it');
    });

    it('keeps only the newest digest of a re-pushed tag and bumps the repository', async function () {
      await notify([event({ tag: 'latest', digest: `sha256:${'1'.repeat(64)}` })]);
      const id = (await lookup('syn1000001/pushed-tool')).json.id;
      const first = (await sandboxRequest(sandbox.url, 'GET', `/repo/v1/entity/${id}`, { token: tokens.alice })).json;
      await notify([event({ tag: 'latest', digest: `sha256:${'2'.repeat(64)}`, actor: '3400005' })]);
      const second = (await sandboxRequest(sandbox.url, 'GET', `/repo/v1/entity/${id}`, { token: tokens.alice })).json;
      assert.deepEqual(
        (await tags(id)).map((c) => [c.tag, c.digest]),
        [['latest', `sha256:${'2'.repeat(64)}`]],
      );
      assert.notEqual(second.etag, first.etag);
      assert.ok(Date.parse(second.modifiedOn) > Date.parse(first.modifiedOn));
      assert.equal(second.modifiedBy, '3400005');
      assert.equal(second.createdBy, '3400001');
    });

    it('adds commits to seeded repositories', async function () {
      await notify([event({ repository: 'syn1000001/aligner', tag: 'v3.0' })]);
      assert.equal((await tags('syn1000101'))[0].tag, 'v3.0');
    });

    const WIDE_ONLY = [
      'application/vnd.oci.image.manifest.v1+json',
      'application/vnd.oci.image.index.v1+json',
      'application/vnd.docker.distribution.manifest.list.v2+json',
    ];

    it('by default (strict, the Oct-2024 rule) records only Docker v2 manifests: OCI manifests, OCI indexes and manifest lists make nothing', async function () {
      await notify(WIDE_ONLY.map((mediaType, i) => event({ repository: `syn1000001/oci-${i}`, mediaType })));
      for (let i = 0; i < WIDE_ONLY.length; i++) assert.equal((await lookup(`syn1000001/oci-${i}`)).status, 404, WIDE_ONLY[i]);
      await notify([event({ repository: 'syn1000001/docker-v2' })]);
      assert.equal((await lookup('syn1000001/docker-v2')).status, 200);
    });

    it('under the wide rule (POST /__admin/manifest-policy) accepts OCI manifests, OCI indexes and manifest lists; reset goes back to strict', async function () {
      assert.deepEqual(await adminCall(sandbox.url, 'POST', 'manifest-policy', { policy: 'wide' }), { policy: 'wide' });
      await notify(WIDE_ONLY.map((mediaType, i) => event({ repository: `syn1000001/oci-${i}`, mediaType })));
      for (let i = 0; i < WIDE_ONLY.length; i++) assert.equal((await lookup(`syn1000001/oci-${i}`)).status, 200, WIDE_ONLY[i]);
      await adminCall(sandbox.url, 'POST', 'reset');
      await notify([event({ repository: 'syn1000001/after-reset', mediaType: WIDE_ONLY[0] })]);
      assert.equal((await lookup('syn1000001/after-reset')).status, 404, 'reset restores the strict rule');
    });

    it('refuses an unknown manifest policy and a bad listener delay with 400', async function () {
      const policy = await sandboxRequest(sandbox.url, 'POST', '/__admin/manifest-policy', { body: { policy: 'kind' } });
      assert.equal(policy.status, 400);
      assert.match(policy.text, /policy must be one of: strict, wide/);
      const delay = await sandboxRequest(sandbox.url, 'POST', '/__admin/listener-delay', { body: { ms: -1 } });
      assert.equal(delay.status, 400);
    });

    it('with a listener delay, answers 204 at once and records the commit only after the delay; reset drops held notifications', async function () {
      assert.deepEqual(await adminCall(sandbox.url, 'POST', 'listener-delay', { ms: 400 }), { ms: 400 });
      const started = Date.now();
      assert.equal((await notify([event({ repository: 'syn1000001/delayed' })])).status, 204);
      assert.ok(Date.now() - started < 300, 'the registry is answered at once');
      assert.equal((await lookup('syn1000001/delayed')).status, 404, 'not yet recorded');
      await new Promise((resolve) => setTimeout(resolve, 600));
      assert.equal((await lookup('syn1000001/delayed')).status, 200, 'recorded after the delay');
      await notify([event({ repository: 'syn1000001/dropped' })]);
      await adminCall(sandbox.url, 'POST', 'reset');
      await new Promise((resolve) => setTimeout(resolve, 600));
      assert.equal((await lookup('syn1000001/dropped')).status, 404, 'a reset drops the held notification');
    });

    it('ignores blobs, pulls, mounts and other registries', async function () {
      const ignored = [
        event({ repository: 'syn1000001/blob', mediaType: 'application/octet-stream' }),
        event({ repository: 'syn1000001/layer', mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip' }),
        event({ repository: 'syn1000001/pulled', action: 'pull' }),
        event({ repository: 'syn1000001/mounted', action: 'mount' }),
        event({ repository: 'syn1000001/elsewhere', host: 'docker.synapse.org' }),
      ];
      assert.equal((await notify(ignored)).status, 204);
      for (const path of ['blob', 'layer', 'pulled', 'mounted', 'elsewhere'])
        assert.equal((await lookup(`syn1000001/${path}`)).status, 404, path);
    });

    it('answers 204 even when an event fails; one notification is one transaction', async function () {
      // DockerManagerImpl.dockerRegistryNotification is a @WriteTransaction: the first failure rolls back the
      // earlier events and skips the rest (this test used to expect the others to be processed).
      const response = await notify([
        event({ repository: 'syn1000001/before' }),
        event({ repository: 'syn1000104/in-a-folder' }),
        event({ repository: 'syn999999/nowhere' }),
        event({ repository: 'syn1000001/good', actor: '999' }),
        event({ repository: 'syn1000001/fine' }),
      ]);
      assert.equal(response.status, 204);
      for (const path of ['syn1000001/before', 'syn1000104/in-a-folder', 'syn999999/nowhere', 'syn1000001/good', 'syn1000001/fine']) {
        assert.equal((await lookup(path)).status, 404, path);
      }
      assert.equal((await notify([event({ repository: 'syn1000001/before' }), event({ repository: 'syn1000001/fine' })])).status, 204);
      assert.equal((await lookup('syn1000001/before')).status, 200);
      assert.equal((await lookup('syn1000001/fine')).status, 200);
    });

    it('requires the shared secret', async function () {
      assert.equal((await notify([event()], { user: LISTENER.user, password: 'wrong' })).status, 401);
      const anonymous = await sandboxRequest(sandbox.url, 'POST', '/dockerRegistryListener/v1/events', { body: { events: [event()] } });
      assert.equal(anonymous.status, 401);
      assert.equal((await lookup('syn1000001/pushed-tool')).status, 404);
      assert.deepEqual(sandbox.listenerCredentials, LISTENER);
    });

    it('is undone by reset', async function () {
      await notify([event()]);
      assert.equal((await lookup('syn1000001/pushed-tool')).status, 200);
      await adminCall(sandbox.url, 'POST', 'reset');
      assert.equal((await lookup('syn1000001/pushed-tool')).status, 404);
    });
  });
});
