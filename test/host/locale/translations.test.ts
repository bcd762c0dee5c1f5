// Runs only when the host runner starts VS Code in another display language
// (SYNAPSE_DOCKER_LOCALE=qps-ploc, with a pseudo-translation of l10n/bundle.l10n.json beside the
// extension). What the user reads must come from that bundle: tree items built by the VS Code layer,
// messages composed in src/core inside dist/extension.js, and in the lazily loaded dist/docker.js.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { SynapseDockerApi } from '../../../src/api';
import { readSandbox, runCommand, sandboxUser, waitFor, EXTENSION_ID, labelOf, messages } from '../helpers';

describe(`In the display language ${process.env.SYNAPSE_DOCKER_TEST_LOCALE}: the extension's texts come from its l10n bundle`, function () {
  this.timeout(60_000);
  const language = process.env.SYNAPSE_DOCKER_TEST_LOCALE!;
  let api: SynapseDockerApi;
  let translations: Record<string, string>;

  /** The translation of `key` with its placeholders filled, as the user must see it. */
  function translated(key: string, ...args: string[]): string {
    const template = translations[key];
    assert.ok(template, `the ${language} bundle has no entry for "${key}"`);
    return template.replace(/\{(\d+)\}/g, (match, index: string) => args[Number(index)] ?? match);
  }

  before(async () => {
    const extension = vscode.extensions.getExtension<SynapseDockerApi>(EXTENSION_ID);
    assert.ok(extension, `${EXTENSION_ID} is not installed`);
    api = await extension.activate();
    const file = path.join(extension.extensionPath, 'l10n', `bundle.l10n.${language}.json`);
    translations = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, string>;
    const alice = sandboxUser(readSandbox(), 'alice');
    if (api.currentUser()) await runCommand('synapseDocker.signOut');
    assert.equal(await runCommand<boolean>('synapseDocker.signIn', [alice.token]), true);
  });

  after(async () => {
    // The run's screenshot then shows the view's welcome text in the display language.
    await vscode.commands.executeCommand('synapseDocker.projects.focus');
    await runCommand('synapseDocker.filterProjects', ['']);
    await vscode.workspace.getConfiguration('synapseDocker').update('dockerHost', undefined, vscode.ConfigurationTarget.Global);
    await runCommand('synapseDocker.signOut').catch(() => undefined);
  });

  it('runs with vscode.env.language set to it, and a bundle that is a translation', () => {
    // (vscode.l10n.bundle here would be this test file's, which lies outside the extension.)
    assert.equal(vscode.env.language, language);
    assert.notEqual(translations['Load more…'], 'Load more…', 'the bundle is a translation, not the English');
  });

  it("titles the manifest's commands from package.nls.<language>.json", () => {
    const extension = vscode.extensions.getExtension(EXTENSION_ID)!;
    const manifestStrings = JSON.parse(
      fs.readFileSync(path.join(extension.extensionPath, `package.nls.${language}.json`), 'utf8'),
    ) as Record<string, string>;
    type Title = string | { value: string; original: string }; // localized titles keep the English as `original`
    const commands = (extension.packageJSON as { contributes: { commands: { command: string; title: Title }[] } }).contributes.commands;
    const title = commands.find((command) => command.command === 'synapseDocker.signIn')?.title;
    assert.deepEqual(title, { value: manifestStrings['command.signIn'], original: 'Sign In' });
    assert.notEqual(manifestStrings['command.signIn'], 'Sign In');
  });

  it('labels tree items from the VS Code layer in that language ("Load more…")', async () => {
    const more = (await api.tree.getChildren()).find((node) => node.kind === 'loadMore');
    assert.ok(more, "alice's 57 projects need a second page");
    assert.equal(labelOf(await api.tree.getTreeItem(more)), translated('Load more…'));
  });

  it('shows core messages from dist/extension.js in that language (an empty filter result)', async () => {
    const filter = 'no project is called this';
    await runCommand('synapseDocker.filterProjects', [filter]);
    // Only the loaded page is filtered; with more to load, the tree offers "Load more…" instead.
    for (let i = 0; i < 5; i++) {
      const more = (await api.tree.getChildren()).find((node) => node.kind === 'loadMore');
      if (!more) break;
      await runCommand('synapseDocker.loadMore', [more]);
    }
    const [message] = messages(await api.tree.getChildren());
    assert.ok(message, 'the filtered tree says nothing matches');
    assert.equal(message.text, translated('No loaded project matches "{0}"', filter));
    await runCommand('synapseDocker.filterProjects', ['']);
  });

  it('shows core messages from the lazily loaded dist/docker.js in that language (no engine at the dockerHost)', async () => {
    const socket = `/tmp/synapse-docker-no-engine-${process.pid}.sock`;
    await vscode.workspace.getConfiguration('synapseDocker').update('dockerHost', `unix://${socket}`, vscode.ConfigurationTarget.Global);
    assert.equal(await runCommand<boolean>('synapseDocker.retryDocker'), false, 'there is no engine to reach'); // loads dist/docker.js
    const warning = await waitFor('the tree to report the missing engine', async () =>
      messages(await api.tree.getChildren()).find((node) => node.id === 'msg:docker'),
    );
    const reason = translated(
      'Docker is not running: there is no socket at {0}. Start Docker, or set synapseDocker.dockerHost./{0}: the Docker host address and how it was found, e.g. unix:///var/run/docker.sock (default).',
      `unix://${socket} (setting)`,
    );
    assert.equal(warning.text, translated('{0} — Retry', reason));
  });
});
