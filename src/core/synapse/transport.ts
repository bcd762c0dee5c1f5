// Sends Synapse requests the way a careful client should: bearer token, at most 3 in flight
// per user, bounded retries with backoff and jitter on 429/5xx/connection errors/timeouts, a
// timeout per attempt that covers reading the body, a total deadline across retries, a cap on
// the body's size, and cancellation through an AbortSignal. A 2xx answer must be JSON of the
// expected shape; anything else is a 'badResponse' error that is never retried.
import { createHash } from 'node:crypto';
import { ConcurrencyLimiter } from '../util/limiter';
import { abortScope, rejectOnAbort, sleep } from '../util/abort';
import { Logger, silentLogger } from '../util/log';
import { redact } from '../util/redact';
import {
  abortedError,
  emptyAnswerError,
  errorFromResponse,
  networkError,
  notJsonError,
  shapeError,
  SynapseError,
  timeoutError,
  tooLargeError,
} from './errors';
import { normalizeEndpoint } from './endpoint';
import { ShapeProblem } from './shape';

export interface RetryPolicy {
  /** Retries after the first attempt. */
  maxRetries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Synapse sends no Retry-After on 429, so throttling starts from a longer wait. */
  throttledBaseDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxRetries: 5, baseDelayMs: 500, maxDelayMs: 10_000, throttledBaseDelayMs: 2_000 };

/** Synapse allows 3 concurrent requests per user. */
export const SYNAPSE_MAX_CONCURRENT = 3;

export interface TransportOptions {
  endpoint: string;
  token?: string;
  retry?: Partial<RetryPolicy>;
  /** Per attempt, from sending to the last byte of the body; a timed-out attempt is retried within the deadline. */
  timeoutMs?: number;
  /** For the whole call: waiting for a slot, every attempt and every backoff. */
  deadlineMs?: number;
  /** The largest body read; a larger answer is refused unread. */
  maxBodyBytes?: number;
  logger?: Logger;
  userAgent?: string;
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  signal?: AbortSignal;
  /** Checks the parsed JSON (throwing ShapeProblem) and returns the typed answer. */
  parse?: (body: unknown) => unknown;
  /** The endpoint answers 204 No Content (DELETE /entity/{id}/acl): an empty 204 is the answer, anything else is not. */
  noContent?: boolean;
  /**
   * A write that must not be sent twice (a submission, an ACL change: it may have landed before a
   * timeout, a dropped connection or a proxy's 503): only a 429, which Synapse's throttle answers
   * before the request reaches a controller, is retried.
   */
  notIdempotent?: boolean;
}

export const DEFAULT_TIMEOUT_MS = 30_000;
/** Two full attempts, or several quick ones with backoff: no call takes minutes. */
export const DEFAULT_DEADLINE_MS = 60_000;
/** The largest Synapse answer this extension reads is a page of 50 entity headers (a few tens of KB). */
export const DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024;
/** Error answers are only read for their reason. */
const MAX_ERROR_BODY_BYTES = 64 * 1024;
const EXCERPT_CHARS = 120;

// Limiters are shared by everyone using the same token against the same endpoint, since the
// server counts per user, not per client object.
const limiters = new Map<string, ConcurrencyLimiter>();

function limiterFor(endpoint: string, token: string | undefined): ConcurrencyLimiter {
  const key = `${endpoint}|${token ? createHash('sha256').update(token).digest('hex') : 'anonymous'}`;
  let limiter = limiters.get(key);
  if (!limiter) {
    limiter = new ConcurrencyLimiter(SYNAPSE_MAX_CONCURRENT);
    limiters.set(key, limiter);
  }
  return limiter;
}

export class SynapseTransport {
  readonly endpoint: string;
  private readonly token?: string;
  private readonly retry: RetryPolicy;
  private readonly timeoutMs: number;
  private readonly deadlineMs: number;
  private readonly maxBodyBytes: number;
  private readonly logger: Logger;
  private readonly userAgent: string;
  private readonly limiter: ConcurrencyLimiter;

