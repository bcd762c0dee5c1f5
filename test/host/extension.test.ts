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
import {
  readSandbox,
  runCommandDismissingPrompts,
  sandboxUser,
  sleep,
  waitFor,
  type SandboxInfo,
  type SandboxUser,
  EXTENSION_ID,
} from './helpers';

const LOG_CHANNEL_NAME = 'Synapse Docker';

interface ExtensionApi {
  currentUser(): { userName: string; ownerId: string } | undefined;
  hasStoredToken(): Promise<boolean>;
}
function listFromEnv(name: string): string[] {
  return (process.env[name] ?? '').split(path.delimiter).filter((p) => p.length > 0);
}

/** Gives the log service time to write what the extension logged. */
function flushLogs(): Promise<void> {
  return new Promise((r) => setTimeout(r, 1500));
}

describe('Synapse Docker in a real VS Code extension host', function () {
  this.timeout(60_000);
  let api: ExtensionApi;
  let sandbox: SandboxInfo;
  let alice: SandboxUser;

  before(async () => {
    sandbox = readSandbox();
    alice = sandboxUser(sandbox, 'alice');
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
    if (await api.hasStoredToken()) await runCommandDismissingPrompts('synapseDocker.signOut');
    assert.equal(await api.hasStoredToken(), false, 'a fresh host must start without a stored token');
  });

  it('registers every command contributed in package.json', async () => {
    const extension = vscode.extensions.getExtension(EXTENSION_ID)!;
    const contributed: string[] = (extension.packageJSON.contributes?.commands ?? []).map((c: { command: string }) => c.command);
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
    const outcome = await runCommandDismissingPrompts('synapseDocker.signIn', [badToken]);
    assert.equal(outcome.timedOut, false, 'signIn with a bad token must finish once its message is dismissed');
    await sleep(500);
    assert.equal(api.currentUser(), undefined, 'a bad token must not sign anyone in');
    assert.equal(await api.hasStoredToken(), false, 'a bad token must not be stored');
  });

  it("signs in with alice's token", async () => {
    const outcome = await runCommandDismissingPrompts('synapseDocker.signIn', [alice.token], 15_000);
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
    const outcome = await runCommandDismissingPrompts('synapseDocker.signOut');
    assert.equal(outcome.timedOut, false, 'signOut must finish (a confirmation, if any, is dismissed after 3 s)');
    assert.equal(outcome.error, undefined, `signOut failed: ${String(outcome.error)}`);
    await waitFor('hasStoredToken() to be false', async () => !(await api.hasStoredToken()));
    assert.equal(api.currentUser(), undefined);
  });
});
