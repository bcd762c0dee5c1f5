// Typed errors for Synapse responses. Each keeps the server's own `reason` so the user sees
// what Synapse said, and none ever carries the request's token.
import * as l10n from '@vscode/l10n';
import { redact, redactOptional } from '../util/redact';

export type SynapseErrorKind =
  | 'badRequest'
  | 'unauthenticated'
  | 'forbidden'
  | 'notFound'
  | 'conflict'
  | 'throttled'
  | 'unavailable'
  | 'server'
  | 'network'
  | 'aborted';

export class SynapseError extends Error {
  /** The server's `reason`, verbatim but redacted. */
  readonly reason?: string;

  constructor(
    readonly kind: SynapseErrorKind,
    message: string,
    /** The HTTP status, or undefined for network errors and cancellation. */
    readonly status?: number,
    reason?: string,
    readonly errorCode?: string,
  ) {
    // A server (or undici, quoting a header) may echo the token: redacted before anyone reads it.
    super(redact(message));
    this.reason = redactOptional(reason);
    this.name = 'SynapseError';
  }

  /** 404 because the entity (or its parent) is in the trash can, not because it never existed. */
  get inTrash(): boolean {
    return this.kind === 'notFound' && /in trash can/i.test(this.reason ?? '');
  }

  /** 403 because the token lacks an OAuth scope (rather than an ACL refusal). */
  get missingScope(): boolean {
    return this.kind === 'forbidden' && /lacks scope/i.test(this.reason ?? '');
  }

  get retryable(): boolean {
    return this.kind === 'throttled' || this.kind === 'unavailable' || this.kind === 'server' || this.kind === 'network';
  }
}

const KIND_BY_STATUS: Record<number, SynapseErrorKind> = {
  400: 'badRequest',
  401: 'unauthenticated',
  403: 'forbidden',
  404: 'notFound',
  409: 'conflict',
  412: 'conflict',
  429: 'throttled',
  503: 'unavailable',
};

/** Builds the error for a non-2xx response from its status and (possibly non-JSON) body. */
export function errorFromResponse(status: number, method: string, path: string, bodyText: string): SynapseError {
  let reason: string | undefined;
  let errorCode: string | undefined;
  try {
    const body = JSON.parse(bodyText) as { reason?: unknown; errorCode?: unknown };
    if (typeof body.reason === 'string') reason = body.reason;
    if (typeof body.errorCode === 'string') errorCode = body.errorCode;
  } catch {
    // Not JSON (a proxy's HTML page, say): keep a short excerpt as the reason.
    reason = bodyText.trim().slice(0, 200) || undefined;
  }
  const kind = KIND_BY_STATUS[status] ?? (status >= 500 ? 'server' : 'badRequest');
  const message =
    reason !== undefined
      ? l10n.t({
          message: 'Synapse {0} {1} failed ({2}): {3}',
          args: [method, path, status, reason],
          comment: ['{0}: the HTTP method (GET, POST). {1}: the request path. {2}: the HTTP status code. {3}: the reason Synapse gave.'],
        })
      : l10n.t({
          message: 'Synapse {0} {1} failed ({2}): no reason given',
          args: [method, path, status],
          comment: ['{0}: the HTTP method (GET, POST). {1}: the request path. {2}: the HTTP status code.'],
        });
  return new SynapseError(kind, message, status, reason, errorCode);
}

export function networkError(method: string, path: string, cause: unknown): SynapseError {
  const nested = nestedCause(cause);
  // A system error code with its message ("ECONNREFUSED (connect ECONNREFUSED 127.0.0.1:1)"), or one detail alone.
  const message =
    nested?.code && nested.message
      ? l10n.t({
          message: 'Couldn\'t reach Synapse for {0} {1}: {2} ({3})',
          args: [method, path, nested.code, nested.message],
          comment: ['{0}: the HTTP method (GET, POST). {1}: the request path. {2}: a system error code such as ECONNREFUSED. {3}: its message.'],
        })
      : l10n.t({
          message: 'Couldn\'t reach Synapse for {0} {1}: {2}',
          args: [method, path, describeCause(cause)],
          comment: ['{0}: the HTTP method (GET, POST). {1}: the request path. {2}: why, as the system said it (an error code or message).'],
        });
  return new SynapseError('network', message);
}

export function abortedError(): SynapseError {
  return new SynapseError('aborted', l10n.t('The Synapse request was cancelled.'));
}

function nestedCause(cause: unknown): { code?: string; message?: string } | undefined {
  return (cause as { cause?: { code?: string; message?: string } })?.cause;
}

/** The one detail to show when there is no code-and-message pair (networkError handles that one). */
function describeCause(cause: unknown): string {
  const nested = nestedCause(cause);
  if (nested?.code) return nested.code;
  if (cause instanceof Error) return cause.message;
  return String(cause);
}
