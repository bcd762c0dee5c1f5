// Runs inside a real VS Code extension host (code-server or desktop VS Code), loaded by
// test/host/index.ts. Environment set by the runners:
//   SYNAPSE_SANDBOX_JSON         path to .synapse-sandbox/sandbox.json (users' tokens, endpoints)
//   SYNAPSE_DOCKER_SCAN_DIRS     folders (path.delimiter-separated) that must never hold the token:
//                                VS Code's user data (settings, state, logs), extensions, server data
//   SYNAPSE_DOCKER_SECRET_STORE  files/folders excluded from that scan because they are the secret
//                                store itself (empty for code-server: its SecretStorage is in the browser)
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { findFiles, scanForSecret } from '../vscode/secretScan';

const EXTENSION_ID = 'sage-synapse-tools.synapse-docker';
const LOG_CHANNEL_NAME = 'Synapse Docker';

interface ExtensionApi {
  currentUser(): { userName: string; ownerId: string } | undefined;
  hasStoredToken(): Promise<boolean>;
}
interface SandboxUser {
  userName: string;
  ownerId: string;
  token: string;
  certified?: boolean;
  scopes?: string[];
}
interface SandboxJson {
  synapseEndpoint: string;
  portalUrl: string;
  registry: string;
  dockerHost?: string;
  users: SandboxUser[];
}

function readSandbox(): SandboxJson {
  const file = process.env.SYNAPSE_SANDBOX_JSON;
  if (!file) throw new Error('SYNAPSE_SANDBOX_JSON is not set: the runner must pass the path of sandbox.json');
  if (!fs.existsSync(file)) throw new Error(`SYNAPSE_SANDBOX_JSON points to a missing file: ${file}`);
  return JSON.parse(fs.readFileSync(file, 'utf8')) as SandboxJson;
}

function listFromEnv(name: string): string[] {
  return (process.env[name] ?? '').split(path.delimiter).filter((p) => p.length > 0);
}

async function waitFor<T>(what: string, probe: () => T | Promise<T>, timeoutMs = 10_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: T = await probe();
  while (!last && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    last = await probe();
  }
  if (!last) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
  return last as NonNullable<T>;
}

const sleep = (ms: number) => new Promise<'slept'>((r) => setTimeout(() => r('slept'), ms));

/**
 * Runs a command. A command may wait on the user (an error notification's buttons, an input box);
 * after a short while those are dismissed, as a user would, and the command must then finish.
 */
async function runCommand(
  command: string,
  args: unknown[] = [],
  patienceMs = 3_000,
): Promise<{ error?: unknown; timedOut: boolean; dismissed: boolean }> {
  let settled: { error?: unknown } | undefined;
  const done = Promise.resolve(vscode.commands.executeCommand(command, ...args)).then(
    () => (settled = {}),
    (error: unknown) => (settled = { error }),
  );
  await Promise.race([done, sleep(patienceMs)]);
  let dismissed = false;
  if (!settled) {
    dismissed = true;
    await vscode.commands.executeCommand('notifications.clearAll');
    await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
    await Promise.race([done, sleep(10_000)]);
  }
  const outcome = settled as { error?: unknown } | undefined;
  return { error: outcome?.error, timedOut: !outcome, dismissed };
}

/** Gives the log service time to write what the extension logged. */
function flushLogs(): Promise<void> {
  return new Promise((r) => setTimeout(r, 1500));
}

