// Shared by the host suites about accounts and transfers (accounts.test.ts, hostile-accounts.test.ts):
// what the user sees and does in vscode.window — notifications, progress notifications (with the
// user's Cancel), quick picks — recorded while a step runs and always restored; images built on the
// stack's engine; the sandbox's admin API and stats.
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Docker from 'dockerode';
import * as vscode from 'vscode';
import type { SynapseDockerApi } from '../../src/api';
import {
  EXTENSION_ID,
  readSandbox,
  runCommand,
  sandboxUser,
  sleep,
  waitFor,
  type RestTag,
  type SandboxInfo,
  type StatsRequest,
} from './helpers';

export const BASE_IMAGE = 'local/busybox:1';
export const PROJECT = 'syn1000001'; // Alice Main Project: alice ADMIN, bob READ+DOWNLOAD, dave READ
export const TOKEN_SERVER = '/docker/v1/bearerToken';
export const COMMAND_TIMEOUT_MS = 60_000;
export const PRECHECK_TITLE = 'Checking permissions with Synapse…';

/** A notification the extension showed while a step ran. */
export interface Shown {
  kind: 'error' | 'warning' | 'info';
  message: string;
  items: string[];
}

/** A progress notification the extension opened; `cancel()` is the user's Cancel button. */
export interface ProgressShown {
  title: string;
  startedAt: number;
  endedAt?: number;
  cancel(): void;
}

export interface Recorded {
  shown: Shown[];
  progress: ProgressShown[];
  /** Titles and item labels of every showQuickPick call. */
  picks: Array<{ title?: string; labels: string[] }>;
  /** The wizard's quick picks and input boxes (createQuickPick/createInputBox), as VS Code made them. */
  inputs: Array<vscode.QuickPick<vscode.QuickPickItem> | vscode.InputBox>;
}

export interface WindowScript {
  /** Called for every showQuickPick: return the item to pick, or undefined to dismiss it. */
  pick?: (items: vscode.QuickPickItem[], options: vscode.QuickPickOptions | undefined) => vscode.QuickPickItem | undefined;
  /** Called when a progress notification opens (e.g. to press its Cancel at once). */
  onProgress?: (progress: ProgressShown) => void;
}

type AnyFunction = (...args: unknown[]) => unknown;
const NOTIFIERS = { error: 'showErrorMessage', warning: 'showWarningMessage', info: 'showInformationMessage' } as const;

/**
 * Runs `step` while vscode.window records what the user would see. Notifications are still shown
 * but answer at once as if closed; progress notifications run for real, with a Cancel the test can
 * press; quick picks are answered by `script.pick` (dismissed without one). Restored in finally.
 */
export async function withWindow<T>(
  step: (recorded: Recorded) => Promise<T>,
  script: WindowScript = {},
): Promise<{ result: T } & Recorded> {
  const window = vscode.window as unknown as Record<string, AnyFunction>;
  const names = [...Object.values(NOTIFIERS), 'withProgress', 'showQuickPick', 'createQuickPick', 'createInputBox'];
  const originals = Object.fromEntries(names.map((name) => [name, window[name]])) as Record<string, AnyFunction>;
  const recorded: Recorded = { shown: [], progress: [], picks: [], inputs: [] };
  try {
    for (const [kind, name] of Object.entries(NOTIFIERS) as [Shown['kind'], string][]) {
      window[name] = (message: unknown, ...rest: unknown[]) => {
        const items = rest
          .map((item) => (typeof item === 'string' ? item : (item as { title?: unknown })?.title))
          .filter((item): item is string => typeof item === 'string');
        recorded.shown.push({ kind, message: String(message), items });
        void Promise.resolve(originals[name].call(vscode.window, message, ...rest)).then(undefined, () => undefined);
        return Promise.resolve(undefined);
      };
    }
    window.withProgress = ((options: vscode.ProgressOptions, task: AnyFunction) =>
      originals.withProgress.call(vscode.window, options, (progress: unknown, token: vscode.CancellationToken) => {
        const source = new vscode.CancellationTokenSource();
        token.onCancellationRequested(() => source.cancel());
        const shown: ProgressShown = { title: options.title ?? '', startedAt: Date.now(), cancel: () => source.cancel() };
        recorded.progress.push(shown);
        script.onProgress?.(shown);
        return Promise.resolve(task(progress, source.token)).finally(() => (shown.endedAt = Date.now()));
      })) as AnyFunction;
    window.showQuickPick = (async (items: unknown, options?: vscode.QuickPickOptions) => {
      const list = (await Promise.resolve(items)) as Array<vscode.QuickPickItem | string>;
      const asItems = list.map((item) => (typeof item === 'string' ? { label: item } : item));
      recorded.picks.push({ title: options?.title, labels: asItems.map((item) => item.label) });
      const chosen = script.pick?.(asItems, options);
      if (!chosen) return undefined;
      return typeof list[0] === 'string' ? chosen.label : chosen;
    }) as AnyFunction;
    for (const name of ['createQuickPick', 'createInputBox']) {
      window[name] = (...args: unknown[]) => {
        const input = originals[name].apply(vscode.window, args) as Recorded['inputs'][number];
        recorded.inputs.push(input);
        return input;
      };
    }
    const result = await step(recorded);
    return { result, ...recorded };
  } finally {
    for (const [name, original] of Object.entries(originals)) window[name] = original;
    await vscode.commands.executeCommand('notifications.clearAll');
  }
}