  constructor(options: TransportOptions) {
    this.endpoint = normalizeEndpoint(options.endpoint);
    this.token = options.token;
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.deadlineMs = options.deadlineMs ?? Math.max(DEFAULT_DEADLINE_MS, this.timeoutMs);
    this.maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    this.logger = options.logger ?? silentLogger;
    this.userAgent = options.userAgent ?? 'synapse-docker-vscode';
    this.limiter = limiterFor(this.endpoint, this.token);
  }

  /** Requests in flight right now for this user (all clients sharing the token). */
  get inFlight(): number {
    return this.limiter.active;
  }

  async request<T>(path: string, options: RequestOptions = {}): Promise<T> {
    const method = options.method ?? 'GET';
    const url = this.urlFor(path, options.query);
    const deadlineAt = Date.now() + this.deadlineMs;
    // The whole call, slot waiting included, ends at the deadline; the timer is ours, so it fires.
    const call = abortScope({
      signals: [options.signal],
      timeoutMs: this.deadlineMs,
      timeoutReason: () => timeoutError(method, path, this.deadlineMs),
    });
    try {
      for (let attempt = 0; ; attempt++) {
        if (options.signal?.aborted) throw abortedError();
        try {
          return await this.limiter.run(() => this.attempt<T>(method, url, path, options, call.signal, deadlineAt), call.signal);
        } catch (error) {
          const failure = this.asSynapseError(error, method, path, options.signal, call.signal);
          const safeToRepeat = !options.notIdempotent || failure.kind === 'throttled';
          if (!failure.retryable || !safeToRepeat || attempt >= this.retry.maxRetries) throw failure;
          const delay = this.backoff(attempt, failure.kind === 'throttled');
          // A retry that could not even start before the deadline is not worth the wait.
          if (Date.now() + delay >= deadlineAt) throw failure.kind === 'timeout' ? timeoutError(method, path, this.deadlineMs) : failure;
          this.logger.warn(`${failure.message} — retry ${attempt + 1}/${this.retry.maxRetries} in ${delay} ms`);
          try {
            await sleep(delay, call.signal);
          } catch {
            throw options.signal?.aborted ? abortedError() : failure;
          }
        }
      }
    } finally {
      call.dispose();
    }
  }

  /** One attempt: settles at the latest when its timer fires, so the limiter's slot is always given back. */
  private async attempt<T>(
    method: string,
    url: string,
    path: string,
    options: RequestOptions,
    callSignal: AbortSignal,
    deadlineAt: number,
  ): Promise<T> {
    const limit = Math.max(1, Math.min(this.timeoutMs, deadlineAt - Date.now()));
    // An attempt cut short by the deadline reports the deadline, the limit the user waited for.
    const reported = limit < this.timeoutMs ? this.deadlineMs : this.timeoutMs;
    const scope = abortScope({ signals: [callSignal], timeoutMs: limit, timeoutReason: () => timeoutError(method, path, reported) });
    try {
      return await Promise.race([this.exchange<T>(method, url, path, options, scope.signal), rejectOnAbort(scope.signal)]);
    } finally {
      scope.dispose();
    }
  }