describe('Synapse Docker in a real VS Code extension host', function () {
  this.timeout(60_000);
  let api: ExtensionApi;
  let sandbox: SandboxJson;
  let alice: SandboxUser;

  before(async () => {
    sandbox = readSandbox();
    const found = sandbox.users.find((u) => u.userName === 'alice');
    if (!found) throw new Error(`sandbox.json has no user "alice" (users: ${sandbox.users.map((u) => u.userName).join(', ')})`);
    alice = found;
  });

  it('activates and returns its test API', async () => {
    const extension = vscode.extensions.getExtension<ExtensionApi>(EXTENSION_ID);
    assert.ok(extension, `extension ${EXTENSION_ID} is not loaded`);
    const exports = await extension.activate();
    assert.ok(extension.isActive, 'extension did not activate');
    assert.equal(typeof exports?.currentUser, 'function', 'activate() must return currentUser()');
    assert.equal(typeof exports?.hasStoredToken, 'function', 'activate() must return hasStoredToken()');
    api = exports;
    // A fresh host starts signed out; make sure of it so the next tests mean something.
    if (await api.hasStoredToken()) await runCommand('synapseDocker.signOut');
    assert.equal(await api.hasStoredToken(), false, 'a fresh host must start without a stored token');
  });

  it('registers every command contributed in package.json', async () => {
    const extension = vscode.extensions.getExtension(EXTENSION_ID)!;
    const contributed: string[] = (extension.packageJSON.contributes?.commands ?? []).map(
      (c: { command: string }) => c.command,
    );
    assert.ok(contributed.length > 0, 'package.json contributes no commands');
    const registered = new Set(await vscode.commands.getCommands(true));
    const missing = contributed.filter((c) => !registered.has(c));
    assert.deepEqual(missing, [], `contributed but not registered: ${missing.join(', ')}`);
  });

  it('runs against the sandbox (settings and DOCKER_HOST reach the extension host)', () => {
    const config = vscode.workspace.getConfiguration('synapseDocker');
    assert.equal(config.get('endpoint'), sandbox.synapseEndpoint);
    assert.equal(config.get('registry'), sandbox.registry);
    assert.equal(config.get('portalUrl'), sandbox.portalUrl);
    if (sandbox.dockerHost) assert.equal(process.env.DOCKER_HOST, sandbox.dockerHost);
  });

  it('refuses a bad token and stores nothing', async () => {
    const badToken = `not-a-synapse-token-${crypto.randomBytes(12).toString('hex')}`;
    const outcome = await runCommand('synapseDocker.signIn', [badToken]);
    assert.equal(outcome.timedOut, false, 'signIn with a bad token must finish once its message is dismissed');
    await sleep(500);
    assert.equal(api.currentUser(), undefined, 'a bad token must not sign anyone in');
    assert.equal(await api.hasStoredToken(), false, 'a bad token must not be stored');
  });

  it("signs in with alice's token", async () => {
    const outcome = await runCommand('synapseDocker.signIn', [alice.token], 15_000);
    assert.equal(outcome.timedOut, false, 'signIn with a token argument must not wait for user input');
    assert.equal(outcome.dismissed, false, 'signIn with a good token argument must finish within 15 s without any user action');
    assert.equal(outcome.error, undefined, `signIn failed: ${String(outcome.error)}`);
    const user = await waitFor('currentUser() to be alice', () => api.currentUser());
    assert.equal(user.userName, alice.userName);
    assert.equal(String(user.ownerId), String(alice.ownerId));
    assert.equal(await api.hasStoredToken(), true, 'the token must be kept in SecretStorage');
  });

  it('keeps the token out of every file except the secret store, and out of the log', async () => {
    const roots = listFromEnv('SYNAPSE_DOCKER_SCAN_DIRS');
    assert.ok(roots.length > 0, 'SYNAPSE_DOCKER_SCAN_DIRS is empty: the runner must say where VS Code keeps its files');
    for (const root of roots) assert.ok(fs.existsSync(root), `scan folder missing: ${root}`);
    const secretStore = listFromEnv('SYNAPSE_DOCKER_SECRET_STORE');
    await flushLogs();
    // The extension's log must be among the scanned files, or "not in the log" would prove nothing.
    const logFiles = findFiles(roots, LOG_CHANNEL_NAME).filter((f) => f.endsWith('.log'));
    assert.ok(logFiles.length > 0, `no "${LOG_CHANNEL_NAME}" log file under ${roots.join(', ')}`);
    const report = scanForSecret(roots, alice.token, secretStore);
    assert.ok(report.filesScanned > 0, 'scanned no files');
    const leaks = report.hits.map((h) => `${h.file} (${h.encoding})`);
    assert.equal(leaks.length, 0, `the token leaked into: ${leaks.join(', ')}`);
  });

  it('would notice a leak (the scan finds a planted copy of a secret)', () => {
    const roots = listFromEnv('SYNAPSE_DOCKER_SCAN_DIRS');
    assert.ok(roots.length > 0);
    const canary = `canary-${crypto.randomBytes(16).toString('hex')}`;
    const logDir = path.dirname(findFiles(roots, LOG_CHANNEL_NAME)[0] ?? path.join(roots[0], 'x'));
    const planted = path.join(logDir, 'planted-canary.log');
    fs.writeFileSync(planted, `Authorization: Basic ${Buffer.from(`alice:${canary}`).toString('base64')}\n`);
    try {
      const report = scanForSecret(roots, canary, listFromEnv('SYNAPSE_DOCKER_SECRET_STORE'));
      assert.deepEqual(
        report.hits.map((h) => h.file),
        [planted],
      );
    } finally {
      fs.rmSync(planted, { force: true });
    }
  });

  it('signs out and forgets the token', async () => {
    const outcome = await runCommand('synapseDocker.signOut');
    assert.equal(outcome.timedOut, false, 'signOut must finish (a confirmation, if any, is dismissed after 3 s)');
    assert.equal(outcome.error, undefined, `signOut failed: ${String(outcome.error)}`);
    await waitFor('hasStoredToken() to be false', async () => !(await api.hasStoredToken()));
    assert.equal(api.currentUser(), undefined);
  });
});
