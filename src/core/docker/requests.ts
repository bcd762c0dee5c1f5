// Single requests to the engine: a timeout on every answer, and the caller's AbortSignal.
import * as l10n from '@vscode/l10n';
import { DockerEndpoint } from './endpoint';
import { explainConnectionError } from './engine';
import { DockerOperation, DockerOperationError, DockerCancelledError } from './errors';

/** How long the engine may take to start answering a quick request (list, inspect). */
export const QUICK_ANSWER_TIMEOUT_MS = 15_000;
/** How long it may take to start a push or pull, or to answer a login: it talks to the registry first. */
export const REGISTRY_ANSWER_TIMEOUT_MS = 30_000;

/**
 * The client-side options of one dockerode call. dockerode hands `abortSignal` to docker-modem
 * as the request's own signal, and docker-modem deletes it from the options before they become
 * the query string or the JSON body, but only when it is set: an `abortSignal: undefined` key
 * reaches the wire as `?abortSignal=`. So the key is only ever present with a signal.
 */
export function withSignal<T extends object>(options: T, signal: AbortSignal | undefined): T {
  return signal ? { ...options, abortSignal: signal } : { ...options };
}

export class AnswerTimeout extends Error {
  constructor() {
    super('timeout');
    this.name = 'AnswerTimeout';
  }
}

/**
 * Runs one engine request under its own AbortSignal, aborted with the caller's or when the engine
 * has not answered within `timeoutMs`; then it rejects with the "did not answer in time" error.
 * A plain timer keeps the deadline: AbortSignal.timeout()/any() timers can be lost to garbage
 * collection (Node 20). For a stream, the deadline covers the wait for the response only.
 */
export async function answerWithin<T>(
  operation: DockerOperation,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  endpoint: DockerEndpoint | undefined,
  request: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  if (signal?.aborted) throw new DockerCancelledError(operation);
  const controller = new AbortController();
  let timedOut = false;
  const onAbort = () => controller.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new AnswerTimeout());
  }, timeoutMs);
  try {
    return await request(controller.signal);
  } catch (error) {
    if (signal?.aborted) throw new DockerCancelledError(operation);
    if (timedOut) {
      const timeout = Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' });
      throw endpoint
        ? explainConnectionError(timeout, endpoint)
        : new DockerOperationError(operation, l10n.t('The Docker engine did not answer in time.'), timeout.message);
    }
    throw error;
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}
