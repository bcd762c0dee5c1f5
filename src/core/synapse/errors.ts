// Typed errors for Synapse responses. Each keeps the server's own `reason` so the user sees
// what Synapse said, and none ever carries the request's token.

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
  constructor(
    readonly kind: SynapseErrorKind,
    message: string,
    /** The HTTP status, or undefined for network errors and cancellation. */
    readonly status?: number,
    /** The server's `reason`, verbatim. */
    readonly reason?: string,
    readonly errorCode?: string,
  ) {
    super(message);
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
  const message = `Synapse ${method} ${path} failed (${status}): ${reason ?? 'no reason given'}`;
  return new SynapseError(kind, message, status, reason, errorCode);
}

export function networkError(method: string, path: string, cause: unknown): SynapseError {
  const detail = describeCause(cause);
  return new SynapseError('network', `Couldn't reach Synapse for ${method} ${path}: ${detail}`);
}

export function abortedError(): SynapseError {
  return new SynapseError('aborted', 'The Synapse request was cancelled.');
}

function describeCause(cause: unknown): string {
  const nested = (cause as { cause?: { code?: string; message?: string } })?.cause;
  if (nested?.code) return `${nested.code}${nested.message ? ` (${nested.message})` : ''}`;
  if (cause instanceof Error) return cause.message;
  return String(cause);
}
