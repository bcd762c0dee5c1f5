// The Synapse sandbox: a real local HTTP server that answers like Synapse's REST API, docker token
// server and registry listener (docs/synapse-api.md §6), plus an admin API for tests.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { IncomingMessage, Server, ServerResponse, createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { AdminTarget, SandboxProjectInfo, SandboxUserInfo, handleAdminRequest } from './server/admin';
import { TrafficControl, isApiPath } from './server/control';
import { dockerCaller, issueBearerToken } from './server/dockerApi';
import {
  ApiError,
  Reply,
  basicCredentials,
  notFound,
  parseJsonObject,
  readBody,
  sendError,
  sendJson,
  sendNoContent,
  toApiError,
} from './server/http';
import { handleEvaluationAdmin } from './server/evaluations';
import { DEFAULT_MANIFEST_POLICY, ManifestPolicy, processRegistryEvents } from './server/listener';
import { ACCESS_TYPES, Clock, OAuthScope, SandboxModel, TRASH_FOLDER_ID } from './server/model';
import { Caller, anonymousCaller } from './server/permissions';
import { handleRepoRequest } from './server/repoApi';
import { SeedData, buildModel, seedEpoch } from './server/seed';
import { DockerTokenSigner, PatAuthority, generateTokenKeyPair } from './server/tokens';

export type {
  SeedAcl,
  SeedChild,
  SeedData,
  SeedDockerRepository,
  SeedFolder,
  SeedProject,
  SeedProjectGenerator,
  SeedTag,
  SeedTeam,
  SeedUser,
} from './server/seed';
export type { SandboxProjectInfo, SandboxUserInfo } from './server/admin';
export type { ManifestPolicy } from './server/listener';

export interface SandboxOptions {
  host?: string;
  /** 0 = any free port. */
  port?: number;
  seed: SeedData;
  /** host:port of the registry, e.g. 127.0.0.1:5123; the prefix of managed repository names. */
  registryHost: string;
  /** ES256 key + cert for docker bearer tokens; generated with openssl when absent. */
  tokenKeyPem?: string;
  tokenCertPem?: string;
  listenerCredentials?: { user: string; password: string };
  /** `iss` of docker bearer tokens (the registry's auth.token.issuer). */
  issuer?: string;
  /** Start with Synapse's throttle on (default off; switchable through the admin API). */
  throttle?: boolean;
  /** The listener's manifest rule (default `strict`: Docker v2 only, as Synapse's Oct-2024 source). */
  manifestPolicy?: ManifestPolicy;
  /** Where processing problems (e.g. rejected registry events) are reported. */
  log?: (line: string) => void;
}

export interface RunningSandbox {
  /** http://127.0.0.1:PORT */
  url: string;
  port: number;
  issuer: string;
  tokenCertPem: string;
  listenerCredentials: { user: string; password: string };
  users(): SandboxUserInfo[];
  projects(): SandboxProjectInfo[];
  close(): Promise<void>;
}

export const DEFAULT_ISSUER = 'www.synapse.org';
/** AcceptTermsOfUseFilter's reason while a user must accept new terms. */
export const TERMS_OF_USE_NOT_SIGNED = 'Terms of use have not been signed.';
/** `iss` of the sandbox's PATs (fixed, so tokens do not depend on the port). */
export const PAT_ISSUER = 'https://synapse-sandbox.invalid/auth/v1';
export const DEFAULT_LISTENER_CREDENTIALS = { user: 'docker-registry', password: 'sandbox-listener-secret' };

/** The default seed (test/sandbox/seed/default.json), found from src or from the transpiled out/ tree. */
export const DEFAULT_SEED_FILE =
  [join(__dirname, 'seed', 'default.json'), join(__dirname, '..', '..', '..', 'test', 'sandbox', 'seed', 'default.json')].find(
    (candidate) => existsSync(candidate),
  ) ?? join(__dirname, 'seed', 'default.json');

export function loadSeed(file: string = DEFAULT_SEED_FILE): SeedData {
  return JSON.parse(readFileSync(file, 'utf8')) as SeedData;
}

class Sandbox implements AdminTarget {
  readonly control = new TrafficControl();
  private readonly clock = new Clock();
  private readonly pats: PatAuthority;
  private model: SandboxModel;
  /** userName → the seeded user's stable token. */
  private readonly seededTokens = new Map<string, string>();
  manifestPolicy: ManifestPolicy;
  listenerDelayMs = 0;
  /** Notifications held by listenerDelayMs: cancelled on reset and close. */
  private readonly heldNotifications = new Set<NodeJS.Timeout>();

