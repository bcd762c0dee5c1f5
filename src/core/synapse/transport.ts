// Sends Synapse requests the way a careful client should: bearer token, at most 3 in flight
// per user, bounded retries with backoff and jitter on 429/5xx/connection errors, a timeout,
// and cancellation through an AbortSignal.
import { createHash } from 'node:crypto';
import { ConcurrencyLimiter } from '../util/limiter';
import { anySignal, sleep } from '../util/abort';
import { Logger, silentLogger } from '../util/log';
import { abortedError, errorFromResponse, networkError, SynapseError } from './errors';
import { normalizeEndpoint } from './endpoint';

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
  /** Per attempt; a slow answer counts as a connection error and is retried. */
  timeoutMs?: number;
  logger?: Logger;
  userAgent?: string;
}

export interface RequestOptions {
  method?: 'GET' | 'POST';
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  signal?: AbortSignal;
}

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
  private readonly logger: Logger;
  private readonly userAgent: string;
  private readonly limiter: ConcurrencyLimiter;

  constructor(options: TransportOptions) {
    this.endpoint = normalizeEndpoint(options.endpoint);
    this.token = options.token;
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.timeoutMs = options.timeoutMs ?? 30_000;
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
    for (let attempt = 0; ; attempt++) {
      if (options.signal?.aborted) throw abortedError();
      try {
        return await this.limiter.run(() => this.attempt<T>(method, url, path, options), options.signal);
      } catch (error) {
        const failure = this.asSynapseError(error, method, path, options.signal);
        if (!failure.retryable || attempt >= this.retry.maxRetries) throw failure;
        const delay = this.backoff(attempt, failure.kind === 'throttled');
        this.logger.warn(`${failure.message} — retry ${attempt + 1}/${this.retry.maxRetries} in ${delay} ms`);
        try {
          await sleep(delay, options.signal);
        } catch {
          throw abortedError();
        }
      }
    }
  }

  private async attempt<T>(method: string, url: string, path: string, options: RequestOptions): Promise<T> {
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
      signal: anySignal(options.signal, AbortSignal.timeout(this.timeoutMs)),
    });
    const text = await response.text();
    this.logger.trace(`${method} ${path} → ${response.status} in ${Date.now() - started} ms`);
    if (!response.ok) throw errorFromResponse(response.status, method, path, text);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  private asSynapseError(error: unknown, method: string, path: string, signal?: AbortSignal): SynapseError {
    if (error instanceof SynapseError) return error;
    if (signal?.aborted) return abortedError();
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
