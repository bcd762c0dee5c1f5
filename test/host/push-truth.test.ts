// The truth about a push, and an engine that goes away, in a real extension host against the
// stack's engine, registry and sandbox (strict manifest rule, the default):
// - an OCI push (the engine seen through a proxy that stores each pushed tag as an OCI image
//   manifest, as Engine 25+ with the containerd image store does) is explained as a manifest type
//   Synapse may not record, with how to push a Docker v2 manifest;
// - a Docker v2 push whose notification is held back (POST /__admin/listener-delay) ends in
//   "not listed yet", with Refresh;
// - a pull by digest names the digest once;
// - the engine stopping after it was reached (the proxy's socket goes away) shows the Docker
//   warning with Retry on Refresh, and Retry clears it once the engine is back.
// Environment (set by the runners): SYNAPSE_SANDBOX_JSON, DOCKER_HOST.
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { Socket } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import Docker from 'dockerode';
import * as vscode from 'vscode';
import type { SynapseDockerApi } from '../../src/api';
import type { MessageNode } from '../../src/core/tree/nodes';
import { putOciCopy } from '../unit/helpers/registry-direct';
import { EXTENSION_ID, messages, readSandbox, runCommand, sandboxUser, waitFor, type SandboxInfo } from './helpers';

const BASE_IMAGE = 'local/busybox:1';
const PROJECT = 'syn1000001';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const COMMAND_TIMEOUT_MS = 90_000;

interface Shown {
  kind: 'error' | 'warning' | 'info';
  message: string;
  items: string[];
}
type MessageFunction = (message: string, ...rest: unknown[]) => Thenable<unknown>;
const NOTIFIERS = { error: 'showErrorMessage', warning: 'showWarningMessage', info: 'showInformationMessage' } as const;

/** Runs `step` recording the notifications shown (each answered at once, as if closed); restored in finally. */
async function withNotifications<T>(step: () => Promise<T>): Promise<{ result: T; shown: Shown[] }> {
  const window = vscode.window as unknown as Record<string, MessageFunction>;
  const originals = Object.fromEntries(Object.values(NOTIFIERS).map((name) => [name, window[name]])) as Record<string, MessageFunction>;
  const shown: Shown[] = [];
  try {
    for (const [kind, name] of Object.entries(NOTIFIERS) as [Shown['kind'], string][]) {
      window[name] = (message: string, ...rest: unknown[]) => {
        const items = rest
          .map((item) => (typeof item === 'string' ? item : (item as { title?: unknown })?.title))
          .filter((item): item is string => typeof item === 'string');
        shown.push({ kind, message, items });
        return Promise.resolve(undefined);
      };
    }
    return { result: await step(), shown };
  } finally {
    for (const [name, original] of Object.entries(originals)) window[name] = original;
  }
}

const describeShown = (shown: Shown[]) =>
  shown.length ? shown.map((s) => `[${s.kind}] ${s.message} {${s.items.join(', ')}}`).join('\n') : '(no notification)';

/**
 * A unix socket in front of the engine's, forwarding every request. With `onPushed`, a push's
 * answer is held until the engine finished it, then handed to `onPushed` (which may store the tag
 * otherwise and rewrite the answer). stop() takes the socket away, as a stopped engine does.
 */
class EngineProxy {
  readonly socketPath: string;
  private server: http.Server | undefined;
  private readonly sockets = new Set<Socket>();
  onPushed: ((repository: string, tag: string, body: string) => Promise<string>) | undefined;

  constructor(private readonly upstream: string) {
    this.socketPath = path.join(fs.mkdtempSync(path.join(os.tmpdir().length <= 40 ? os.tmpdir() : '/tmp', 'sd-proxy-')), 'engine.sock');
  }

