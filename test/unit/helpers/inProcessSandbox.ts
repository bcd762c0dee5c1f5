// Starts the Synapse sandbox inside the test process on a free loopback port, with the default
// seed, and gives tests its admin API.
import { loadSeed, RunningSandbox, startSandbox } from '../../sandbox/server';
import { adminCall } from '../../sandbox/server/client';

export interface TestSandbox {
  sandbox: RunningSandbox;
  url: string;
  token(userName: string): string;
  admin<T = unknown>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T>;
  close(): Promise<void>;
}

export const TEST_REGISTRY = '127.0.0.1:5999';

export async function startTestSandbox(): Promise<TestSandbox> {
  const sandbox = await startSandbox({ seed: loadSeed(), registryHost: TEST_REGISTRY, port: 0 });
  const admin = <T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> =>
    adminCall(sandbox.url, method, path, body) as Promise<T>;
  return {
    sandbox,
    url: sandbox.url,
    token: (userName) => {
      const user = sandbox.users().find((u) => u.userName === userName);
      if (!user) throw new Error(`no seeded user ${userName}`);
      return user.token;
    },
    admin,
    close: () => sandbox.close(),
  };
}

export interface RequestStats {
  requests: Array<{ method: string; path: string; userId?: string; status: number; startedAt: number; endedAt: number }>;
  maxConcurrentByUser: Record<string, number>;
}

/**
 * Registers mocha hooks for a suite: one sandbox for the suite, reset to the seed (with fresh
 * stats) before each test. Returns an accessor for the running sandbox.
 */
export function useTestSandbox(): () => TestSandbox {
  let env: TestSandbox | undefined;
  before(async () => {
    env = await startTestSandbox();
  });
  after(() => env?.close());
  beforeEach(async () => {
    await env!.admin('POST', 'reset');
    await env!.admin('POST', 'stats/reset');
  });
  return () => env!;
}
