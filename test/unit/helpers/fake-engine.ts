// A loopback engine on a unix socket that answers /_ping and /version as Podman 4.3.1 or dockerd
// 20.10 do (headers and bodies captured from the stack's engines), and any other route as the test
// says: for what only a real engine of the other kind would show.
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import type { DockerEndpoint } from '../../../src/core/docker';

export interface EngineFlavour {
  name: string;
  pingHeaders: Record<string, string>;
  version: unknown;
}

export const PODMAN_4_3: EngineFlavour = {
  name: 'Podman 4.3.1',
  pingHeaders: { 'Libpod-Buildah-Version': '1.28.2', 'Libpod-Api-Version': '4.3.1', 'Builder-Version': '', 'Buildkit-Version': '' },
  version: { Version: '4.3.1', ApiVersion: '1.41', Os: 'linux', Arch: 'amd64', Components: [{ Name: 'Podman Engine', Version: '4.3.1' }] },
};

export const DOCKERD_20_10: EngineFlavour = {
  name: 'Docker Engine 20.10.24',
  pingHeaders: { 'Builder-Version': '1' },
  version: { Version: '20.10.24', ApiVersion: '1.41', Os: 'linux', Arch: 'amd64', Components: [{ Name: 'Engine', Version: '20.10.24' }] },
};

/** Answers a route other than /_ping and /version: true when it did. */
export type Route = (method: string, url: string, res: http.ServerResponse) => boolean;

/** An HTTP server on a unix socket in a fresh temporary folder: the shell of every loopback engine the unit tests play. */
export abstract class SocketEngine {
  readonly socketPath: string;
  private readonly dir: string;
  private readonly server: http.Server;

  constructor(prefix: string) {
    // A unix socket path may hold about 108 bytes: long temporary folders fall back to /tmp.
    this.dir = fs.mkdtempSync(path.join(os.tmpdir().length <= 40 ? os.tmpdir() : '/tmp', prefix));
    this.socketPath = path.join(this.dir, 'engine.sock');
    this.server = http.createServer((req, res) => void this.answer(req, res));
  }

  get endpoint(): DockerEndpoint {
    return { host: `unix://${this.socketPath}`, source: 'DOCKER_HOST' };
  }

  listen(): Promise<void> {
    return new Promise((resolve) => this.server.listen(this.socketPath, resolve));
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  protected abstract answer(req: http.IncomingMessage, res: http.ServerResponse): Promise<void>;
}

export class FakeEngine extends SocketEngine {
  flavour: EngineFlavour = PODMAN_4_3;
  route: Route = () => false;
  /** Requests by "METHOD /path" (query left off). */
  readonly calls: string[] = [];

  constructor() {
    super('fake-engine-');
  }

  protected async answer(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    for await (const chunk of req) void chunk; // (a build sends its context)
    const url = (req.url ?? '').replace(/^\/v[0-9.]+\//, '/').replace(/\?.*$/, '');
    const method = req.method ?? 'GET';
    this.calls.push(`${method} ${url}`);
    if (url === '/_ping') {
      res.writeHead(200, { 'content-type': 'text/plain', 'api-version': '1.41', ...this.flavour.pingHeaders });
      res.end('OK');
      return;
    }
    if (url === '/version') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(this.flavour.version));
      return;
    }
    if (this.route(method, url, res)) return;
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ message: `no route ${method} ${url}` }));
  }
}

export function answerJson(res: http.ServerResponse, status: number, value: unknown): true {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(value));
  return true;
}