  async start(): Promise<void> {
    const server = http.createServer((req, res) => this.forward(req, res));
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(this.socketPath, () => resolve()));
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    fs.rmSync(this.socketPath, { force: true });
  }

  private forward(req: http.IncomingMessage, res: http.ServerResponse): void {
    const push = /^(?:\/v[\d.]+)?\/images\/(.+)\/push\?(.*)$/.exec(req.url ?? '');
    const upstream = http.request({ socketPath: this.upstream, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      const onPushed = this.onPushed;
      if (!push || !onPushed || answer.statusCode !== 200) {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        return;
      }
      const chunks: Buffer[] = [];
      answer.on('data', (chunk: Buffer) => chunks.push(chunk));
      answer.on('end', () => {
        const tag = new URLSearchParams(push[2]).get('tag') ?? 'latest';
        onPushed(decodeURIComponent(push[1]), tag, Buffer.concat(chunks).toString('utf8')).then(
          (body) => {
            res.writeHead(200, { 'Content-Type': 'application/json' });
            res.end(body);
          },
          (error: Error) => {
            res.writeHead(200, { 'Content-Type': 'application/json' });
            res.end(`${JSON.stringify({ error: `test proxy: ${error.message}`, errorDetail: { message: error.message } })}\n`);
          },
        );
      });
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  }
}

describe('The truth about a push, and an engine that goes away (real engine, registry and sandbox)', function () {
  this.timeout(150_000);
  let api: SynapseDockerApi;
  let sandbox: SandboxInfo;
  let docker: Docker;
  let proxy: EngineProxy;
  let previousDockerHost: string | undefined;
  const runId = `${Date.now().toString(36)}${crypto.randomBytes(3).toString('hex')}`;
  const imageIds = new Set<string>();
  const tempDirs: string[] = [];
  const repositoryPath = `${PROJECT}/truth-host-${runId}`;
  let repositoryName = '';

  const admin = async (route: string, body: unknown) => {
    const response = await fetch(`${sandbox.synapseEndpoint}/__admin/${route}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    assert.equal(response.status, 200, `${route}: ${await response.text()}`);
  };

  async function buildImage(tagged: string): Promise<void> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sd-truth-build-'));
    tempDirs.push(dir);
    fs.writeFileSync(path.join(dir, 'Dockerfile'), `FROM ${BASE_IMAGE}\nCOPY id.txt /id.txt\n`);
    fs.writeFileSync(path.join(dir, 'id.txt'), `${tagged} ${crypto.randomBytes(12).toString('hex')}\n`);
    const stream = await docker.buildImage({ context: dir, src: ['Dockerfile', 'id.txt'] }, { t: tagged, rm: true, forcerm: true });
    const events = await new Promise<Array<{ error?: string }>>((resolve, reject) =>
      docker.modem.followProgress(stream, (error: Error | null, output: unknown[]) => (error ? reject(error) : resolve(output as never))),
    );
    const failed = events.find((e) => e.error);
    if (failed) throw new Error(`docker build of ${tagged} failed: ${failed.error}`);
    imageIds.add((await docker.getImage(tagged).inspect()).Id);
  }

  const setDockerHost = (value: string | undefined) =>
    vscode.workspace.getConfiguration('synapseDocker').update('dockerHost', value, vscode.ConfigurationTarget.Global);
  const dockerWarning = async (): Promise<MessageNode | undefined> =>
    messages(await api.tree.getChildren()).find((node) => node.id === 'msg:docker');

  before(async function () {
    this.timeout(60_000);
    sandbox = readSandbox();
    const host = process.env.DOCKER_HOST ?? sandbox.dockerHost;
    assert.ok(host?.startsWith('unix://'), `the stack's engine must be on a unix socket: ${host}`);
    const engineSocket = (host as string).slice('unix://'.length);
    docker = new Docker({ socketPath: engineSocket });
    await docker.getImage(BASE_IMAGE).inspect();
    proxy = new EngineProxy(engineSocket);
    await proxy.start();
    const extension = vscode.extensions.getExtension<SynapseDockerApi>(EXTENSION_ID);
    assert.ok(extension, `extension ${EXTENSION_ID} is not loaded`);
    api = await extension.activate();
    previousDockerHost = vscode.workspace.getConfiguration('synapseDocker').inspect<string>('dockerHost')?.globalValue;
    await setDockerHost(`unix://${proxy.socketPath}`);
    if (api.currentUser()) await runCommand('synapseDocker.signOut', [], 20_000);
    assert.equal(await runCommand<boolean>('synapseDocker.signIn', [sandboxUser(sandbox, 'alice').token], 20_000), true);
    await waitFor('alice to be signed in', () => api.currentUser()?.userName === 'alice');
    repositoryName = `${sandbox.registry}/${repositoryPath}`;
    // The repository exists in Synapse before the tests (a Docker v2 push), so reading back what later pushes stored is allowed.
    await buildImage(`${repositoryName}:v1`);
    const { result, shown } = await withNotifications(() =>
      runCommand<boolean>('synapseDocker.pushImage', [`${repositoryName}:v1`], COMMAND_TIMEOUT_MS),
    );
    assert.equal(result, true, describeShown(shown));
    assert.ok(
      shown.some((s) => s.message === `Pushed ${repositoryName}:v1 to Synapse.`),
      describeShown(shown),
    );
  });

  after(async function () {
    this.timeout(60_000);
    proxy.onPushed = undefined;
    await admin('listener-delay', { ms: 0 }).catch(() => undefined);
    await setDockerHost(previousDockerHost);
    if (api?.currentUser()) await runCommand('synapseDocker.signOut', [], 20_000).catch(() => undefined);
    await proxy?.stop();
    for (let pass = 0; pass < 3 && imageIds.size > 0; pass++) {
      for (const id of [...imageIds]) {
        await docker
          .getImage(id)
          .remove({ force: true })
          .then(
            () => imageIds.delete(id),
            (error: { statusCode?: number }) => error.statusCode === 404 && imageIds.delete(id),
          );
      }
    }
    for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(path.dirname(proxy.socketPath), { recursive: true, force: true });
  });

  it('an image pushed as an OCI manifest under the strict rule: the message says Synapse may not record that type, and how to push a Docker v2 manifest', async () => {
    const reference = `${repositoryName}:oci`;
    await docker.getImage(`${repositoryName}:v1`).tag({ repo: repositoryName, tag: 'oci' });
    let ociDigest = '';
    // As the containerd image store does: the tag is stored as an OCI image manifest, and the push reports its digest.
    proxy.onPushed = async (_repository, tag, body) => {
      const pushedDigest = /"Digest":"(sha256:[0-9a-f]{64})"/.exec(body)?.[1];
      assert.ok(pushedDigest, `no digest in the push answer: ${body.slice(-300)}`);
      ociDigest = await putOciCopy(sandbox, sandboxUser(sandbox, 'alice').token, repositoryPath, pushedDigest, repositoryPath, tag);
      return body.split(pushedDigest).join(ociDigest);
    };
    try {
      const started = Date.now();
      const { result, shown } = await withNotifications(() =>
        runCommand<boolean>('synapseDocker.pushImage', [reference], COMMAND_TIMEOUT_MS),
      );
      assert.equal(result, true, describeShown(shown));
      const warning = shown.find((s) => s.kind === 'warning');
      assert.ok(warning, `expected a warning:\n${describeShown(shown)}`);
      const prefix = `Pushed ${reference} (${ociDigest}), but Synapse has not listed it after `;
      assert.ok(warning.message.startsWith(prefix), warning.message);
      assert.match(
        warning.message.slice(prefix.length),
        new RegExp(
          `^1[01] s: it was pushed as ${OCI_MANIFEST.replace(/[.+]/g, '\\$&')}, a manifest type Synapse may not record \\(it records Docker v2 manifests, application/vnd\\.docker\\.distribution\\.manifest\\.v2\\+json\\)\\. ` +
            "To push a Docker v2 manifest, build the image with this extension's Build Image command \\(through BuildKit it pushes one\\) or turn off the containerd image store in Docker's settings, then push again\\.$",
        ),
      );
      assert.deepEqual(warning.items, ['Refresh']);
      assert.ok(!shown.some((s) => /to Synapse\.$/.test(s.message)), `nothing may say it reached Synapse:\n${describeShown(shown)}`);
      const waited = Date.now() - started;
      assert.ok(waited < 25_000, `an OCI push is explained after the first delivery window, not after ${waited} ms`);
    } finally {
      proxy.onPushed = undefined;
    }
  });

  it('a Docker v2 push whose notification is held back: after the wait (first window and one 30 s backoff) it says Synapse has not listed it yet, with Refresh', async () => {
    const reference = `${sandbox.registry}/${PROJECT}/truth-late-${runId}:v1`;
    await buildImage(reference);
    await admin('listener-delay', { ms: 120_000 });
    try {
      const started = Date.now();
      const { result, shown } = await withNotifications(() =>
        runCommand<boolean>('synapseDocker.pushImage', [reference], COMMAND_TIMEOUT_MS),
      );
      const waited = Date.now() - started;
      assert.equal(result, true, describeShown(shown));
      const digest = (await docker.getImage(reference).inspect()).RepoDigests?.find((d) =>
        d.startsWith(`${reference.replace(/:v1$/, '')}@`),
      )?.split('@')[1];
      assert.ok(digest, 'the pushed image has a repo digest');
      const warning = shown.find((s) => s.kind === 'warning');
      assert.ok(warning, `expected a warning:\n${describeShown(shown)}`);
      assert.match(
        warning.message,
        new RegExp(
          `^Pushed ${reference.replace(/[.+]/g, '\\$&')} \\(${digest}\\), but Synapse has not listed it after 4[01] s\\. ` +
            'Synapse learns of a push from the registry, which retries a failed notification after 30 s; refresh the tree in a minute\\.$',
        ),
      );
      assert.deepEqual(warning.items, ['Refresh']);
      assert.ok(waited >= 40_000, `the wait covers one failed delivery's 30 s backoff (waited ${waited} ms)`);
    } finally {
      await admin('listener-delay', { ms: 0 });
    }
  });

  it('a pull by digest names the digest once', async () => {
    const digest = (await docker.getImage(`${repositoryName}:v1`).inspect()).RepoDigests?.find((d) =>
      d.startsWith(`${repositoryName}@`),
    )?.split('@')[1];
    assert.ok(digest, 'the pushed image has a repo digest');
    const byDigest = `${repositoryName}@${digest}`;
    const { result, shown } = await withNotifications(() => runCommand<boolean>('synapseDocker.pullImage', [byDigest], COMMAND_TIMEOUT_MS));
    assert.equal(result, true, describeShown(shown));
    const pulled = shown.find((s) => s.kind === 'info' && s.message.startsWith('Pulled '));
    assert.ok(pulled, describeShown(shown));
    assert.equal(pulled.message, `Pulled ${byDigest}.`);
  });

  it('the engine stopping after it was reached: Refresh shows the Docker warning with Retry, and Retry clears it once the engine is back', async () => {
    await runCommand('synapseDocker.retryDocker', [], 30_000);
    assert.equal(await dockerWarning(), undefined, 'the engine answers through the proxy: no warning');
    await proxy.stop(); // the engine goes away
    await runCommand('synapseDocker.refresh');
    const warning = await waitFor('the Docker warning at the top of the tree', dockerWarning, 15_000);
    assert.equal(messages(await api.tree.getChildren())[0]?.id, 'msg:docker', 'the warning is the first row');
    assert.equal(warning.severity, 'warning');
    assert.equal(
      warning.text,
      `Docker is not running: there is no socket at unix://${proxy.socketPath} (setting). Start Docker, or set synapseDocker.dockerHost. — Retry`,
    );
    const item = api.tree.getTreeItem(warning);
    assert.equal(item.command?.command, 'synapseDocker.retryDocker');
    await proxy.start(); // the engine is back
    await runCommand('synapseDocker.retryDocker', [], 30_000);
    await waitFor('the Docker warning to go away after Retry', async () => (await dockerWarning()) === undefined, 15_000);
  });
});
