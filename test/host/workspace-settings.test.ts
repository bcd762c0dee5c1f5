// A hostile workspace: its .vscode/settings.json names its own Synapse endpoint, registry, portal
// and Docker engine (recording servers on 127.0.0.1). Signing in and browsing must reach only the
// user's own sandbox; build settings from the workspace apply (this host's workspace is trusted).
// Then an invalid user endpoint: activation state, commands and the view survive, and recover.
// Environment (set by the runners): SYNAPSE_SANDBOX_JSON, SYNAPSE_DOCKER_SCAN_DIRS.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { SynapseDockerApi } from '../../src/api';
import { readBuildSettings, readDockerHost, readSettings } from '../../src/host/settings';
import { findFiles } from '../vscode/secretScan';
import {
  EXTENSION_ID,
  labelOf,
  messages,
  projects,
  readSandbox,
  repositories,
  runCommand,
  sandboxUser,
  sleep,
  tags,
  waitFor,
  type SandboxInfo,
  type SandboxUser,
  type StatsRequest,
} from './helpers';

interface Recorded {
  method: string;
  url: string;
  authorization?: string;
  registryAuth?: string;
}

interface Recorder {
  port: number;
  requests: Recorded[];
  close(): Promise<void>;
}

/** An HTTP server on 127.0.0.1 that answers 500 to everything and remembers what it was sent. */
async function startRecorder(): Promise<Recorder> {
  const requests: Recorded[] = [];
  const server = http.createServer((request, response) => {
    requests.push({
      method: request.method ?? '',
      url: request.url ?? '',
      authorization: request.headers.authorization,
      registryAuth: request.headers['x-registry-auth'] as string | undefined,
    });
    request.resume();
    response.writeHead(500, { 'content-type': 'text/plain' }).end('recorder');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function describeRequests(recorder: Recorder): string {
  return recorder.requests
    .map((r) => `${r.method} ${r.url}${r.authorization ? ' (Authorization)' : ''}${r.registryAuth ? ' (X-Registry-Auth)' : ''}`)
    .join(', ');
}

/** The extension's log so far ("Synapse Docker" output channel, written by the log service). */
function extensionLog(): string {
  const roots = (process.env.SYNAPSE_DOCKER_SCAN_DIRS ?? '').split(path.delimiter).filter(Boolean);
  const files = findFiles(roots, 'Synapse Docker').filter((f) => f.endsWith('.log'));
  assert.ok(files.length > 0, `no "Synapse Docker" log file under ${roots.join(', ')}`);
  return files.map((f) => fs.readFileSync(f, 'utf8')).join('\n');
}

const HOSTILE_BUILD = {
  'synapseDocker.build.context': 'from-workspace',
  'synapseDocker.build.args': { WORKSPACE_ARG: 'from-workspace' },
  'synapseDocker.build.target': 'workspace-stage',
  'synapseDocker.build.platform': 'linux/arm64',
  'synapseDocker.build.noCache': true,
  'synapseDocker.build.builder': 'classic',
  'synapseDocker.build.network': 'host',
};

describe('A hostile workspace cannot move the token; an invalid endpoint never stops the extension', function () {
  this.timeout(90_000);
  let api: SynapseDockerApi;
  let sandbox: SandboxInfo;
  let alice: SandboxUser;
  let folder: vscode.Uri;
  let settingsFile: string;
  let createdVscodeDir = false;
  let previousSettings: string | undefined;
  let endpointRecorder: Recorder;
  let registryRecorder: Recorder;
  let portalRecorder: Recorder;
  let engineRecorder: Recorder;
  let userEndpoint: unknown;

  const recorders = () => ({ endpoint: endpointRecorder, registry: registryRecorder, portal: portalRecorder, engine: engineRecorder });

  function assertRecordersUntouched(): void {
    for (const [name, recorder] of Object.entries(recorders())) {
      assert.equal(
        recorder.requests.length,
        0,
        `the workspace's ${name} received ${recorder.requests.length} request(s): ${describeRequests(recorder)}`,
      );
    }
  }

  async function sandboxRequestsSince(since: number): Promise<StatsRequest[]> {
    const response = await fetch(`${sandbox.synapseEndpoint}/__admin/stats`);
    assert.equal(response.status, 200, 'GET /__admin/stats');
    const { requests } = (await response.json()) as { requests: StatsRequest[] };
    return requests.filter((r) => r.startedAt >= since);
  }

  before(async () => {
    sandbox = readSandbox();
    alice = sandboxUser(sandbox, 'alice');
    const extension = vscode.extensions.getExtension<SynapseDockerApi>(EXTENSION_ID);
    assert.ok(extension, `extension ${EXTENSION_ID} is not loaded`);
    api = await extension.activate();
    if (api.currentUser()) await runCommand('synapseDocker.signOut');
    userEndpoint = vscode.workspace.getConfiguration('synapseDocker').inspect('endpoint')?.globalValue;
    assert.equal(userEndpoint, sandbox.synapseEndpoint, 'the runner sets the user-level endpoint to the sandbox');

    [endpointRecorder, registryRecorder, portalRecorder, engineRecorder] = await Promise.all([
      startRecorder(),
      startRecorder(),
      startRecorder(),
      startRecorder(),
    ]);
    const workspaceFolder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(workspaceFolder, 'the host runs with a workspace folder');
    folder = workspaceFolder.uri;
    const vscodeDir = path.join(folder.fsPath, '.vscode');
    settingsFile = path.join(vscodeDir, 'settings.json');
    createdVscodeDir = !fs.existsSync(vscodeDir);
    previousSettings = fs.existsSync(settingsFile) ? fs.readFileSync(settingsFile, 'utf8') : undefined;
    fs.mkdirSync(vscodeDir, { recursive: true });
    fs.writeFileSync(
      settingsFile,
      JSON.stringify(
        {
          'synapseDocker.endpoint': `http://127.0.0.1:${endpointRecorder.port}`,
          'synapseDocker.registry': `127.0.0.1:${registryRecorder.port}`,
          'synapseDocker.portalUrl': `http://127.0.0.1:${portalRecorder.port}`,
          'synapseDocker.dockerHost': `tcp://127.0.0.1:${engineRecorder.port}`,
          ...HOSTILE_BUILD,
        },
        null,
        2,
      ),
    );
    // VS Code reads the file through its watcher: wait until a workspace-settable value shows.
    await waitFor(
      "VS Code to read the workspace's settings.json",
      () => vscode.workspace.getConfiguration('synapseDocker.build', folder).inspect('target')?.workspaceValue === 'workspace-stage',
      20_000,
    );
  });

  after(async () => {
    // Leave the host as found: the user's endpoint, no workspace settings, signed out.
    if (settingsFile) {
      if (previousSettings !== undefined) fs.writeFileSync(settingsFile, previousSettings);
      else fs.rmSync(settingsFile, { force: true });
      if (createdVscodeDir) fs.rmSync(path.dirname(settingsFile), { recursive: true, force: true });
    }
    if (userEndpoint !== undefined)
      await vscode.workspace.getConfiguration('synapseDocker').update('endpoint', userEndpoint, vscode.ConfigurationTarget.Global);
    if (api?.currentUser()) await runCommand('synapseDocker.signOut').catch(() => undefined);
    await Promise.all(Object.values(recorders()).map((r) => r?.close()));
  });

  it("reads the connection settings from the user's settings only", () => {
    assert.equal(vscode.workspace.isTrusted, true, 'this host runs with workspace trust off, so the workspace is trusted');
    assert.deepEqual(readSettings(), { endpoint: sandbox.synapseEndpoint, registry: sandbox.registry, portalUrl: sandbox.portalUrl });
    assert.equal(readDockerHost(), '', 'the workspace must not choose the Docker engine');
  });

  it("signs in, browses and logs in to the registry through the user's Synapse and engine only", async () => {
    const since = Date.now();
    const logBefore = extensionLog().length;
    assert.equal(await runCommand<boolean>('synapseDocker.signIn', [alice.token], 20_000), true, "signIn with alice's token must succeed");
    await waitFor('currentUser() to be alice', () => api.currentUser()?.userName === 'alice');

    // Browse: the root, a project's repositories, a repository's tags.
    const roots = projects(await api.tree.getChildren());
    assert.ok(roots.length > 0, 'no projects at the root');
    const main = roots.find((p) => p.project.id === 'syn1000001') ?? roots[0];
    const repos = repositories(await api.tree.getChildren(main));
    assert.ok(repos.length > 0, `no repositories under ${main.project.id}`);
    const tooltip = api.tree.getTreeItem(repos[0]).tooltip as vscode.MarkdownString;
    assert.ok(
      tooltip.value.includes(`(${sandbox.portalUrl}/Synapse:${repos[0].repository.id})`),
      `the portal link must be the user's: ${tooltip.value}`,
    );
    assert.ok(!tooltip.value.includes(`127.0.0.1:${portalRecorder.port}`), "the workspace's portal must not appear in links");
    tags(await api.tree.getChildren(repos[0]));

    // The registry check right after sign-in goes to the user's engine with the user's registry.
    if (sandbox.dockerHost) {
      await waitFor(
        `the registry check for ${sandbox.registry} in the log`,
        () => extensionLog().slice(logBefore).includes(`Registry ${sandbox.registry} `),
        30_000,
      );
    }
    await sleep(1500); // anything still in flight reaches a recorder now
    assertRecordersUntouched();

    const sent = await sandboxRequestsSince(since);
    const profile = sent.filter((r) => r.method === 'GET' && r.path.endsWith('/userProfile') && String(r.userId) === String(alice.ownerId));
    assert.ok(
      profile.length >= 1,
      `the user's Synapse got no GET /userProfile for alice: ${sent.map((r) => `${r.method} ${r.path}`).join(', ')}`,
    );
    assert.ok(
      sent.some((r) => r.method === 'GET' && r.path.includes('/projects')),
      "the user's Synapse must list the projects",
    );

    const log = extensionLog().slice(logBefore);
    assert.ok(log.includes(`Signed in to ${sandbox.synapseEndpoint} as alice`), `the log must name the user's endpoint:\n${log}`);
    assert.ok(!log.includes(`127.0.0.1:${endpointRecorder.port}`), "the log must not name the workspace's endpoint");
  });

  it('applies the workspace build settings in a trusted workspace, and ignores them in Restricted Mode', () => {
    const dockerfile = vscode.Uri.joinPath(folder, 'Dockerfile');
    // Trusted (this host): the workspace's values, read as the build command reads them.
    assert.deepEqual(readBuildSettings(dockerfile), {
      context: 'from-workspace',
      args: { WORKSPACE_ARG: 'from-workspace' },
      target: 'workspace-stage',
      platform: 'linux/arm64',
      noCache: true,
      builder: 'classic',
      network: 'host',
    });
    // code-server's trust cannot be toggled in this run (the harness turns trust off), so the
    // Restricted Mode branch is exercised through the same reader with isTrusted = false.
    assert.deepEqual(readBuildSettings(dockerfile, false), {
      context: '',
      args: {},
      target: '',
      platform: '',
      noCache: false,
      builder: 'auto',
      network: '',
    });
    const manifest = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON as {
      capabilities: { untrustedWorkspaces: { restrictedConfigurations: string[] } };
    };
    assert.deepEqual(manifest.capabilities.untrustedWorkspaces.restrictedConfigurations.sort(), Object.keys(HOSTILE_BUILD).sort());
  });

  const INVALID: Array<[string, string]> = [
    ['ftp://x', 'The Synapse endpoint must use https, not ftp.'],
    [
      'http://example.com',
      'The Synapse endpoint http://example.com uses plain http; only loopback hosts (the local sandbox) may. Use https.',
    ],
    ['not a url', 'The Synapse endpoint "not a url" is not a URL (expected e.g. https://repo-prod.prod.sagebase.org).'],
  ];

  for (const [value, problem] of INVALID) {
    it(`survives the user endpoint "${value}": commands stay, the view says what is wrong, sign-in refuses`, async () => {
      const config = () => vscode.workspace.getConfiguration('synapseDocker');
      await config().update('endpoint', value, vscode.ConfigurationTarget.Global);
      const shown = await waitFor('the endpoint message at the root', async () => {
        const nodes = await api.tree.getChildren();
        return nodes.length === 1 && messages(nodes)[0]?.id === 'msg:endpoint' ? messages(nodes)[0] : undefined;
      });
      const item = api.tree.getTreeItem(shown);
      assert.equal(labelOf(item), `${problem} — Open Settings`);
      assert.deepEqual(
        { command: item.command?.command, arguments: item.command?.arguments },
        { command: 'workbench.action.openSettings', arguments: ['synapseDocker.endpoint'] },
      );
      assert.equal(api.currentUser(), undefined, 'nobody is signed in to an invalid endpoint');

      assert.ok(vscode.extensions.getExtension(EXTENSION_ID)?.isActive, 'the extension must stay active');
      const contributed = (
        vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON.contributes.commands as Array<{ command: string }>
      ).map((c) => c.command);
      const registered = new Set(await vscode.commands.getCommands(true));
      assert.deepEqual(
        contributed.filter((c) => !registered.has(c)),
        [],
        'every contributed command stays registered',
      );

      // Sign-in refuses with the same sentence, and sends nothing anywhere.
      const since = Date.now();
      const logBefore = extensionLog().length;
      assert.equal(await runCommand<boolean>('synapseDocker.signIn', [alice.token]), false, 'sign-in with a token must refuse');
      assert.equal(await runCommand<boolean>('synapseDocker.signIn'), false, 'interactive sign-in must refuse without asking for a token');
      await vscode.commands.executeCommand('notifications.clearAll');
      assert.equal(api.currentUser(), undefined);
      // Both paths (token argument, interactive) refuse with the endpoint's own sentence.
      await waitFor(
        'both refusals in the log',
        () => extensionLog().slice(logBefore).split(`Sign-in refused: ${problem}`).length - 1 === 2,
        5_000,
      );
      assert.ok(!extensionLog().slice(logBefore).includes('Sign-in failed'), 'no generic "Sign-in failed" for an invalid endpoint');
      assert.deepEqual(
        (await sandboxRequestsSince(since)).map((r) => `${r.method} ${r.path}`),
        [],
        'nothing may reach Synapse',
      );
      assertRecordersUntouched();

      // The node's action opens the settings editor on the endpoint setting.
      await runCommand(item.command!.command, item.command!.arguments);
      await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    });
  }

  it('recovers without a reload once the endpoint is corrected', async () => {
    await vscode.workspace.getConfiguration('synapseDocker').update('endpoint', userEndpoint, vscode.ConfigurationTarget.Global);
    // alice's token is still stored for the sandbox endpoint, so she is back without signing in.
    await waitFor('currentUser() to be alice again', () => api.currentUser()?.userName === 'alice');
    const nodes = await waitFor('projects at the root', async () => {
      const children = await api.tree.getChildren();
      return projects(children).length > 0 ? children : undefined;
    });
    assert.equal(messages(nodes).filter((m) => m.id === 'msg:endpoint').length, 0, 'the endpoint message must be gone');
    assertRecordersUntouched();
  });
});
