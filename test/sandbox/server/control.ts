// Test controls of the admin API: latency, injected failures, dropped and stalled connections,
// canned answers (HTML, truncated JSON, huge bodies), Synapse's throttle, and the request
// statistics client tests use to prove their concurrency limits and count retries.
import type { ServerResponse } from 'node:http';
import { ApiError } from './http';

export const CONCURRENT_LIMIT = 3;
export const FREQUENCY_LIMIT = 600;
export const FREQUENCY_WINDOW_MS = 60_000;
const CONCURRENT_REASON = `Too many concurrent requests. Allowed ${CONCURRENT_LIMIT} concurrent connections at any time.`;
const FREQUENCY_REASON = `Requests are too frequent. Allowed ${FREQUENCY_LIMIT} requests every ${FREQUENCY_WINDOW_MS / 1000} seconds.`;

/** Realistic reasons for injected failures. */
const INJECTED_REASONS: Record<number, string> = {
  400: 'Invalid request (injected by the sandbox).',
  401: 'Invalid access token',
  403: 'You lack READ access to the requested entity.',
  404: 'The resource you are attempting to access cannot be found',
  409: 'An entity with the name already exists (injected by the sandbox).',
  412: 'Object has been updated since last read. Please get the latest value and try again.',
  429: FREQUENCY_REASON,
  500: 'An unexpected error occurred (injected by the sandbox).',
  502: 'Bad gateway (injected by the sandbox).',
  503: 'Synapse is down for maintenance.',
  504: 'Gateway timeout (injected by the sandbox).',
};

export const isApiPath = (path: string): boolean => path.startsWith('/repo/v1/') || path.startsWith('/docker/v1/');

interface Injection {
  remaining: number;
  pathPrefix?: string;
  status?: number;
  reason?: string;
}

/** Hold the request: send nothing, or (sendHeaders) a 200 with the start of a JSON body, then nothing more. */
export interface StallInjection extends Injection {
  sendHeaders: boolean;
}

/** Answer with exactly this status, content type and body; or `bodyBytes` generated while streaming. */
export interface RespondInjection extends Injection {
  status: number;
  contentType?: string;
  body?: string;
  bodyBytes?: number;
  /** Declare Content-Length (default true); false streams chunked. */
  contentLength: boolean;
}

/** The first bytes of a stalled body, and the filler of generated ones: valid JSON once finished. */
export const STALLED_BODY_START = '{"results":[';
const FILLER_CHUNK = 64 * 1024;

export interface RequestStat {
  method: string;
  /** The URL path, without the query string. */
  path: string;
  /** null when the credentials were rejected. */
  userId: string | null;
  /** 0 when the sandbox dropped the connection. */
  status: number;
  startedAt: number;
  endedAt: number | null;
}

export class TrafficControl {
  latencyMs = 0;
  throttleEnabled = false;
  private fails: Injection[] = [];
  private drops: Injection[] = [];
  private stalls: StallInjection[] = [];
  private responds: RespondInjection[] = [];
  /** Responses held by a stall, ended on reset so no test leaves a hung socket behind. */
  private readonly held = new Set<ServerResponse>();
  private requests: RequestStat[] = [];
  private readonly inFlight = new Map<string, number>();
  private maxConcurrent = new Map<string, number>();
  /** Throttle state: admitted requests holding a slot, and recent request times, per user. */
  private readonly slots = new Map<string, number>();
  private readonly recent = new Map<string, number[]>();

  reset(): void {
    this.latencyMs = 0;
    this.throttleEnabled = false;
    this.fails = [];
    this.drops = [];
    this.stalls = [];
    this.responds = [];
    for (const res of this.held) res.destroy();
    this.held.clear();
    this.recent.clear();
    this.resetStats();
  }

  resetStats(): void {
    this.requests = [];
    this.maxConcurrent = new Map([...this.inFlight].filter(([, count]) => count > 0));
  }

  /** count 0 clears the pending failures. */
  addFail(injection: Injection): void {
    if (injection.remaining === 0) this.fails = [];
    else this.fails.push(injection);
  }

  addDrop(injection: Injection): void {
    if (injection.remaining === 0) this.drops = [];
    else this.drops.push(injection);
  }

  addStall(injection: StallInjection): void {
    if (injection.remaining === 0) this.stalls = [];
    else this.stalls.push(injection);
  }

  addRespond(injection: RespondInjection): void {
    if (injection.remaining === 0) this.responds = [];
    else this.responds.push(injection);
  }

  /**
   * Stalls the request if a stall is pending (consumes it): resolves with status 0 once the
   * client goes away (or reset ends it); undefined when no stall applies.
   */
  stall(path: string, res: ServerResponse): Promise<number> | undefined {
    const injection = this.take(this.stalls, path);
    if (!injection) return undefined;
    this.held.add(res);
    if (injection.sendHeaders) {
      res.writeHead(200, { 'Content-Type': 'application/json;charset=UTF-8' });
      res.write(STALLED_BODY_START);
    }
    return new Promise<number>((resolve) => {
      res.once('close', () => {
        this.held.delete(res);
        resolve(injection.sendHeaders ? 200 : 0);
      });
    });
  }

