// Cancellation helpers built on plain AbortControllers and timers the caller holds.
// AbortSignal.timeout() is deliberately not used: on Node 20 a timeout signal that only
// AbortSignal.any() refers to can be garbage-collected together with its timer, so the
// deadline silently never fires (observed: a 1.5 s request still pending after 8 s).

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** A signal that aborts when a parent does or a timer fires; dispose() when the work ends. */
export interface AbortScope {
  readonly signal: AbortSignal;
  /** Clears the timer and detaches from the parents (idempotent). */
  dispose(): void;
}

export interface AbortScopeOptions {
  /** Parents; undefined entries are ignored. Aborting a parent aborts the scope with its reason. */
  signals?: ReadonlyArray<AbortSignal | undefined>;
  /** Abort after this many ms (a real setTimeout, which the event loop holds until it fires or is cleared). */
  timeoutMs?: number;
  /** The reason used when the timer fires. */
  timeoutReason?: () => unknown;
}

export function abortScope(options: AbortScopeOptions = {}): AbortScope {
  const controller = new AbortController();
  const parents = (options.signals ?? []).filter((s): s is AbortSignal => s !== undefined);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const listeners: Array<[AbortSignal, () => void]> = [];
  const dispose = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    for (const [parent, listener] of listeners.splice(0)) parent.removeEventListener('abort', listener);
  };
  const abort = (reason: unknown) => {
    dispose();
    if (!controller.signal.aborted) controller.abort(reason);
  };
  for (const parent of parents) {
    if (parent.aborted) {
      abort(parent.reason);
      break;
    }
    const listener = () => abort(parent.reason);
    parent.addEventListener('abort', listener, { once: true });
    listeners.push([parent, listener]);
  }
  if (!controller.signal.aborted && options.timeoutMs !== undefined) {
    const reason = options.timeoutReason ?? (() => new DOMException('The operation timed out.', 'TimeoutError'));
    timer = setTimeout(() => abort(reason()), Math.max(0, options.timeoutMs));
  }
  return { signal: controller.signal, dispose };
}

/**
 * A signal that aborts when any of the given ones does (undefined entries are ignored). Unlike
 * AbortSignal.any, the result is kept alive by listeners on its parents, never collected early.
 * For a timeout, or to detach from long-lived parents, use abortScope and dispose it.
 */
export function anySignal(...signals: Array<AbortSignal | undefined>): AbortSignal {
  return abortScope({ signals }).signal;
}

/** Rejects with the signal's reason when it aborts (never resolves); for racing work against a scope. */
export function rejectOnAbort(signal: AbortSignal): Promise<never> {
  return new Promise<never>((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}
