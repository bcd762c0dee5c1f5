// Small HTTP helpers shared by every route: the one ErrorResponse writer, JSON bodies, query parsing.
import type { IncomingMessage, ServerResponse } from 'node:http';

export const ERROR_RESPONSE_TYPE = 'org.sagebionetworks.repo.model.ErrorResponse';
export const OAUTH_ERROR_RESPONSE_TYPE = 'org.sagebionetworks.repo.model.OAuthErrorResponse';
/** Synapse sends this challenge with every 401 (HttpAuthUtil.reject). */
export const SYNAPSE_CHALLENGE = 'Bearer realm="Synapse Repository Services"';
const MAX_BODY_BYTES = 1024 * 1024;

/** An error that becomes a Synapse-shaped error reply. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    /** OAuth failures (e.g. insufficient_scope) use OAuthErrorResponse with `error`/`error_description`. */
    readonly oauthError?: string,
    /** ErrorResponse.errorCode, for the exceptions Synapse tags with one (e.g. USER_CERTIFICATION_REQUIRED). */
    readonly errorCode?: string,
  ) {
    super(reason);
  }
}

export const badRequest = (reason: string): ApiError => new ApiError(400, reason);
export const forbidden = (reason: string): ApiError => new ApiError(403, reason);
export const notFound = (reason: string): ApiError => new ApiError(404, reason);

/** The JSON body Synapse sends for an error with this status. */
export function errorBody(error: ApiError): Record<string, unknown> {
  // The throttle filter writes a bare {"reason"} (no concreteType).
  if (error.status === 429) return { reason: error.reason };
  if (error.oauthError) {
    return {
      concreteType: OAUTH_ERROR_RESPONSE_TYPE,
      reason: `${error.oauthError}. ${error.reason}`,
      error: error.oauthError,
      error_description: error.reason,
    };
  }
  return { concreteType: ERROR_RESPONSE_TYPE, reason: error.reason, ...(error.errorCode ? { errorCode: error.errorCode } : {}) };
}

/** A handler's answer with a status other than 200 (201 Created; 204 No Content without a body). */
export class Reply {
  constructor(
    readonly status: number,
    readonly body?: unknown,
  ) {}
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json;charset=UTF-8',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

export function sendNoContent(res: ServerResponse, status = 204): void {
  res.writeHead(status);
  res.end();
}

/** The single writer for error replies. */
export function sendError(res: ServerResponse, error: ApiError): void {
  const headers: Record<string, string> = error.status === 401 ? { 'WWW-Authenticate': SYNAPSE_CHALLENGE } : {};
  sendJson(res, error.status, errorBody(error), headers);
}

/** Turns anything thrown by a handler into an ApiError (unexpected ones are 500s). */
export function toApiError(thrown: unknown): ApiError {
  if (thrown instanceof ApiError) return thrown;
  const message = thrown instanceof Error ? thrown.message : String(thrown);
  return new ApiError(500, message);
}

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw badRequest('Request body is too large.');
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Parses a JSON object body; Synapse answers 400 for malformed JSON. */
export function parseJsonObject(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = text.trim() === '' ? undefined : JSON.parse(text);
  } catch (error) {
    throw badRequest(`Invalid JSON: ${(error as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw badRequest('The request body must be a JSON object.');
  }
  return value as Record<string, unknown>;
}

/** Spring's message for a missing required request parameter (a 400). */
export function requiredParam(query: URLSearchParams, name: string, javaType = 'String'): string {
  const value = query.get(name);
  if (value === null) throw badRequest(`Required ${javaType} parameter '${name}' is not present`);
  return value;
}

/** Parses an enum value the way Java's Enum.valueOf does: exact and case-sensitive, 400 otherwise. */
export function parseEnum<T extends string>(value: string, allowed: readonly T[], javaClass: string): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw badRequest(`No enum constant ${javaClass}.${value}`);
}

/** Optional enum query parameter with a default. */
export function enumParam<T extends string>(
  query: URLSearchParams,
  name: string,
  allowed: readonly T[],
  javaClass: string,
  fallback: T,
): T {
  const value = query.get(name);
  return value === null ? fallback : parseEnum(value, allowed, javaClass);
}

/** Optional non-negative integer query parameter with a default. */
export function integerParam(query: URLSearchParams, name: string, fallback: number): number {
  const value = query.get(name);
  if (value === null) return fallback;
  if (!/^\d+$/.test(value))
    throw badRequest(`Failed to convert value of type 'java.lang.String' to required type 'long'; For input string: "${value}"`);
  return Number(value);
}

export function booleanParam(query: URLSearchParams, name: string, fallback: boolean): boolean {
  const value = query.get(name);
  if (value === null) return fallback;
  if (/^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
  throw badRequest(`Failed to convert value of type 'java.lang.String' to required type 'boolean'; Invalid boolean value [${value}]`);
}

export interface BasicCredentials {
  user: string;
  password: string;
}

/**
 * Reads HTTP Basic credentials like Synapse's HttpAuthUtil: no header → undefined,
 * anything malformed → 401 with a reason that says what is wrong.
 */
export function basicCredentials(header: string | undefined): BasicCredentials | undefined {
  if (header === undefined || header.trim() === '') return undefined;
  const invalid = (detail: string): ApiError => new ApiError(401, `Invalid Authorization header for basic authentication (${detail})`);
  if (!header.startsWith('Basic ')) throw invalid('Missing "Basic " prefix');
  const encoded = header.slice('Basic '.length).trim();
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(encoded)) throw invalid('Malformed Base64 encoding');
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0 || colon >= decoded.length - 1) throw invalid('Decoded credentials should be colon separated');
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** Synapse dates: ISO-8601, UTC, milliseconds. */
export const isoDate = (epochMs: number): string => new Date(epochMs).toISOString();

export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  return address === '::1' || /^(::ffff:)?127\./.test(address);
}
