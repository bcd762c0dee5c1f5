// Faults between the extension and the stack's engine and registry: a recording proxy in front
// of the engine's socket (what really reached the wire), an engine that accepts and never
// answers, and stopping/starting the stack's registry and engine by the pids stack.json records.
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { EngineRecord, startEngine, stopEngine } from '../../sandbox/docker-engine';
import { ProcessRecord, spawnDetached, stopProcess, waitUntil, writeFileAtomic } from '../../sandbox/processes';
import { registryChallenge, RegistryRecord } from '../../sandbox/registry';
import { sandboxInfoFile } from './stack';
import { projectRoot } from '../../sandbox/stack';

const stackStateFile = path.join(path.dirname(sandboxInfoFile), 'stack.json');

function socketDir(prefix: string): string {
  // Unix socket paths are capped at 108 bytes: a short directory.
  return fs.mkdtempSync(path.join(os.tmpdir().length <= 40 ? os.tmpdir() : '/tmp', prefix));
}

/** One HTTP request as it crossed the socket. */
export interface WireRequest {
  method: string;
  /** Path and query string, exactly as sent. */
  target: string;
  headers: Record<string, string>;
  body: Buffer;
}

/** Parses the bytes a client sent on one connection into its requests (Content-Length and chunked bodies). */
export function parseRequests(bytes: Buffer): WireRequest[] {
  const requests: WireRequest[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const headEnd = bytes.indexOf('\r\n\r\n', offset);
    if (headEnd < 0) break;
    const [requestLine, ...headerLines] = bytes.subarray(offset, headEnd).toString('latin1').split('\r\n');
    const [method, target] = requestLine.split(' ');
    const headers: Record<string, string> = {};
    for (const line of headerLines) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    let cursor = headEnd + 4;
    let body: Buffer = Buffer.alloc(0);
    if (headers['content-length'] !== undefined) {
      const length = Number(headers['content-length']);
      body = bytes.subarray(cursor, cursor + length);
      cursor += length;
    } else if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
      const parts: Buffer[] = [];
      for (;;) {
        const lineEnd = bytes.indexOf('\r\n', cursor);
        if (lineEnd < 0) {
          cursor = bytes.length;
          break;
        }
        const size = parseInt(bytes.subarray(cursor, lineEnd).toString('latin1'), 16);
        cursor = lineEnd + 2;
        if (!size) {
          cursor += 2;
          break;
        }
        parts.push(bytes.subarray(cursor, cursor + size));
        cursor += size + 2;
      }
      body = Buffer.concat(parts);
    }
    requests.push({ method, target, headers, body });
    offset = cursor;
  }
  return requests;
}

/** A unix socket that forwards to the engine's and keeps every byte the client sent. */
export class RecordingProxy {
  readonly socketPath: string;
  private readonly dir: string;
  private readonly server: net.Server;
  private readonly connections: Buffer[][] = [];
  private readonly open = new Set<net.Socket>();

  private constructor(engineSocket: string) {
    this.dir = socketDir('wire-');
    this.socketPath = path.join(this.dir, 'engine.sock');
    this.server = net.createServer((client) => {
      const sent: Buffer[] = [];
      this.connections.push(sent);
      const upstream = net.connect(engineSocket);
      this.open.add(client).add(upstream);
      client.on('data', (chunk: Buffer) => sent.push(chunk));
      client.pipe(upstream).pipe(client);
      const close = () => {
        client.destroy();
        upstream.destroy();
        this.open.delete(client);
        this.open.delete(upstream);
      };
      client.on('error', close).on('close', close);
      upstream.on('error', close).on('close', close);
    });
  }

  static async start(engineHost: string): Promise<RecordingProxy> {
    const url = new URL(engineHost);
    if (url.protocol !== 'unix:') throw new Error(`the recording proxy needs the stack's engine on a unix socket, not ${engineHost}`);
    const proxy = new RecordingProxy(url.pathname);
    await new Promise<void>((resolve) => proxy.server.listen(proxy.socketPath, resolve));
    return proxy;
  }

  get dockerHost(): string {
    return `unix://${this.socketPath}`;
  }

  /** Every request sent so far, in order per connection. */
  requests(): WireRequest[] {
    return this.connections.flatMap((chunks) => parseRequests(Buffer.concat(chunks)));
  }

