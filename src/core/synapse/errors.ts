// Typed errors for Synapse responses. Each keeps the server's own `reason` so the user sees
// what Synapse said, and none ever carries the request's token.
import * as l10n from '@vscode/l10n';
import { redact, redactOptional } from '../util/redact';
import { portalBase } from './endpoint';

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
  /** No answer within the per-attempt timeout (or the call's total deadline). */
  | 'timeout'
  /** A 2xx answer that is not what Synapse sends: not JSON, empty, too large, or the wrong shape. Never retried. */
  | 'badResponse'
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

  /** 403 because the user must accept Synapse's new terms of use first (AcceptTermsOfUseFilter): every call answers it. */
  get termsOfUseNotSigned(): boolean {
    return this.kind === 'forbidden' && /terms of use have not been signed/i.test(this.reason ?? '');
  }

  /** 403 because the token lacks an OAuth scope (rather than an ACL refusal). */
  get missingScope(): boolean {
    return this.kind === 'forbidden' && /lacks scope/i.test(this.reason ?? '');
  }

  get retryable(): boolean {
    return (
      this.kind === 'throttled' ||
      this.kind === 'unavailable' ||
      this.kind === 'server' ||
      this.kind === 'network' ||
      this.kind === 'timeout'
    );
  }
}

/** The Synapse web site, where a user accepts new terms of use (when no portal setting is at hand). */
export const DEFAULT_PORTAL_URL = 'https://www.synapse.org';

/** What a 403 "Terms of use have not been signed." means, in one sentence. */
export function termsOfUseProblem(): string {
  return l10n.t('Synapse refuses every request until you accept its new terms of use.');
}

/** What to do about it: the fix is on the web site, not in the token or the sharing settings. */
export function termsOfUseFix(portalUrl: string = DEFAULT_PORTAL_URL): string {
  return l10n.t({
    message: 'Sign in on {0}, accept the new terms, then try again.',
    args: [portalBase(portalUrl)],
    comment: ['{0} is the Synapse web site, e.g. https://www.synapse.org.'],
  });
}

/** Problem and fix together, for places that show one message (sign-in, the tree). */
export function termsOfUseSentence(portalUrl: string = DEFAULT_PORTAL_URL): string {
  return l10n.t('{0} {1}', termsOfUseProblem(), termsOfUseFix(portalUrl));
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
          message: "Couldn't reach Synapse for {0} {1}: {2} ({3})",
          args: [method, path, nested.code, nested.message],
          comment: [
            '{0}: the HTTP method (GET, POST). {1}: the request path. {2}: a system error code such as ECONNREFUSED. {3}: its message.',
          ],
        })
      : l10n.t({
          message: "Couldn't reach Synapse for {0} {1}: {2}",
          args: [method, path, describeCause(cause)],
          comment: ['{0}: the HTTP method (GET, POST). {1}: the request path. {2}: why, as the system said it (an error code or message).'],
        });
  return new SynapseError('network', message);
}

/** Seconds for messages: 30, 1.5. */
function seconds(ms: number): number {
  return Math.round(ms / 100) / 10;
}

export function timeoutError(method: string, path: string, timeoutMs: number): SynapseError {
  return new SynapseError(
    'timeout',
    l10n.t({
      message: 'Synapse did not answer {0} {1} within {2} s.',
      args: [method, path, seconds(timeoutMs)],
      comment: ['{0}: the HTTP method (GET, POST). {1}: the request path. {2}: the time limit in seconds.'],
    }),
  );
}

/** A 2xx answer whose body does not parse as JSON: a proxy's page, a truncated answer. */
export function notJsonError(method: string, path: string, status: number, contentType: string, excerpt: string): SynapseError {
  return new SynapseError(
    'badResponse',
    l10n.t({
      message: 'Synapse (or a proxy in between) answered {0} {1} with something that is not JSON (HTTP {2}, content type {3}): "{4}".',
      args: [method, path, status, contentType || 'none', excerpt],
      comment: [
        '{0}: the HTTP method (GET, POST). {1}: the request path. {2}: the HTTP status code. {3}: the Content-Type header, or "none".',
        '{4}: the start of the answer, shortened.',
      ],
    }),
    status,
  );
}

export function emptyAnswerError(method: string, path: string, status: number): SynapseError {
  return new SynapseError(
    'badResponse',
    l10n.t({
      message: 'Synapse (or a proxy in between) answered {0} {1} with an empty body (HTTP {2}) where JSON was expected.',
      args: [method, path, status],
      comment: ['{0}: the HTTP method (GET, POST). {1}: the request path. {2}: the HTTP status code.'],
    }),
    status,
  );
}

export function tooLargeError(method: string, path: string, status: number, limitBytes: number): SynapseError {
  return new SynapseError(
    'badResponse',
    l10n.t({
      message: 'Synapse (or a proxy in between) answered {0} {1} with more than {2} MiB; the answer was not read.',
      args: [method, path, Math.round(limitBytes / 1024 / 102.4) / 10],
      comment: ['{0}: the HTTP method (GET, POST). {1}: the request path. {2}: the size limit in MiB.'],
    }),
    status,
  );
}

/** What a field should have been; one whole sentence per expectation, for translators. */
export type ShapeExpectation = 'object' | 'list' | 'string' | 'boolean' | 'number';

export function shapeError(method: string, path: string, status: number, field: string, expected: ShapeExpectation): SynapseError {
  const comment = ['{0}: the HTTP method (GET, POST). {1}: the request path. {2}: the JSON field, e.g. results or page[3].id.'];
  const args = [method, path, field];
  let message: string;
  switch (expected) {
    case 'object':
      message = field
        ? l10n.t({ message: 'Synapse answered {0} {1} with an unexpected shape: {2} is not an object.', args, comment })
        : l10n.t({
            message: 'Synapse answered {0} {1} with an unexpected shape: the answer is not a JSON object.',
            args: [method, path],
            comment: ['{0}: the HTTP method (GET, POST). {1}: the request path.'],
          });
      break;
    case 'list':
      message = l10n.t({ message: 'Synapse answered {0} {1} with an unexpected shape: {2} is not a list.', args, comment });
      break;
    case 'string':
      message = l10n.t({ message: 'Synapse answered {0} {1} with an unexpected shape: {2} is not a string.', args, comment });
      break;
    case 'boolean':
      message = l10n.t({ message: 'Synapse answered {0} {1} with an unexpected shape: {2} is not true or false.', args, comment });
      break;
    case 'number':
      message = l10n.t({ message: 'Synapse answered {0} {1} with an unexpected shape: {2} is not a number.', args, comment });
      break;
  }
  return new SynapseError('badResponse', message, status);
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
