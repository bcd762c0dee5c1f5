// The lazily loaded Docker side: dist/docker.js (dockerode, tar-fs, …) is required on the first
// Docker action, never at activation. The engine endpoint is resolved once and logged once.
import * as vscode from 'vscode';
import type Docker from 'dockerode';
import type { DockerEndpoint } from '../core/docker/endpoint';
import { Logger } from '../core/util/log';

export type DockerModule = typeof import('../core/docker');
type DockerOperationError = import('../core/docker').DockerOperationError;

/** dist/docker.js once something needed it: one copy per extension host, whichever DockerAccess loaded it. */
let loadedModule: DockerModule | undefined;

/** The lazy loader: the one place dist/docker.js is required (lint allows no other runtime import of src/core/docker). */
function loadDockerModule(): DockerModule {
  if (!loadedModule) {
    // A plain require of the sibling bundle: esbuild leaves './docker.js' external.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    loadedModule = require('./docker.js') as DockerModule;
    loadedModule.useTranslations(vscode.l10n.bundle, vscode.env.language); // its own copy of @vscode/l10n
  }
  return loadedModule;
}

/**
 * The type guards of dist/docker.js's errors, usable without loading it: before it was loaded,
 * none of its errors can exist, so each answers false.
 */
export const dockerErrors = {
  isUnreachable: (error: unknown): error is Error => loadedModule?.isDockerUnreachableError(error) ?? false,
  isRegistryDenied: (error: unknown): error is import('../core/docker').RegistryDeniedError =>
    loadedModule?.isRegistryDeniedError(error) ?? false,
  isRegistryPlainHttp: (error: unknown): error is import('../core/docker').RegistryPlainHttpError =>
    loadedModule?.isRegistryPlainHttpError(error) ?? false,
  isBuildFailed: (error: unknown): error is import('../core/docker').BuildFailedError => loadedModule?.isBuildFailedError(error) ?? false,
  isBuildkitRequired: (error: unknown): error is import('../core/docker').BuildkitRequiredError =>
    loadedModule?.isBuildkitRequiredError(error) ?? false,
  isCancelled: (error: unknown): error is Error => loadedModule?.isDockerCancelledError(error) ?? false,
  isOperationError: (error: unknown): error is DockerOperationError => loadedModule?.isDockerOperationError(error) ?? false,
};

export interface DockerConnection {
  docker: Docker;
  endpoint: DockerEndpoint;
  module: DockerModule;
}

export class DockerAccess {
  private connection: Promise<DockerConnection> | undefined;
  private readonly reachabilityChanged = new vscode.EventEmitter<void>();
  /** Fires when the engine turns out unreachable, or reachable again. */
  readonly onDidChangeReachability = this.reachabilityChanged.event;
  private lastError: Error | undefined;

  /**
   * @param dockerHost reads the user's synapseDocker.dockerHost setting (host/settings.ts readDockerHost).
   * @param trustMemory globalState: where engineTrust remembers the plain-tcp engines the user accepted.
   */
  constructor(
    private readonly logger: Logger,
    private readonly dockerHost: () => string,
    readonly trustMemory?: vscode.Memento,
  ) {}

  /** The reason the engine was unreachable at the last attempt, if it was. */
  get unreachableReason(): string | undefined {
    return this.lastError?.message;
  }

  get loaded(): boolean {
    return loadedModule !== undefined;
  }

  module(): DockerModule {
    return loadDockerModule();
  }

  /** Connects (and pings) once; a failure is remembered for the view and retried on the next call. */
  connect(): Promise<DockerConnection> {
    this.connection ??= this.open().catch((error: unknown) => {
      this.connection = undefined;
      this.lastError = error as Error;
      this.reachabilityChanged.fire();
      throw error;
    });
    return this.connection;
  }

  /**
   * Pings the engine of a connection made earlier (nothing when there is none): an engine that
   * stopped since is then said in the tree, with Retry, instead of every later use failing quietly.
   */
  async recheck(): Promise<void> {
    const cached = this.connection;
    if (!cached) return;
    let connection: DockerConnection;
    try {
      connection = await cached;
    } catch {
      return; // that attempt already reported itself
    }
    const ping = () => connection.module.pingDocker(connection.docker, connection.endpoint);
    try {
      await ping().catch((error: { code?: string }) => {
        // A kept-alive socket of an engine that stopped fails first (EPIPE, ECONNRESET); a fresh
        // one then says what is really wrong (no socket, nothing listening).
        if (error.code === 'EPIPE' || error.code === 'ECONNRESET') return ping();
        throw error;
      });
    } catch (error) {
      this.lost(cached, error as Error);
    }
  }

  /**
   * An operation found the engine unreachable (a DockerUnreachableError of dist/docker.js): the
   * connection is forgotten and the reason shown in the tree. Other errors are left alone.
   */
  noteFailure(error: unknown): void {
    if (dockerErrors.isUnreachable(error) && this.connection) this.lost(this.connection, error);
  }

  private lost(connection: Promise<DockerConnection>, error: Error): void {
    if (this.connection !== connection) return; // already replaced (Retry, a new setting)
    this.logger.warn(`Docker engine no longer reachable: ${error.message}`);
    this.connection = undefined;
    this.lastError = error;
    this.reachabilityChanged.fire();
  }

  /** Forgets the connection, e.g. after the dockerHost setting changed or on Retry. */
  reset(): void {
    this.connection = undefined;
    this.lastError = undefined;
    this.reachabilityChanged.fire();
  }

  private async open(): Promise<DockerConnection> {
    const module = this.module();
    const setting = this.dockerHost();
    const endpoint = await module.resolveDockerEndpoint({ setting });
    const docker = module.createDockerClient(endpoint);
    const version = await module.pingDocker(docker, endpoint);
    this.logger.info(`Docker engine ${version.version} (API ${version.apiVersion}) at ${endpoint.host} (from ${endpoint.source})`);
    if (this.lastError) {
      this.lastError = undefined;
      this.reachabilityChanged.fire();
    }
    return { docker, endpoint, module };
  }
}
