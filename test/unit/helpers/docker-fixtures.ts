// Shared fixtures of the Docker operation tests: the stack's engine through the project's own
// client, temporary build contexts, running a command in an image, and cleaning up every image.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type Docker from 'dockerode';
import { createDockerClient, DockerEndpoint } from '../../../src/core/docker';
import { requireLiveStack, SandboxInfo } from './stack';

export const BASE_IMAGE = 'local/busybox:1';

export interface StackEngine {
  info: SandboxInfo;
  docker: Docker;
  endpoint: DockerEndpoint;
}

/** The live stack and a client for its engine; fails (never skips) with a clear message when down. */
export async function stackEngine(): Promise<StackEngine> {
  const info = await requireLiveStack();
  const endpoint: DockerEndpoint = { host: info.dockerHost, source: 'DOCKER_HOST' };
  const docker = createDockerClient(endpoint);
  await docker.ping().catch((error: Error) => {
    throw new Error(`The stack's Docker engine (${info.dockerHost}) does not answer: ${error.message}. Run \`npm run stack:up\`.`);
  });
  await docker
    .getImage(BASE_IMAGE)
    .inspect()
    .catch(() => {
      throw new Error(`The stack's engine lacks ${BASE_IMAGE}, which \`stack up\` creates. Run \`npm run stack:up\` again.`);
    });
  return { info, docker, endpoint };
}

/** A temporary folder holding these files (parents created); Buffers are written as they are. */
export function makeTree(files: Record<string, string | Buffer>, prefix = 'docker-ctx-'): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(root, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
  }
  return root;
}

/** Runs `command` in a throw-away container of `image` (no network) and returns its output. */
export async function runInImage(docker: Docker, image: string, command: string[]): Promise<string> {
  const container = await docker.createContainer({
    Image: image,
    Cmd: command,
    Tty: true, // raw output, no stream multiplexing
    HostConfig: { NetworkMode: 'none' },
  });
  try {
    await container.start();
    const outcome = (await container.wait()) as { StatusCode: number };
    const logs = (await container.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer;
    const output = logs.toString('utf8').replace(/\r\n/g, '\n');
    assert.equal(outcome.StatusCode, 0, `${command.join(' ')} in ${image} exited with ${outcome.StatusCode}: ${output}`);
    return output;
  } finally {
    await container.remove({ force: true }).catch(() => undefined);
  }
}

/**
 * Remembers the images a test creates (by reference or id) and removes them all at the end, by
 * image id with force: removing a tag alone leaves an image that was pushed or pulled (its
 * repo digest still references it). The base image is never removed.
 */
export class ImageJanitor {
  private readonly references = new Set<string>();
  constructor(private readonly docker: () => Docker | undefined) {}

  add(...references: string[]): void {
    for (const reference of references) this.references.add(reference);
  }

  /** Records the intermediate images a build prints (" ---> 1a2b3c4d5e6f"), e.g. of a failed build. */
  outputCollector(): (line: string) => void {
    return (line) => {
      const id = /^ ---> ([0-9a-f]{12})$/.exec(line)?.[1];
      if (id) this.references.add(id);
    };
  }

  async cleanUp(): Promise<void> {
    const docker = this.docker();
    if (!docker) return;
    // A build's output names the base image too (" ---> <id>" after FROM): never remove that.
    const base = (
      await docker
        .getImage(BASE_IMAGE)
        .inspect()
        .catch(() => undefined)
    )?.Id;
    const ids = new Set<string>();
    for (const reference of this.references) {
      const id = (
        await docker
          .getImage(reference)
          .inspect()
          .catch(() => undefined)
      )?.Id;
      if (id && id !== base) ids.add(id);
    }
    this.references.clear();
    // Children before parents: retry until a pass removes nothing more.
    for (let pass = 0; pass < 5 && ids.size; pass++) {
      for (const id of [...ids]) {
        try {
          await docker.getImage(id).remove({ force: true });
          ids.delete(id);
        } catch (error) {
          if ((error as { statusCode?: number }).statusCode === 404) ids.delete(id);
        }
      }
    }
  }
}

export async function admin<T>(info: SandboxInfo, method: 'GET' | 'POST', route: string, body?: unknown): Promise<T> {
  const response = await fetch(`${info.synapseEndpoint}${route}`, {
    method,
    headers: body ? { 'content-type': 'application/json' } : undefined,
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  assert.ok(response.ok, `${method} ${route} answered ${response.status}: ${text}`);
  return JSON.parse(text) as T;
}

export function sandboxUser(info: SandboxInfo, userName: string): SandboxInfo['users'][number] {
  const found = info.users.find((candidate) => candidate.userName === userName);
  assert.ok(found, `the sandbox seed has no user ${userName}`);
  return found;
}

export function uniqueId(): string {
  return `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
}

/** Whether the engine keeps images in the containerd image store (Docker 24+ with the snapshotter feature; `docker info`'s driver-type). */
export async function usesContainerdStore(docker: Docker): Promise<boolean> {
  const info = (await docker.info()) as { DriverStatus?: Array<[string, string]> | null };
  return (info.DriverStatus ?? []).some(([key, value]) => key === 'driver-type' && value === 'io.containerd.snapshotter.v1');
}