  /** Forgets what was sent so far (connections kept alive go on recording). */
  reset(): void {
    for (const sent of this.connections) sent.length = 0;
  }

  async close(): Promise<void> {
    for (const socket of this.open) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * An "engine" that accepts connections, reads what it is sent, and never answers; after
 * `recover(engineSocket)`, new connections go to that engine (the stall is over).
 */
export class StalledEngine {
  readonly socketPath: string;
  private readonly dir: string;
  private readonly server: net.Server;
  private readonly open = new Set<net.Socket>();
  private forwardTo?: string;
  /** Stalled connections accepted so far. */
  accepted = 0;

  private constructor() {
    this.dir = socketDir('stall-');
    this.socketPath = path.join(this.dir, 'docker.sock');
    this.server = net.createServer((socket) => {
      socket.on('error', () => undefined);
      if (this.forwardTo) {
        const upstream = net.connect(this.forwardTo);
        upstream.on('error', () => socket.destroy());
        socket.on('close', () => upstream.destroy());
        socket.pipe(upstream).pipe(socket);
        return;
      }
      this.accepted++;
      this.open.add(socket);
      socket.on('data', () => undefined);
      socket.on('close', () => this.open.delete(socket));
    });
  }

  /** From now on, connections are forwarded to this engine (a unix DOCKER_HOST). */
  recover(engineHost: string): void {
    this.forwardTo = new URL(engineHost).pathname;
  }

  static async start(): Promise<StalledEngine> {
    const engine = new StalledEngine();
    await new Promise<void>((resolve) => engine.server.listen(engine.socketPath, resolve));
    return engine;
  }

  get dockerHost(): string {
    return `unix://${this.socketPath}`;
  }

  /** Connections the client still holds open (it should have closed every one it gave up on). */
  get openConnections(): number {
    return this.open.size;
  }

  async close(): Promise<void> {
    for (const socket of this.open) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

interface StackState {
  engine?: EngineRecord;
  registry?: RegistryRecord;
  [key: string]: unknown;
}

function readStackState(): StackState {
  return JSON.parse(fs.readFileSync(stackStateFile, 'utf8')) as StackState;
}

function saveStackState(state: StackState): void {
  writeFileAtomic(stackStateFile, `${JSON.stringify(state, null, 2)}\n`);
}

/** Stops the stack's registry (by its recorded pid); its storage stays. */
export async function stopStackRegistry(): Promise<void> {
  const state = readStackState();
  if (!state.registry) throw new Error(`no registry recorded in ${stackStateFile}`);
  await stopProcess(state.registry.process, 10_000);
}

/** Starts the stack's registry again with the same config and storage, and records its new pid. */
export async function startStackRegistry(): Promise<void> {
  const state = readStackState();
  const registry = state.registry;
  if (!registry) throw new Error(`no registry recorded in ${stackStateFile}`);
  const [binary, ...args] = registry.process.command;
  const record: ProcessRecord = spawnDetached(binary, args, registry.process.log);
  registry.process = record;
  saveStackState(state);
  await waitUntil(() => registryChallenge(registry.address), {
    service: `Docker registry (${registry.address})`,
    timeoutMs: 20_000,
    process: record,
  });
}

/** The stack's own dockerd (a reused engine is someone else's and is never restarted). */
function ownEngine(state: StackState): EngineRecord & { engineDir: string } {
  const engine = state.engine;
  if (!engine || engine.mode !== 'started' || !engine.engineDir) {
    throw new Error(
      `restarting the engine needs the stack's own dockerd; ${stackStateFile} records ${engine ? `a ${engine.mode} engine at ${engine.dockerHost}` : 'no engine'}`,
    );
  }
  return engine as EngineRecord & { engineDir: string };
}

/** Stops the stack's own dockerd; its data root (images) stays. */
export async function stopStackEngine(): Promise<void> {
  await stopEngine(ownEngine(readStackState()));
}

/** Starts the stack's dockerd again on the same socket and data root, and records its new pid. */
export async function startStackEngine(): Promise<void> {
  const state = readStackState();
  const engine = ownEngine(state);
  const log = engine.process?.log ?? path.join(path.dirname(sandboxInfoFile), 'logs', 'dockerd.log');
  state.engine = await startEngine(engine.name ?? 'debian', engine.engineDir, log, {
    projectRoot,
    registryAddress: state.registry?.address ?? engine.registryAddress ?? '',
  });
  saveStackState(state);
}