  /** Sends the canned answer if one is pending (consumes it) and resolves with its status once written. */
  respond(path: string, res: ServerResponse): Promise<number> | undefined {
    const injection = this.take(this.responds, path);
    if (!injection) return undefined;
    return sendCanned(res, injection).then(() => injection.status);
  }

  /** The injected failure for this request, if one is pending (consumes it). */
  takeFail(path: string): ApiError | undefined {
    const injection = this.take(this.fails, path);
    if (!injection) return undefined;
    const status = injection.status ?? 500;
    return new ApiError(status, injection.reason ?? INJECTED_REASONS[status] ?? `Injected failure (HTTP ${status}).`);
  }

  takeDrop(path: string): boolean {
    return this.take(this.drops, path) !== undefined;
  }

  private take<T extends Injection>(queue: T[], path: string): T | undefined {
    const injection = queue.find(
      (candidate) =>
        candidate.remaining > 0 && (candidate.pathPrefix === undefined ? isApiPath(path) : path.startsWith(candidate.pathPrefix)),
    );
    if (injection) injection.remaining--;
    return injection;
  }

  /** Records a request and counts it in flight for its user. */
  begin(method: string, path: string, userId: string | null): RequestStat {
    const stat: RequestStat = { method, path, userId, status: 0, startedAt: Date.now(), endedAt: null };
    this.requests.push(stat);
    if (userId !== null) {
      const now = (this.inFlight.get(userId) ?? 0) + 1;
      this.inFlight.set(userId, now);
      this.maxConcurrent.set(userId, Math.max(now, this.maxConcurrent.get(userId) ?? 0));
    }
    return stat;
  }

  end(stat: RequestStat, status: number): void {
    if (stat.endedAt !== null) return;
    stat.status = status;
    stat.endedAt = Date.now();
    if (stat.userId !== null) this.inFlight.set(stat.userId, (this.inFlight.get(stat.userId) ?? 1) - 1);
  }

  /**
   * Synapse's throttle filters for one signed-in user: a slot among 3 concurrent ones, then 600 a minute.
   * Returns a release function when admitted, or the 429 to answer with.
   */
  admit(userId: string): { release: () => void } | { rejected: ApiError } {
    const admitted = { release: () => undefined };
    if (!this.throttleEnabled) return admitted;
    const held = this.slots.get(userId) ?? 0;
    if (held >= CONCURRENT_LIMIT) return { rejected: new ApiError(429, CONCURRENT_REASON) };
    const now = Date.now();
    const times = (this.recent.get(userId) ?? []).filter((time) => time > now - FREQUENCY_WINDOW_MS);
    times.push(now);
    this.recent.set(userId, times);
    if (times.length > FREQUENCY_LIMIT) return { rejected: new ApiError(429, FREQUENCY_REASON) };
    this.slots.set(userId, held + 1);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.slots.set(userId, (this.slots.get(userId) ?? 1) - 1);
      },
    };
  }

  stats(): { requests: RequestStat[]; maxConcurrentByUser: Record<string, number> } {
    return { requests: this.requests.map((stat) => ({ ...stat })), maxConcurrentByUser: Object.fromEntries(this.maxConcurrent) };
  }
}

/** Writes a canned answer; a generated body is streamed with backpressure, never held whole. */
async function sendCanned(res: ServerResponse, injection: RespondInjection): Promise<void> {
  const headers: Record<string, string | number> = {};
  if (injection.contentType !== undefined) headers['Content-Type'] = injection.contentType;
  if (injection.bodyBytes === undefined) {
    const body = injection.body ?? '';
    if (injection.contentLength) headers['Content-Length'] = Buffer.byteLength(body);
    res.writeHead(injection.status, headers);
    res.end(body);
    return;
  }
  // {"results":["xxxx…"]} padded to exactly bodyBytes bytes (shorter sizes are plain filler).
  const total = injection.bodyBytes;
  const head = Buffer.from('{"results":["');
  const tail = Buffer.from('"]}');
  const framed = total >= head.length + tail.length;
  if (injection.contentLength) headers['Content-Length'] = total;
  res.writeHead(injection.status, headers);
  const filler = Buffer.alloc(FILLER_CHUNK, 'x');
  let remaining = total;
  let closed = false;
  res.once('close', () => {
    closed = true;
  });
  const write = async (chunk: Buffer): Promise<void> => {
    if (!res.write(chunk))
      await new Promise<void>((resolve) => {
        const done = () => {
          res.off('drain', done);
          res.off('close', done);
          resolve();
        };
        res.on('drain', done);
        res.on('close', done);
      });
  };
  if (framed) {
    await write(head);
    remaining -= head.length + tail.length;
  }
  while (remaining > 0 && !closed) {
    const size = Math.min(remaining, FILLER_CHUNK);
    await write(size === FILLER_CHUNK ? filler : filler.subarray(0, size));
    remaining -= size;
  }
  if (closed) return;
  if (framed) res.end(tail);
  else res.end();
}
