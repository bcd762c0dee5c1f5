// Sharing settings in a real extension host, through the registered commands: the projects tree says what
// you may do (pull, push, share), "Sharing…" fills the Sharing view, and every change asks in a modal
// dialog (answered here as a user would), is refused before sending when Synapse would refuse it, and
// reloads on a concurrent change. The registry's token server (asked from the test process) follows.
// Environment (set by the runners): SYNAPSE_SANDBOX_JSON, the path of .synapse-sandbox/sandbox.json.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { SynapseDockerApi } from '../../src/api';
import type { ProjectNode, RepositoryNode } from '../../src/core/tree/nodes';
import type { SharingElement } from '../../src/core/sharing/elements';
import {
  descriptionOf,
  EXTENSION_ID,
  labelOf,
  projects,
  readSandbox,
  repositories,
  runCommand,
  sandboxUser,
  waitFor,
  type SandboxInfo,
} from './helpers';

const PROJECT = 'syn1000001';
const RESTRICTED = 'syn1000106';
const BOB = '3400002';

type MessageFunction = (message: string, ...rest: unknown[]) => Thenable<unknown>;
interface Shown {
  kind: 'error' | 'warning' | 'info';
  message: string;
  detail?: string;
  modal: boolean;
  items: string[];
}
const NOTIFIERS = { error: 'showErrorMessage', warning: 'showWarningMessage', info: 'showInformationMessage' } as const;

/**
 * Runs `step` while the show*Message functions record what they are asked; a modal dialog is answered with
 * `answer` (its button label, if it offers one), anything else as closed. Restored in finally.
 */
async function answering<T>(answer: string | undefined, step: () => Promise<T>): Promise<{ result: T; shown: Shown[] }> {
  const window = vscode.window as unknown as Record<string, MessageFunction>;
  const originals = Object.fromEntries(Object.values(NOTIFIERS).map((name) => [name, window[name]])) as Record<string, MessageFunction>;
  const shown: Shown[] = [];
  try {
    for (const [kind, name] of Object.entries(NOTIFIERS) as [Shown['kind'], string][]) {
      window[name] = (message: string, ...rest: unknown[]) => {
        const options = rest.find((item): item is vscode.MessageOptions => typeof item === 'object' && item !== null && 'modal' in item);
        const items = rest.filter((item): item is string => typeof item === 'string');
        shown.push({ kind, message, detail: options?.detail, modal: options?.modal === true, items });
        return Promise.resolve(options?.modal && answer && items.includes(answer) ? answer : undefined);
      };
    }
    return { result: await step(), shown };
  } finally {
    for (const [name, original] of Object.entries(originals)) window[name] = original;
  }
}