export function describeShown(shown: Shown[]): string {
  return shown.length ? shown.map((s) => `[${s.kind}] ${s.message} {${s.items.join(', ')}}`).join('\n') : '(no notification)';
}

/**
 * Presses Enter in the wizard's next quick pick or input box (the `count`th one, from 1) once it
 * is shown with its items, accepting what it suggests.
 */
export async function acceptInput(recorded: Recorded, count: number): Promise<void> {
  const input = await waitFor(
    `wizard step ${count}`,
    () => {
      const candidate = recorded.inputs[count - 1];
      if (!candidate) return undefined;
      const ready = 'items' in candidate ? candidate.items.length > 0 && !candidate.busy : true;
      return ready ? candidate : undefined;
    },
    20_000,
  );
  await sleep(300); // the workbench renders what the extension host sent
  await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
  void input;
}

/** Waits until a progress notification with this title (or starting with it) has opened. */
export function progressOpened(recorded: Recorded, title: string, timeoutMs = 20_000): Promise<ProgressShown> {
  return waitFor(
    `the progress notification "${title}"`,
    () => recorded.progress.find((p) => p.title === title || p.title.startsWith(title)),
    timeoutMs,
  );
}

/** The stack: its sandbox, engine, the activated extension, and the calls the suites share. */
export class Stack {
  readonly sandbox: SandboxInfo;
  readonly docker: Docker;
  readonly imageIds = new Set<string>();
  private readonly tempDirs: string[] = [];
  api!: SynapseDockerApi;

  constructor() {
    this.sandbox = readSandbox();
    const host = process.env.DOCKER_HOST ?? this.sandbox.dockerHost;
    assert.ok(host, 'DOCKER_HOST is not set in the extension host and sandbox.json has no dockerHost');
    this.docker = host.startsWith('unix://') ? new Docker({ socketPath: host.slice('unix://'.length) }) : new Docker();
  }

  async start(): Promise<void> {
    await this.docker.ping();
    await this.docker.getImage(BASE_IMAGE).inspect();
    const extension = vscode.extensions.getExtension<SynapseDockerApi>(EXTENSION_ID);
    assert.ok(extension, `extension ${EXTENSION_ID} is not loaded`);
    this.api = await extension.activate();
    assert.equal(typeof this.api.accountStatus, 'function', 'activate() must return accountStatus()');
  }

  /** Signs out, clears the controls this suite used, removes its images and folders. */
  async stop(): Promise<void> {
    await this.admin('latency', { ms: 0 }).catch(() => undefined);
    await this.admin('fail', { count: 0 }).catch(() => undefined);
    if (this.api?.currentUser()) await runCommand('synapseDocker.signOut', [], COMMAND_TIMEOUT_MS).catch(() => undefined);
    for (let pass = 0; pass < 3 && this.imageIds.size > 0; pass++) {
      for (const id of [...this.imageIds]) {
        try {
          await this.docker.getImage(id).remove({ force: true });
          this.imageIds.delete(id);
        } catch (error) {
          if ((error as { statusCode?: number }).statusCode === 404) this.imageIds.delete(id);
        }
      }
    }
    for (const dir of this.tempDirs) fs.rmSync(dir, { recursive: true, force: true });
  }

  image(projectId: string, name: string, tag: string): string {
    return `${this.sandbox.registry}/${projectId}/${name}:${tag}`;
  }