  constructor(
    private readonly options: SandboxOptions,
    private readonly signer: DockerTokenSigner,
    readonly issuer: string,
    readonly listenerCredentials: { user: string; password: string },
  ) {
    const secret = options.seed.tokenSecret ?? createHash('sha256').update(JSON.stringify(options.seed)).digest('hex');
    this.pats = new PatAuthority(Buffer.from(secret, 'utf8'), PAT_ISSUER);
    this.model = buildModel(options.seed, options.registryHost, this.clock);
    this.issueSeededTokens();
    this.control.throttleEnabled = options.throttle ?? false;
    this.manifestPolicy = options.manifestPolicy ?? DEFAULT_MANIFEST_POLICY;
  }

  /** (Re-)issues the seeded users' stable tokens, so a reset also undoes their revocation. */
  private issueSeededTokens(): void {
    const iat = Math.floor(seedEpoch(this.options.seed) / 1000);
    for (const user of this.model.users.values()) {
      this.seededTokens.set(user.userName, this.pats.mint(user.ownerId, user.scopes, { iat, jti: this.pats.seededJti(user.userName) }));
    }
  }

  private log(line: string): void {
    this.options.log?.(line);
  }

  // ---- AdminTarget ----

  /** Back to the seed: entities, commits, controls and stats (issued tokens stay valid). */
  reset(): void {
    this.model = buildModel(this.options.seed, this.options.registryHost, this.clock);
    this.issueSeededTokens();
    this.control.reset();
    this.control.throttleEnabled = this.options.throttle ?? false;
    this.manifestPolicy = this.options.manifestPolicy ?? DEFAULT_MANIFEST_POLICY;
    this.listenerDelayMs = 0;
    this.dropHeldNotifications();
  }

  dropHeldNotifications(): void {
    for (const timer of this.heldNotifications) clearTimeout(timer);
    this.heldNotifications.clear();
  }

  state(): { users: SandboxUserInfo[]; projects: SandboxProjectInfo[] } {
    return { users: this.users(), projects: this.projects() };
  }

  users(): SandboxUserInfo[] {
    return [...this.model.users.values()].map((user) => ({
      userName: user.userName,
      ownerId: user.ownerId,
      token: this.seededTokens.get(user.userName)!,
      certified: user.certified,
      scopes: [...user.scopes],
    }));
  }

  projects(): SandboxProjectInfo[] {
    return this.model.projects().map((project) => {
      const access: Record<string, string[]> = {};
      for (const user of this.model.users.values()) {
        const granted = SandboxModel.granted(project.acl ?? new Map(), this.model.groupsOf(user));
        if (granted.size > 0) access[user.userName] = ACCESS_TYPES.filter((type) => granted.has(type));
      }
      return { id: project.id, name: project.name, inTrash: this.model.isInTrash(project), access };
    });
  }

  mintToken(userName: string, scopes: OAuthScope[]): string {
    const user = this.model.usersByName.get(userName);
    if (!user) throw notFound(`No user named ${userName}`);
    return this.pats.mint(user.ownerId, scopes);
  }

  revokeToken(token: string): boolean {
    return this.pats.revoke(token);
  }

  /** Moves to the trash can (dropping the ACLs of the hierarchy) or back; a restored project's creator gets it all. */
  setTrashed(id: string, trashed: boolean): void {
    const entity = this.model.entities.get(id);
    if (!entity || id === TRASH_FOLDER_ID) throw notFound(`No entity ${id}`);
    if (trashed) this.model.moveToTrash(entity);
    else this.model.restoreFromTrash(entity, entity.createdBy, ACCESS_TYPES);
  }

  evaluationAdmin(route: string, body: Record<string, unknown>): unknown {
    return handleEvaluationAdmin(this.model, route, body);
  }