describe('Sharing settings: seen in the tree and the Sharing view, changed through the commands (alice)', function () {
  this.timeout(60_000);
  let api: SynapseDockerApi;
  let sandbox: SandboxInfo;

  const rest = async (user: string, method: string, path: string, body?: unknown) => {
    const response = await fetch(`${sandbox.synapseEndpoint}/repo/v1${path}`, {
      method,
      headers: { Authorization: `Bearer ${sandboxUser(sandbox, user).token}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, json: text ? JSON.parse(text) : undefined };
  };
  /** What the registry's token server grants bob on restricted-tool now. */
  const bobsActions = async (): Promise<string[]> => {
    const basic = Buffer.from(`bob:${sandboxUser(sandbox, 'bob').token}`).toString('base64');
    const response = await fetch(
      `${sandbox.synapseEndpoint}/docker/v1/bearerToken?service=${encodeURIComponent(sandbox.registry)}&scope=repository:${PROJECT}/restricted-tool:pull`,
      { headers: { Authorization: `Basic ${basic}` } },
    );
    const { token } = (await response.json()) as { token: string };
    return (JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as { access: Array<{ actions: string[] }> })
      .access[0].actions;
  };
  const rows = () => api.sharing.getChildren().filter((e): e is Extract<SharingElement, { kind: 'row' }> => e.kind === 'row');
  const rowOf = (userName: string) => rows().find((e) => e.row.principal.userName === userName);
  const origin = () => api.sharing.getChildren().find((e) => e.kind === 'origin');
  async function restrictedNode(): Promise<RepositoryNode> {
    const project = projects(await api.tree.getChildren()).find((p): p is ProjectNode => p.project.id === PROJECT)!;
    const found = repositories(await api.tree.getChildren(project)).find((r) => r.repository.id === RESTRICTED);
    assert.ok(found, 'restricted-tool is listed');
    return found;
  }
  const reset = async () => {
    const response = await fetch(`${sandbox.synapseEndpoint}/__admin/reset`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{}',
    });
    assert.equal(response.status, 200);
  };

  before(async () => {
    sandbox = readSandbox();
    const extension = vscode.extensions.getExtension<SynapseDockerApi>(EXTENSION_ID);
    assert.ok(extension, `extension ${EXTENSION_ID} is not loaded`);
    api = await extension.activate();
    if (api.currentUser()) await runCommand('synapseDocker.signOut');
    assert.equal(await runCommand<boolean>('synapseDocker.signIn', [sandboxUser(sandbox, 'alice').token]), true);
    await waitFor('alice signed in', () => api.currentUser()?.userName === 'alice');
  });

  after(async () => {
    await reset().catch(() => undefined);
    if (api?.currentUser()) await runCommand('synapseDocker.signOut').catch(() => undefined);
  });

  it('the tree says what alice may do with a project and a repository once they are expanded', async () => {
    await reset();
    await runCommand('synapseDocker.refresh');
    const project = projects(await api.tree.getChildren()).find((p) => p.project.id === PROJECT)!;
    assert.equal(descriptionOf(api.tree.getTreeItem(project)), PROJECT, 'nothing is asked before the project is expanded');
    await api.tree.getChildren(project);
    await waitFor(
      'the project row to say pull · push · share',
      () => descriptionOf(api.tree.getTreeItem(project)) === `${PROJECT} · pull · push · share`,
    );
    const repository = await restrictedNode();
    await api.tree.getChildren(repository);
    await waitFor('the repository row to say pull · push · share', () =>
      descriptionOf(api.tree.getTreeItem(repository)).startsWith('pull · push · share · pushed'),
    );
    const tooltip = api.tree.getTreeItem(repository).tooltip as vscode.MarkdownString;
    assert.match(tooltip.value, /You may pull this repository\. You may push to it\. You may change its sharing settings\./);
  });

  it('"Sharing…" on a repository shows its local settings, alice\'s row marked; bob gets "Can download" after the confirmation', async () => {
    await runCommand('synapseDocker.openSharing', [await restrictedNode()]);
    assert.equal(labelOf(api.sharing.getTreeItem(origin()!)), 'Local sharing settings');
    const alice = rowOf('alice')!;
    assert.equal(descriptionOf(api.sharing.getTreeItem(alice)), 'Administrator (you)');
    assert.equal(descriptionOf(api.sharing.getTreeItem(rowOf('bob')!)), 'Can view');
    assert.deepEqual(await bobsActions(), []);
    const declined = await answering(undefined, () => runCommand<boolean>('synapseDocker.sharing.changeLevel', [rowOf('bob'), 'download']));
    assert.equal(declined.result, false, 'closing the dialog sends nothing');
    assert.deepEqual(await bobsActions(), []);
    const { result, shown } = await answering('Change Sharing', () =>
      runCommand<boolean>('synapseDocker.sharing.changeLevel', [rowOf('bob'), 'download']),
    );
    assert.equal(result, true);
    const dialog = shown.find((s) => s.modal)!;
    assert.equal(dialog.message, 'Change the sharing settings of syn1000001/restricted-tool?');
    assert.equal(dialog.detail, 'Bob Baker (bob): Can view → Can download — gains pull');
    assert.equal(descriptionOf(api.sharing.getTreeItem(rowOf('bob')!)), 'Can download');
    assert.deepEqual(await bobsActions(), ['pull'], 'the registry follows at once');
  });

  it('restoring inheritance: the dialog says who gains or loses, then the view says "Inherited from Alice Main Project"', async () => {
    const { result, shown } = await answering('Restore Inheritance', () => runCommand<boolean>('synapseDocker.sharing.restoreInheritance'));
    assert.equal(result, true);
    const dialog = shown.find((s) => s.modal)!;
    assert.equal(
      dialog.message,
      'Delete the local sharing settings of syn1000001/restricted-tool so that it inherits those of Alice Main Project again?',
    );
    assert.match(dialog.detail ?? '', /Dave Diaz \(dave\): no access → Can view — pull and push unchanged/);
    assert.match(dialog.detail ?? '', /Carol Chen \(carol\): Can download → Can edit — gains push/);
    const header = api.sharing.getTreeItem(origin()!);
    assert.equal(labelOf(header), 'Inherited from Alice Main Project');
    assert.deepEqual(
      header.command?.arguments,
      [{ id: PROJECT, name: 'Alice Main Project', kind: 'project' }],
      "the header opens the project's sharing",
    );
    assert.equal((await rest('alice', 'GET', `/entity/${RESTRICTED}/benefactor`)).json.id, PROJECT);
  });

  it("Synapse's rules are explained before sending, and nothing is sent", async () => {
    const before = (await rest('alice', 'GET', `/entity/${PROJECT}/acl`)).json.etag;
    await runCommand('synapseDocker.openSharing', [{ id: PROJECT, name: 'Alice Main Project', kind: 'project' }]);
    const { result, shown } = await answering(undefined, () =>
      runCommand<boolean>('synapseDocker.sharing.addPrincipal', [undefined, { name: 'PUBLIC', level: 'download' }]),
    );
    assert.equal(result, false);
    const refusal = shown.find((s) => s.kind === 'error' && s.modal)!;
    assert.equal(refusal.message, 'Synapse would refuse this change to the sharing settings of Alice Main Project.');
    assert.equal(
      refusal.detail,
      'Anyone on the web (public) may only view: Synapse gives the public no download or edit rights. (Synapse: "Only READ permissions can be assigned to the public group")',
    );
    assert.equal((await rest('alice', 'GET', `/entity/${PROJECT}/acl`)).json.etag, before, 'the ACL is untouched');
    const restore = await answering(undefined, () => runCommand<boolean>('synapseDocker.sharing.restoreInheritance'));
    assert.match(restore.shown.find((s) => s.modal)?.detail ?? '', /A project always has its own sharing settings/);
  });

  it('a concurrent change (412) is shown and reloaded, never overwritten', async () => {
    await runCommand('synapseDocker.openSharing', [
      { id: RESTRICTED, name: 'syn1000001/restricted-tool', kind: 'repository', parentId: PROJECT },
    ]);
    // Inherited now: the first change creates local settings; then someone else changes them behind the view.
    const created = await answering('Create Local Settings', () => runCommand<boolean>('synapseDocker.sharing.createLocal'));
    assert.equal(created.result, true);
    assert.equal(labelOf(api.sharing.getTreeItem(origin()!)), 'Local sharing settings');
    const acl = (await rest('alice', 'GET', `/entity/${RESTRICTED}/acl`)).json as {
      resourceAccess: Array<{ principalId: number; accessType: string[] }>;
    };
    const other = await rest('alice', 'PUT', `/entity/${RESTRICTED}/acl`, {
      ...acl,
      resourceAccess: acl.resourceAccess.filter((row) => row.principalId !== Number(BOB)),
    });
    assert.equal(other.status, 200);
    const { result, shown } = await answering('Change Sharing', () =>
      runCommand<boolean>('synapseDocker.sharing.changeLevel', [rowOf('dave'), 'download']),
    );
    assert.equal(result, false);
    assert.match(
      shown.find((s) => s.kind === 'warning' && !s.modal)?.message ?? '',
      /^Someone else changed the sharing settings of syn1000001\/restricted-tool in the meantime\. Nothing was sent over their change/,
    );
    assert.equal(rowOf('bob'), undefined, 'the view shows their change');
    assert.equal(descriptionOf(api.sharing.getTreeItem(rowOf('dave')!)), 'Can view', 'ours was not applied');
  });

  it('alice (the owner) gives herself "Can download": the tree row says pull at once, and the view turns read-only', async () => {
    const { result } = await answering('Change Sharing', () =>
      runCommand<boolean>('synapseDocker.sharing.changeLevel', [rowOf('alice'), 'download']),
    );
    assert.equal(result, true);
    const repository = await restrictedNode();
    await waitFor('the tree row to say only pull', () => descriptionOf(api.tree.getTreeItem(repository)).startsWith('pull · pushed'));
    assert.equal(api.sharing.message(), 'You may not change these settings, and nobody in them is an administrator.');
    assert.doesNotMatch(String(api.sharing.getTreeItem(rowOf('alice')!).contextValue), /editable/);
  });

  it("bob sees the project's settings read-only, with the administrator to ask", async () => {
    await runCommand('synapseDocker.signOut');
    assert.equal(await runCommand<boolean>('synapseDocker.signIn', [sandboxUser(sandbox, 'bob').token]), true);
    await waitFor('bob signed in', () => api.currentUser()?.userName === 'bob');
    assert.deepEqual(api.sharing.getChildren(), [], 'another user: the view emptied');
    await runCommand('synapseDocker.openSharing', [
      { id: 'syn1000101', name: 'syn1000001/aligner', kind: 'repository', parentId: PROJECT },
    ]);
    assert.equal(labelOf(api.sharing.getTreeItem(origin()!)), 'Inherited from Alice Main Project');
    assert.equal(api.sharing.message(), 'You may not change these settings. Ask an administrator: Alice Anderson (alice).');
    assert.equal(descriptionOf(api.sharing.getTreeItem(rowOf('bob')!)), 'Can download (you)');
    const attempt = await answering('Change Sharing', () =>
      runCommand<boolean>('synapseDocker.sharing.changeLevel', [rowOf('bob'), 'edit']),
    );
    assert.equal(attempt.result, false);
    assert.match(attempt.shown.find((s) => s.modal)?.detail ?? '', /Ask an administrator: Alice Anderson \(alice\)/);
  });
});
