// The admin API tests drive the sandbox with (CONTRACTS.md): loopback peers only, JSON in and out.
import type { IncomingMessage } from 'node:http';
import { ApiError, badRequest, isLoopback, notFound, parseJsonObject, readBody } from './http';
import { OAUTH_SCOPES, OAuthScope } from './model';
import { TrafficControl } from './control';
import { MANIFEST_POLICIES, ManifestPolicy } from './listener';

export interface SandboxUserInfo {
  userName: string;
  ownerId: string;
  token: string;
  certified: boolean;
  scopes: string[];
}

export interface SandboxProjectInfo {
  id: string;
  name: string;
  inTrash: boolean;
  /** userName → access types the project's ACL grants that user (directly, via teams or public groups). */
  access: { [userName: string]: string[] };
}

/** What the admin API operates on. */
export interface AdminTarget {
  control: TrafficControl;
  reset(): void;
  state(): { users: SandboxUserInfo[]; projects: SandboxProjectInfo[] };
  mintToken(userName: string, scopes: OAuthScope[]): string;
  /** Revokes a personal access token; false when it was not a valid one. */
  revokeToken(token: string): boolean;
  setTrashed(id: string, trashed: boolean): void;
  /** Which manifest media types the listener records commits for (listener.ts). */
  manifestPolicy: ManifestPolicy;
  /** How long a notification waits before it is applied (answered 204 at once), like a delayed delivery. */
  listenerDelayMs: number;
  /** The evaluation service's admin routes (server/evaluations.ts); undefined for a route it does not know. */
  evaluationAdmin(route: string, body: Record<string, unknown>): unknown;
}

/** Registry notifications held back longer than this would outlive any test. */
const MAX_LISTENER_DELAY_MS = 10 * 60_000;

/** Generated bodies may be large (that is their point) but stay bounded. */
const MAX_GENERATED_BODY_BYTES = 2 * 1024 * 1024 * 1024;

type Json = Record<string, unknown>;

function nonNegativeInteger(body: Json, name: string, fallback?: number): number {
  const value = body[name] ?? fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw badRequest(`${name} must be a non-negative integer`);
  return value;
}

function optionalString(body: Json, name: string): string | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw badRequest(`${name} must be a string`);
  return value;
}

function requiredString(body: Json, name: string): string {
  const value = optionalString(body, name);
  if (value === undefined || value === '') throw badRequest(`${name} is required`);
  return value;
}

function optionalBoolean(body: Json, name: string, fallback: boolean): boolean {
  const value = body[name] ?? fallback;
  if (typeof value !== 'boolean') throw badRequest(`${name} must be a boolean`);
  return value;
}

function scopesOf(body: Json): OAuthScope[] {
  const value = body.scopes ?? ['view', 'download', 'modify'];
  if (!Array.isArray(value)) throw badRequest('scopes must be an array');
  return value.map((scope) => {
    if (!(OAUTH_SCOPES as readonly string[]).includes(String(scope))) throw badRequest(`Unknown scope: ${String(scope)}`);
    return scope as OAuthScope;
  });
}

/** Answers an admin request with a JSON value (errors are thrown as ApiError). */
export async function handleAdminRequest(target: AdminTarget, req: IncomingMessage, path: string): Promise<unknown> {
  if (!isLoopback(req.socket.remoteAddress)) throw new ApiError(403, 'The admin API only answers loopback peers.');
  const route = `${req.method} ${path}`;
  const body = req.method === 'POST' ? parseJsonObject((await readBody(req)) || '{}') : {};
  const { control } = target;
  switch (route) {
    case 'POST /__admin/reset':
      target.reset();
      return { ok: true };
    case 'POST /__admin/latency':
      control.latencyMs = nonNegativeInteger(body, 'ms');
      return { ms: control.latencyMs };
    case 'POST /__admin/fail': {
      const status = nonNegativeInteger(body, 'status', 500);
      if (status < 400 || status > 599) throw badRequest('status must be an HTTP error status (400-599)');
      control.addFail({
        remaining: nonNegativeInteger(body, 'count', 1),
        status,
        pathPrefix: optionalString(body, 'pathPrefix'),
        reason: optionalString(body, 'reason'),
      });
      return { ok: true };
    }
    case 'POST /__admin/drop':
      control.addDrop({ remaining: nonNegativeInteger(body, 'count', 1), pathPrefix: optionalString(body, 'pathPrefix') });
      return { ok: true };
    case 'POST /__admin/stall':
      control.addStall({
        remaining: nonNegativeInteger(body, 'count', 1),
        pathPrefix: optionalString(body, 'pathPrefix'),
        sendHeaders: optionalBoolean(body, 'sendHeaders', false),
      });
      return { ok: true };
    case 'POST /__admin/respond': {
      const status = nonNegativeInteger(body, 'status', 200);
      if (status < 200 || status > 599) throw badRequest('status must be an HTTP status (200-599)');
      const text = optionalString(body, 'body');
      const bodyBytes = body.bodyBytes === undefined ? undefined : nonNegativeInteger(body, 'bodyBytes');
      if (text !== undefined && bodyBytes !== undefined) throw badRequest('give body or bodyBytes, not both');
      if (bodyBytes !== undefined && bodyBytes > MAX_GENERATED_BODY_BYTES)
        throw badRequest(`bodyBytes must be at most ${MAX_GENERATED_BODY_BYTES}`);
      control.addRespond({
        remaining: nonNegativeInteger(body, 'count', 1),
        pathPrefix: optionalString(body, 'pathPrefix'),
        status,
        contentType: optionalString(body, 'contentType'),
        body: text,
        bodyBytes,
        contentLength: optionalBoolean(body, 'contentLength', true),
      });
      return { ok: true };
    }
    case 'POST /__admin/revoke':
      if (!target.revokeToken(requiredString(body, 'token'))) throw notFound('The sandbox did not issue this token.');
      return { ok: true };
    case 'POST /__admin/throttle':
      if (typeof body.enabled !== 'boolean') throw badRequest('enabled must be a boolean');
      control.throttleEnabled = body.enabled;
      return { enabled: control.throttleEnabled };
    case 'POST /__admin/tokens':
      return { token: target.mintToken(requiredString(body, 'userName'), scopesOf(body)) };
    case 'POST /__admin/manifest-policy': {
      const policy = requiredString(body, 'policy');
      if (!(MANIFEST_POLICIES as readonly string[]).includes(policy))
        throw badRequest(`policy must be one of: ${MANIFEST_POLICIES.join(', ')}`);
      target.manifestPolicy = policy as ManifestPolicy;
      return { policy: target.manifestPolicy };
    }
    case 'POST /__admin/listener-delay': {
      const ms = nonNegativeInteger(body, 'ms');
      if (ms > MAX_LISTENER_DELAY_MS) throw badRequest(`ms must be at most ${MAX_LISTENER_DELAY_MS}`);
      target.listenerDelayMs = ms;
      return { ms: target.listenerDelayMs };
    }
    case 'GET /__admin/state':
      return target.state();
    case 'GET /__admin/stats':
      return control.stats();
    case 'POST /__admin/stats/reset':
      control.resetStats();
      return { ok: true };
    case 'POST /__admin/trash':
    case 'POST /__admin/restore':
      target.setTrashed(requiredString(body, 'id'), path === '/__admin/trash');
      return { ok: true };
    default: {
      const answer = target.evaluationAdmin(route, body);
      if (answer === undefined) throw notFound(`No admin API for: ${route}`);
      return answer;
    }
  }
}
