// What ends with an account: every push, pull, preflight and poll started for it. The session
// hands out one AbortSignal per account; it aborts with an AccountEndedError when the user signs
// out or another account (or endpoint) takes over, so work started for one user never runs on
// as, or is mistaken for, another's. Also: the client wrapper that tells the session when
// Synapse stops accepting the token (one owner of that state).
import * as l10n from '@vscode/l10n';
import type { SynapseClient } from './synapse/client';
import { SynapseError } from './synapse/errors';

export type AccountEndReason = 'signed-out' | 'switched';

/** Who an account is: the same user at the same endpoint is the same account, whatever token it uses. */
export interface AccountIdentity {
  endpoint: string;
  ownerId: string;
}

/**
 * Why work started for `previous` must stop when the session moves to `next`; undefined when it
 * may go on (nothing was signed in, or the same user signed in again).
 */
export function accountEndReason(previous: AccountIdentity | undefined, next: AccountIdentity | undefined): AccountEndReason | undefined {
  if (!previous) return undefined;
  if (!next) return 'signed-out';
  return previous.endpoint === next.endpoint && previous.ownerId === next.ownerId ? undefined : 'switched';
}

/** The abort reason of an account's signal. `cancelled` makes it a cancellation, not a failure. */
export class AccountEndedError extends Error {
  readonly cancelled = true;

  constructor(
    readonly reason: AccountEndReason,
    readonly userName: string,
  ) {
    super(
      reason === 'signed-out' ? l10n.t('{0} signed out of Synapse.', userName) : l10n.t('The Synapse account changed from {0}.', userName),
    );
    this.name = 'AccountEndedError';
  }
}

/** The AccountEndedError an aborted account signal carries, if that is why it aborted. */
export function accountEnded(signal: AbortSignal | undefined): AccountEndedError | undefined {
  return signal?.aborted && signal.reason instanceof AccountEndedError ? signal.reason : undefined;
}

/**
 * A signal that aborts when any of `signals` does, with that one's reason. Listener-based and
 * disposable: it holds no timer and nothing a garbage collection could drop.
 */
export function linkSignals(...signals: Array<AbortSignal | undefined>): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const sources = signals.filter((s): s is AbortSignal => s !== undefined);
  const listeners: Array<() => void> = [];
  const dispose = () => sources.forEach((source, i) => listeners[i] && source.removeEventListener('abort', listeners[i]));
  for (const source of sources) {
    if (source.aborted) {
      controller.abort(source.reason);
      break;
    }
    const onAbort = () => {
      dispose();
      controller.abort(source.reason);
    };
    listeners.push(onAbort);
    source.addEventListener('abort', onAbort, { once: true });
  }
  return { signal: controller.signal, dispose };
}

/** Runs `work` with a signal that aborts when any of `signals` does, and unhooks it afterwards. */
export async function whileLinked<T>(signals: Array<AbortSignal | undefined>, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const linked = linkSignals(...signals);
  try {
    return await work(linked.signal);
  } finally {
    linked.dispose();
  }
}

/** What the wrapped client tells its owner after each call: Synapse answered, or refused the token (401). */
export type TokenVerdict = 'accepted' | 'rejected';

/** Answers that show Synapse authenticated the token (it then judged the request itself). */
const AUTHENTICATED_KINDS: ReadonlySet<string> = new Set(['badRequest', 'forbidden', 'notFound', 'conflict']);

/**
 * The same client, reporting each call's verdict on the token: a 401 ('unauthenticated') is
 * 'rejected'; a success or a 400/403/404/409 is 'accepted'; network trouble, 5xx, throttling and
 * cancellation say nothing about the token. `call` numbers the calls in the order they started, so
 * an answer to a call older than a rejection can't undo it. Calls the client makes on itself
 * (paging, resolving headers) go through the wrapper too.
 */
export function reportingClient(client: SynapseClient, report: (verdict: TokenVerdict, call: number) => void): SynapseClient {
  const wrapped = new Map<PropertyKey, unknown>();
  let calls = 0;
  return new Proxy(client, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function' || property === 'constructor') return value;
      let wrapper = wrapped.get(property);
      if (!wrapper) {
        wrapper = function (this: unknown, ...args: unknown[]) {
          const call = ++calls;
          const result = (value as (...a: unknown[]) => unknown).apply(this, args);
          if (!(result instanceof Promise)) return result;
          return result.then(
            (answer) => {
              report('accepted', call);
              return answer;
            },
            (error: unknown) => {
              if (error instanceof SynapseError && error.kind === 'unauthenticated') report('rejected', call);
              else if (error instanceof SynapseError && AUTHENTICATED_KINDS.has(error.kind)) report('accepted', call);
              throw error;
            },
          );
        };
        wrapped.set(property, wrapper);
      }
      return wrapper;
    },
  });
}
