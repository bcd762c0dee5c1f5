// The sandbox's POST /__admin/revoke: a revoked token is answered 401 everywhere, like a token
// revoked in Synapse; the user's other tokens keep working; reset revives a revoked seeded token.
import * as assert from 'node:assert/strict';
import { sandboxRequest } from './server/client';
import { TEST_REGISTRY, useTestSandbox } from '../unit/helpers/inProcessSandbox';

describe('Synapse sandbox: revoking a token', function () {
  const testSandbox = useTestSandbox();
  const profile = (token: string) => sandboxRequest(testSandbox().url, 'GET', '/repo/v1/userProfile', { token });
  const bearer = (token: string) =>
    sandboxRequest(testSandbox().url, 'GET', `/docker/v1/bearerToken?service=${TEST_REGISTRY}&scope=repository:syn1000001/aligner:pull`, {
      headers: { Authorization: `Basic ${Buffer.from(`alice:${token}`).toString('base64')}` },
    });
  const revoke = (token: unknown) => sandboxRequest(testSandbox().url, 'POST', '/__admin/revoke', { body: { token } });

  it("answers 401 to /repo/v1 and 500 to /docker/v1 with a revoked token (as Synapse does), and keeps the user's other tokens valid", async () => {
    const env = testSandbox();
    const { token } = await env.admin<{ token: string }>('POST', 'tokens', { userName: 'alice' });
    assert.equal((await profile(token)).status, 200);
    assert.equal((await bearer(token)).status, 200);
    const revoked = await revoke(token);
    assert.equal(revoked.status, 200);
    assert.deepEqual(revoked.json, { ok: true });
    const after = await profile(token);
    assert.equal(after.status, 401);
    assert.equal(after.json.reason, 'Invalid access token');
    // Synapse's docker filter lets the revoked-token ForbiddenException reach the catch-all handler: 500.
    const refusedBearer = await bearer(token);
    assert.equal(refusedBearer.status, 500);
    assert.equal(refusedBearer.json.reason, 'The provided personal access token has expired or has been revoked.');
    assert.equal((await profile(env.token('alice'))).status, 200, "alice's seeded token is another token: still valid");
  });

  it('refuses a token that is not valid (404) and a body without one (400)', async () => {
    const env = testSandbox();
    const { token } = await env.admin<{ token: string }>('POST', 'tokens', { userName: 'bob' });
    assert.equal((await revoke(token)).status, 200);
    const again = await revoke(token);
    assert.equal(again.status, 404, 'a revoked token cannot be revoked twice');
    assert.match(again.text, /The sandbox did not issue this token\./);
    assert.equal((await revoke(`${token.slice(0, -2)}xx`)).status, 404, 'a forged signature is no token of the sandbox');
    const missing = await revoke(undefined);
    assert.equal(missing.status, 400);
    assert.match(missing.text, /token is required/);
  });

  it('reset makes a revoked seeded token valid again; a revoked minted token stays revoked', async () => {
    const env = testSandbox();
    const seeded = env.token('carol');
    const { token: minted } = await env.admin<{ token: string }>('POST', 'tokens', { userName: 'carol' });
    await revoke(seeded);
    await revoke(minted);
    assert.equal((await profile(seeded)).status, 401);
    await env.admin('POST', 'reset');
    assert.equal((await profile(seeded)).status, 200);
    assert.equal((await profile(minted)).status, 401);
  });
});
