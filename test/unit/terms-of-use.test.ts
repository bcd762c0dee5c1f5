// A user who must accept Synapse's new terms of use gets 403 "Terms of use have not been signed." on every
// call. Sign-in, the tree and preflight (preflight.test.ts) each say to accept the terms on the web site.
import assert from 'node:assert/strict';
import { SynapseClient } from '../../src/core/synapse/client';
import { SignInError, verifyToken } from '../../src/core/synapse/signIn';
import { ProjectsTreeModel } from '../../src/core/tree/model';
import { MessageNode } from '../../src/core/tree/nodes';
import { TEST_REGISTRY, useTestSandbox } from './helpers/inProcessSandbox';

const NO_RETRY = { maxRetries: 0, baseDelayMs: 1, maxDelayMs: 1, throttledBaseDelayMs: 1 };
const PORTAL = 'https://portal.example.org/';
const EXPECTED =
  'Synapse refuses every request until you accept its new terms of use. Sign in on https://portal.example.org, accept the new terms, then try again.';

describe('terms of use not accepted (grace)', () => {
  const sandbox = useTestSandbox();

  it('sign-in refuses the token and says to accept the terms on the portal', async () => {
    const env = sandbox();
    await assert.rejects(verifyToken(env.token('grace'), { endpoint: env.url, retry: NO_RETRY }, undefined, PORTAL), (error: unknown) => {
      assert.ok(error instanceof SignInError);
      assert.equal(error.message, EXPECTED);
      return true;
    });
    await assert.rejects(
      verifyToken(env.token('grace'), { endpoint: env.url, retry: NO_RETRY }),
      /Sign in on https:\/\/www\.synapse\.org, accept the new terms/,
    );
    assert.equal(
      (await verifyToken(env.token('heidi'), { endpoint: env.url, retry: NO_RETRY }, undefined, PORTAL)).profile.userName,
      'heidi',
    );
  });

  it('the tree shows it in place of the project list, with Retry', async () => {
    const env = sandbox();
    const client = new SynapseClient({ endpoint: env.url, token: env.token('grace'), retry: NO_RETRY });
    const model = new ProjectsTreeModel({
      client: async () => client,
      settings: () => ({
        projectFilter: 'ALL',
        projectSort: 'LAST_ACTIVITY',
        tagSort: 'CREATED_ON',
        registry: TEST_REGISTRY,
        portalUrl: PORTAL,
      }),
      pinnedProjects: () => [{ id: 'syn1000006', name: 'Controlled Access Data' }],
    });
    const nodes = await model.children();
    const messages = nodes.filter((node): node is MessageNode => node.kind === 'message');
    assert.deepEqual(
      messages.map((m) => [m.severity, m.text, m.action]),
      [['error', `${EXPECTED} — Retry`, 'retry']],
    );
  });
});
