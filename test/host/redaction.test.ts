// A unique sandbox token, minted for this suite, driven through every exit the extension has in a
// real extension host: a refused malformed sign-in, a real sign-in (which hands the token to the
// engine for the registry login), Synapse errors that echo the token and its X-Registry-Auth form
// (retried, then shown in the tree), and a refused push. Then the notifications' text, the tree's
// labels and every file VS Code keeps (log, settings, globalState, extension folders) are scanned
// for the token, its fragments and its base64 forms.
// Environment (set by the runners): SYNAPSE_SANDBOX_JSON, SYNAPSE_DOCKER_SCAN_DIRS, SYNAPSE_DOCKER_SECRET_STORE.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { SynapseDockerApi } from '../../src/api';
import type { TreeNode } from '../../src/core/tree/nodes';
import { findFiles, scanForSecret, secretInText } from '../vscode/secretScan';
import { EXTENSION_ID, readSandbox, runCommand, runCommandDismissingPrompts, sleep, waitFor, type SandboxInfo } from './helpers';

type MessageFunction = (message: string, ...rest: unknown[]) => Thenable<unknown>;
const NOTIFIERS = ['showErrorMessage', 'showWarningMessage', 'showInformationMessage'] as const;

describe('the token never appears in clear (a planted token through every exit)', function () {
  this.timeout(120_000);
  let api: SynapseDockerApi;
  let sandbox: SandboxInfo;
  let token = '';
  const shown: string[] = [];
  const window = vscode.window as unknown as Record<string, MessageFunction>;
  const originals = Object.fromEntries(NOTIFIERS.map((name) => [name, window[name]])) as Record<string, MessageFunction>;

  async function admin(route: string, body: unknown): Promise<unknown> {
    const response = await fetch(`${sandbox.synapseEndpoint}/__admin/${route}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    assert.equal(response.status, 200, `POST /__admin/${route}: ${text}`);
    return JSON.parse(text);
  }

  const labels = async (node?: TreeNode): Promise<string[]> =>
    (await api.tree.getChildren(node)).map((child) => {
      const item = api.tree.getTreeItem(child);
      const label = typeof item.label === 'string' ? item.label : (item.label?.label ?? '');
      return [label, item.description, typeof item.tooltip === 'string' ? item.tooltip : item.tooltip?.value].filter(Boolean).join(' | ');
    });

  before(async () => {
    sandbox = readSandbox();
    // view and download only: a push is then refused (the push-denial exit).
    token = ((await admin('tokens', { userName: 'alice', scopes: ['view', 'download'] })) as { token: string }).token;
    api = (await vscode.extensions.getExtension<SynapseDockerApi>(EXTENSION_ID)!.activate())!;
    if (api.currentUser()) await runCommand('synapseDocker.signOut');
    // Record every notification's text and buttons (still shown; answered at once as if closed).
    for (const name of NOTIFIERS) {
      window[name] = (message: string, ...rest: unknown[]) => {
        const items = rest.map((item) => (typeof item === 'string' ? item : ((item as { title?: string })?.title ?? ''))).join(' | ');
        shown.push(`${message} [${items}]`);
        void Promise.resolve(originals[name].call(vscode.window, message, ...rest)).then(undefined, () => undefined);
        return Promise.resolve(undefined);
      };
    }
  });

  after(async () => {
    for (const name of NOTIFIERS) window[name] = originals[name];
    await admin('reset', {}).catch(() => undefined);
    if (api?.currentUser()) await runCommand('synapseDocker.signOut').catch(() => undefined);
    await vscode.commands.executeCommand('notifications.clearAll');
  });

  it('refuses a token with a CR/LF in it before any request, naming the position only', async () => {
    const broken = `${token.slice(0, 40)}\r\n${token.slice(40)}`;
    const before = shown.length;
    const outcome = await runCommandDismissingPrompts('synapseDocker.signIn', [broken]);
    assert.equal(outcome.timedOut, false);
    assert.equal(api.currentUser(), undefined);
    assert.equal(await api.hasStoredToken(), false);
    assert.deepEqual(shown.slice(before), [
      'The token contains a line break (U+000D) at position 41. A personal access token is one line of letters, digits, dots, dashes and underscores; copy it again from your Synapse account settings. [Try Another Token | Create a Token]',
    ]);
  });

  it('signs in with the planted token (the registry login hands it to the engine)', async () => {
    const ok = await runCommand<boolean>('synapseDocker.signIn', [token], 20_000);
    assert.equal(ok, true, `sign-in failed; notifications:\n${shown.join('\n')}`);
    await waitFor('alice signed in', () => api.currentUser()?.userName === 'alice');
    await sleep(2000); // the background registry login through the engine
  });

  it('keeps an echoing Synapse error out of the log (retried) and out of the tree (shown)', async () => {
    const authconfig = Buffer.from(JSON.stringify({ username: 'alice', password: token, serveraddress: sandbox.registry })).toString(
      'base64url',
    );
    const reason = `Proxy echo: Authorization: Bearer ${token}; X-Registry-Auth: ${authconfig}; Basic ${Buffer.from(`alice:${token}`).toString('base64')}`;
    // Two 503s (retried and logged), then a 403 the tree shows.
    await admin('fail', { status: 503, count: 2, pathPrefix: '/repo/v1/projects', reason });
    await admin('fail', { status: 403, count: 1, pathPrefix: '/repo/v1/projects', reason });
    await runCommand('synapseDocker.refresh');
    const shownInTree = (await labels()).join('\n');
    assert.match(shownInTree, /\[redacted token\]/, `the tree should show the redacted reason:\n${shownInTree}`);
    assert.match(shownInTree, /\[redacted credentials\]/, `the tree should show the redacted reason:\n${shownInTree}`);
    assert.deepEqual(secretInText(shownInTree, token), [], `the tree shows the token:\n${shownInTree}`);
    await admin('reset', {});
  });

  it('keeps a refused push free of it', async () => {
    const before = shown.length;
    const result = await runCommand<boolean>(
      'synapseDocker.pushImage',
      [`${sandbox.registry}/syn1000001/redaction-${Date.now()}:v1`],
      60_000,
    );
    assert.equal(result, false);
    assert.ok(shown.length > before, 'the refusal was shown');
  });

  it('shows no notification text with the token, its fragments or its base64 forms', () => {
    assert.ok(shown.length >= 2, `too few notifications recorded:\n${shown.join('\n')}`);
    const found = shown.map((text) => ({ text, hits: secretInText(text, token) })).filter((n) => n.hits.length);
    assert.deepEqual(found, []);
  });

  it('keeps the token out of the log, settings, globalState and the extension folders', async () => {
    await sleep(1500); // the log service writes late
    const roots = (process.env.SYNAPSE_DOCKER_SCAN_DIRS ?? '').split(path.delimiter).filter(Boolean);
    assert.ok(roots.length > 0, 'SYNAPSE_DOCKER_SCAN_DIRS is empty');
    const logFiles = findFiles(roots, 'Synapse Docker').filter((f) => f.endsWith('.log'));
    assert.ok(logFiles.length > 0, 'no extension log file to scan');
    // The log must hold what happened, redacted: else "not in the log" proves nothing.
    const { readFileSync } = await import('node:fs');
    const log = logFiles.map((f) => readFileSync(f, 'utf8')).join('\n');
    assert.match(
      log,
      /Proxy echo: Authorization: Bearer \[redacted token\]; X-Registry-Auth: \[redacted credentials\]/,
      'the echo was logged, redacted',
    );
    const secretStore = (process.env.SYNAPSE_DOCKER_SECRET_STORE ?? '').split(path.delimiter).filter(Boolean);
    const report = scanForSecret(roots, token, secretStore);
    assert.ok(report.filesScanned > 0);
    assert.deepEqual(
      report.hits.map((h) => `${h.file} (${h.encoding})`),
      [],
    );
  });
});