  // ---- HTTP ----

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sandbox.invalid');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    if (path.startsWith('/__admin/')) {
      try {
        sendJson(res, 200, await handleAdminRequest(this, req, path));
      } catch (error) {
        sendError(res, toApiError(error));
      }
      return;
    }

    const api = isApiPath(path);
    const isRepo = path.startsWith('/repo/v1/');
    // Who is calling is settled first so that even rejected requests count in the stats;
    // the 401 itself is answered after the latency, like any other reply.
    let caller: Caller | undefined;
    let authError: ApiError | undefined;
    if (api) {
      try {
        caller = isRepo ? this.repoCaller(req.headers.authorization) : dockerCaller(this.model, this.pats, req.headers.authorization);
      } catch (error) {
        authError = toApiError(error);
      }
    }
    const stat = api ? this.control.begin(method, path, caller?.userId ?? null) : undefined;
    if (this.control.takeDrop(path)) {
      if (stat) this.control.end(stat, 0);
      req.socket.destroy();
      return;
    }
    const faulted = this.control.stall(path, res) ?? this.control.respond(path, res);
    if (faulted) {
      const status = await faulted;
      if (stat) this.control.end(stat, status);
      return;
    }
    const injected = this.control.takeFail(path);
    // Synapse throttles signed-in users on /repo/v1 only.
    const admission = isRepo && caller?.user ? this.control.admit(caller.userId) : undefined;
    let status = 500;
    try {
      const body = await readBody(req);
      if (api && this.control.latencyMs > 0) await delay(this.control.latencyMs);
      if (injected) throw injected;
      if (authError) throw authError;
      // AcceptTermsOfUseFilter (/repo/v1/* and /docker/v1/*) runs before the throttle filters.
      if (caller?.user && !caller.user.termsOfUseAccepted) throw new ApiError(403, TERMS_OF_USE_NOT_SIGNED);
      if (admission && 'rejected' in admission) throw admission.rejected;
      if (isRepo) {
        const answer = handleRepoRequest(this.model, {
          method,
          path: path.slice('/repo/v1'.length),
          query: url.searchParams,
          body,
          caller: caller!,
        });
        const reply = answer instanceof Reply ? answer : new Reply(200, answer);
        if (reply.body === undefined) sendNoContent(res, reply.status);
        else sendJson(res, reply.status, reply.body);
        status = reply.status;
      } else if (api) {
        if (path !== '/docker/v1/bearerToken') throw notFound(`No API found for: ${path}`);
        if (method !== 'GET') throw new ApiError(405, `Request method '${method}' not supported`);
        sendJson(res, 200, issueBearerToken(this.model, this.signer, this.issuer, caller!, url.searchParams));
        status = 200;
      } else {
        status = this.handleListener(method, path, req.headers.authorization, body);
        sendNoContent(res);
      }
    } catch (thrown) {
      const error = toApiError(thrown);
      status = error.status;
      if (status === 500) this.log(`500 on ${method} ${path}: ${error.reason}`);
      sendError(res, error);
    } finally {
      if (admission && 'release' in admission) admission.release();
      if (stat) this.control.end(stat, status);
    }
  }

  /**
   * Bearer PAT → its user; no header, or one that is not "Bearer …" (HttpAuthUtil reads no token from it) →
   * anonymous; a Bearer token that does not verify → 401 "Invalid access token".
   */
  private repoCaller(authorization: string | undefined): Caller {
    if (authorization === undefined || !authorization.startsWith('Bearer ')) return anonymousCaller();
    const invalid = new ApiError(401, 'Invalid access token');
    const identity = this.pats.verify(authorization.slice('Bearer '.length).trim());
    const user = identity && this.model.users.get(identity.userId);
    if (!identity || !user) throw invalid;
    return { userId: user.ownerId, user, scopes: new Set(identity.scopes) };
  }

  /** The registry listener; returns 204 even when events fail (they are only logged, as in Synapse). */
  private handleListener(method: string, path: string, authorization: string | undefined, body: string): number {
    if (path !== '/dockerRegistryListener/v1/events') throw notFound(`No API found for: ${path}`);
    if (method !== 'POST') throw new ApiError(405, `Request method '${method}' not supported`);
    const credentials = basicCredentials(authorization);
    const expected = this.listenerCredentials;
    if (!credentials || credentials.user !== expected.user || credentials.password !== expected.password) {
      throw new ApiError(401, 'Invalid credentials.');
    }
    const events = parseJsonObject(body);
    const policy = this.manifestPolicy;
    const apply = () => {
      for (const problem of processRegistryEvents(this.model, this.options.registryHost, events, policy)) {
        this.log(`registry event not processed: ${problem}`);
      }
    };
    if (this.listenerDelayMs === 0) {
      apply();
    } else {
      const timer = setTimeout(() => {
        this.heldNotifications.delete(timer);
        apply();
      }, this.listenerDelayMs);
      this.heldNotifications.add(timer);
    }
    return 204;
  }
}

/** Starts the sandbox and resolves once it is listening. */
export async function startSandbox(options: SandboxOptions): Promise<RunningSandbox> {
  if ((options.tokenKeyPem === undefined) !== (options.tokenCertPem === undefined)) {
    throw new Error('tokenKeyPem and tokenCertPem go together.');
  }
  const keys =
    options.tokenKeyPem && options.tokenCertPem
      ? { keyPem: options.tokenKeyPem, certPem: options.tokenCertPem }
      : await generateTokenKeyPair();
  const signer = new DockerTokenSigner(keys.keyPem, keys.certPem);
  const issuer = options.issuer ?? DEFAULT_ISSUER;
  const listenerCredentials = options.listenerCredentials ?? DEFAULT_LISTENER_CREDENTIALS;
  const sandbox = new Sandbox(options, signer, issuer, listenerCredentials);

  const server: Server = createServer((req, res) => {
    sandbox.handle(req, res).catch((error: unknown) => {
      options.log?.(`request failed: ${String(error)}`);
      if (!res.headersSent) sendError(res, toApiError(error));
      else res.destroy();
    });
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    issuer,
    tokenCertPem: keys.certPem,
    listenerCredentials,
    users: () => sandbox.users(),
    projects: () => sandbox.projects(),
    close: () =>
      new Promise<void>((resolve, reject) => {
        sandbox.dropHeldNotifications();
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