  /** Builds FROM the base image with unique content (a new digest) tagged `tagged`; returns the image id. */
  async build(tagged: string): Promise<string> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sd-host-acct-'));
    this.tempDirs.push(dir);
    fs.writeFileSync(path.join(dir, 'Dockerfile'), `FROM ${BASE_IMAGE}\nCOPY id.txt /id.txt\n`);
    fs.writeFileSync(path.join(dir, 'id.txt'), `${tagged} ${crypto.randomBytes(12).toString('hex')}\n`);
    const stream = await this.docker.buildImage({ context: dir, src: ['Dockerfile', 'id.txt'] }, { t: tagged, rm: true, forcerm: true });
    const events = await new Promise<Array<{ error?: string }>>((resolve, reject) =>
      this.docker.modem.followProgress(stream, (error: Error | null, output: unknown[]) =>
        error ? reject(error) : resolve(output as never),
      ),
    );
    const failed = events.find((e) => e.error);
    if (failed) throw new Error(`docker build of ${tagged} failed: ${failed.error}`);
    const id = (await this.docker.getImage(tagged).inspect()).Id;
    this.imageIds.add(id);
    return id;
  }

  async tag(source: string, target: string): Promise<void> {
    const colon = target.lastIndexOf(':');
    await this.docker.getImage(source).tag({ repo: target.slice(0, colon), tag: target.slice(colon + 1) });
  }

  /** The image id and sorted tags of a local image (by reference or id); undefined when absent. */
  async local(reference: string): Promise<{ id: string; tags: string[] } | undefined> {
    try {
      const image = await this.docker.getImage(reference).inspect();
      return { id: image.Id, tags: [...(image.RepoTags ?? [])].sort() };
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return undefined;
      throw error;
    }
  }

  token(userName: string): string {
    return sandboxUser(this.sandbox, userName).token;
  }

  ownerId(userName: string): string {
    return sandboxUser(this.sandbox, userName).ownerId;
  }

  async admin<T = unknown>(route: string, body?: unknown): Promise<T> {
    const response = await fetch(`${this.sandbox.synapseEndpoint}/__admin/${route}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: body === undefined ? undefined : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    assert.equal(response.status, 200, `/__admin/${route} answered ${response.status}: ${text}`);
    return JSON.parse(text) as T;
  }

  async stats(): Promise<StatsRequest[]> {
    return (await this.admin<{ requests: StatsRequest[] }>('stats')).requests;
  }

  /** Requests by `userName` (or anonymous / unauthenticated ones to the token server) that started at or after `since`. */
  async requestsSince(since: number, userName: string, pathPrefix = ''): Promise<StatsRequest[]> {
    const ownerId = this.ownerId(userName);
    return (await this.stats()).filter(
      (r) =>
        r.startedAt >= since &&
        r.path.startsWith(pathPrefix) &&
        (r.userId === ownerId || (r.path === TOKEN_SERVER && (r.userId === null || r.userId === '273950'))),
    );
  }

  /**
   * Signs in with the command and waits until the engine's registry login that follows a sign-in
   * is over (so it is not counted as a push later). Returns when the sign-in itself completed.
   */
  async signInWith(token: string, userName: string): Promise<number> {
    const started = Date.now();
    const ok = await runCommand<boolean>('synapseDocker.signIn', [token], 20_000);
    assert.equal(ok, true, `signing in as ${userName} failed`);
    await waitFor(`currentUser() to be ${userName}`, () => this.api.currentUser()?.userName === userName, 15_000);
    const signedIn = Date.now();
    await this.registryLoginSettled(userName, started);
    return signedIn;
  }

  async signInAs(userName: string): Promise<void> {
    if (this.api.currentUser()?.userName === userName) return;
    await this.signInWith(this.token(userName), userName);
  }

  async signOut(): Promise<void> {
    await runCommand('synapseDocker.signOut', [], COMMAND_TIMEOUT_MS);
    assert.equal(this.api.currentUser(), undefined);
  }

  /** Waits (up to 10 s) until the user's registry login since `since` asked the token server and got its answer. */
  async registryLoginSettled(userName: string, since: number): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const requests = (await this.requestsSince(since, userName, TOKEN_SERVER)).filter((r) => r.userId === this.ownerId(userName));
      if (requests.length > 0 && requests.every((r) => r.endedAt !== null)) break;
      await sleep(100);
    }
    await sleep(300);
  }

  /** What the sandbox lists (as alice): the repository and its tags; undefined when there is none. */
  async repository(name: string): Promise<{ id: string; tags: RestTag[] } | undefined> {
    const headers = { Authorization: `Bearer ${this.token('alice')}` };
    const found = await fetch(`${this.sandbox.synapseEndpoint}/repo/v1/entity/dockerRepo/id?repositoryName=${encodeURIComponent(name)}`, {
      headers,
    });
    if (found.status === 404) return undefined;
    assert.equal(found.status, 200, `GET dockerRepo/id?repositoryName=${name}`);
    const { id } = (await found.json()) as { id: string };
    const listed = await fetch(`${this.sandbox.synapseEndpoint}/repo/v1/entity/${id}/dockerTag?limit=50&offset=0`, { headers });
    assert.equal(listed.status, 200);
    return { id, tags: ((await listed.json()) as { results: RestTag[] }).results };
  }
}

/** The repository part of a reference (without :tag). */
/** The real stack for a describe block: started once before its tests, faults cleared after each. */
export function useStack(): Stack {
  const stack = new Stack();
  before(async function () {
    this.timeout(60_000);
    await stack.start();
  });
  afterEach(async () => {
    await stack.admin('latency', { ms: 0 });
    await stack.admin('fail', { count: 0 });
  });
  after(async function () {
    this.timeout(60_000);
    await stack.stop();
  });
  return stack;
}

export const repositoryOf = (reference: string) => reference.replace(/:[^:/]+$/, '');

/** Starts a command without waiting for it; its outcome is awaited later. */
export function start<T>(command: string, args: unknown[] = [], timeoutMs = COMMAND_TIMEOUT_MS): Promise<T> {
  const running = runCommand<T>(command, args, timeoutMs);
  running.catch(() => undefined); // awaited by the test; never an unhandled rejection meanwhile
  return running;
}