  private async exchange<T>(method: string, url: string, path: string, options: RequestOptions, signal: AbortSignal): Promise<T> {
    const headers: Record<string, string> = {
      Accept: 'application/json; charset=UTF-8',
      'User-Agent': this.userAgent,
    };
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    if (options.body !== undefined) headers['Content-Type'] = 'application/json; charset=UTF-8';
    const started = Date.now();
    const response = await fetch(url, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal,
    });
    const contentType = response.headers.get('content-type') ?? '';
    if (!response.ok) {
      const { text } = await readCapped(response, MAX_ERROR_BODY_BYTES, 'truncate');
      this.logger.trace(`${method} ${path} → ${response.status} in ${Date.now() - started} ms`);
      throw errorFromResponse(response.status, method, path, text);
    }
    if (options.noContent && response.status === 204) {
      await response.body?.cancel().catch(() => undefined);
      this.logger.trace(`${method} ${path} → 204 in ${Date.now() - started} ms`);
      return undefined as T;
    }
    const { text, tooLarge } = await readCapped(response, this.maxBodyBytes, 'refuse');
    this.logger.trace(`${method} ${path} → ${response.status} in ${Date.now() - started} ms`);
    if (tooLarge) throw tooLargeError(method, path, response.status, this.maxBodyBytes);
    if (options.noContent) {
      if (response.status === 204 && text.trim() === '') return undefined as T;
      throw notJsonError(method, path, response.status, contentType, this.excerpt(text) || '—');
    }
    // Every endpoint used answers JSON; an empty answer (or a 204) is as wrong as HTML.
    if (text.trim() === '') throw emptyAnswerError(method, path, response.status);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      // JSON is judged by parsing, not by the label: a valid JSON body with another content type is accepted.
      throw notJsonError(method, path, response.status, contentType, this.excerpt(text));
    }
    if (!options.parse) return value as T;
    try {
      return options.parse(value) as T;
    } catch (error) {
      if (error instanceof ShapeProblem) throw shapeError(method, path, response.status, error.field, error.expected);
      throw error;
    }
  }

  /** The start of an answer for an error message: one line, no control characters, no token. */
  private excerpt(text: string): string {
    let excerpt = text.replace(/[\u0000-\u001f\u007f\s]+/g, ' ').trim();
    excerpt = redact(excerpt, [this.token]);
    return excerpt.length > EXCERPT_CHARS ? `${excerpt.slice(0, EXCERPT_CHARS)}…` : excerpt;
  }

  private asSynapseError(error: unknown, method: string, path: string, caller: AbortSignal | undefined, call: AbortSignal): SynapseError {
    if (caller?.aborted) return abortedError();
    if (error instanceof SynapseError) return error;
    // The deadline fired while waiting for a slot or inside fetch: its reason is the timeout error.
    if (call.aborted && call.reason instanceof SynapseError) return call.reason;
    return networkError(method, path, error);
  }

  /** Exponential backoff with ±50 % jitter, capped. */
  private backoff(attempt: number, throttled: boolean): number {
    const base = throttled ? this.retry.throttledBaseDelayMs : this.retry.baseDelayMs;
    const exponential = Math.min(this.retry.maxDelayMs, base * 2 ** attempt);
    return Math.round(exponential * (0.5 + Math.random()));
  }

  private urlFor(path: string, query?: RequestOptions['query']): string {
    const url = new URL(`${this.endpoint}${path}`);
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    return url.toString();
  }
}

/**
 * Reads a body up to `limit` bytes, streaming, so a huge answer is never held whole. Over the
 * limit: 'refuse' stops reading and reports it; 'truncate' keeps the first `limit` bytes.
 * A declared Content-Length over the limit is refused without reading anything.
 */
async function readCapped(response: Response, limit: number, over: 'refuse' | 'truncate'): Promise<{ text: string; tooLarge: boolean }> {
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (over === 'refuse' && Number.isFinite(declared) && declared > limit) {
    await response.body?.cancel().catch(() => undefined);
    return { text: '', tooLarge: true };
  }
  if (!response.body) return { text: '', tooLarge: false };
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (size + value.byteLength > limit) {
      await reader.cancel().catch(() => undefined);
      if (over === 'refuse') return { text: '', tooLarge: true };
      chunks.push(value.subarray(0, limit - size));
      size = limit;
      break;
    }
    chunks.push(value);
    size += value.byteLength;
  }
  return { text: Buffer.concat(chunks, size).toString('utf8'), tooLarge: false };
}
