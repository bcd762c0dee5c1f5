// How failures reach the user: a short notification with the next action, the details in the
// log. Cancellation is not a failure and shows nothing.
import * as vscode from 'vscode';
import { notify } from './notify';
import { AccountEndedError } from '../core/accounts';
import { SynapseError } from '../core/synapse/errors';
import { dockerErrors } from '../host/dockerAccess';
import { redact } from '../core/util/redact';
import type { Services } from '../services';

export function isCancellation(error: unknown): boolean {
  return (
    (error instanceof SynapseError && error.kind === 'aborted') ||
    error instanceof AccountEndedError ||
    dockerErrors.isCancelled(error) ||
    (error instanceof Error && (error.name === 'AbortError' || error instanceof vscode.CancellationError))
  );
}

/**
 * The sentence a failure shows: "what: detail", or the core's own sentence alone when it already
 * is one whole sentence about the operation (every error of a Docker operation names it: "The push
 * of X failed: …"), so the title is not said twice.
 */
export function failureSentence(what: string, error: unknown): string {
  // Redacted here too: an error from dist/docker.js or a library was never seen by this bundle's redactor.
  const detail = redact(error instanceof Error ? error.message : String(error));
  return dockerErrors.isOperationError(error) ? detail : vscode.l10n.t('{0}: {1}', what, detail);
}

/**
 * Logs the failure and shows it; the "Show Log" button acts when clicked, nobody waits for it.
 * `after`: one more whole sentence (e.g. what stays locally).
 */
export function showError(services: Pick<Services, 'logger' | 'output'>, what: string, error: unknown, after?: string): void {
  if (isCancellation(error)) return;
  const detail = redact(error instanceof Error ? error.message : String(error));
  services.logger.error(`${what}: ${detail}`);
  const sentence = failureSentence(what, error);
  void notify('error', after ? vscode.l10n.t('{0} {1}', sentence, after) : sentence, {
    title: vscode.l10n.t('Show Log'),
    run: () => services.output.show(true),
  });
}

/** Bridges a VS Code cancellation token to the AbortSignal the core takes. */
export function abortSignalFor(cancellation: vscode.CancellationToken): AbortSignal {
  const controller = new AbortController();
  if (cancellation.isCancellationRequested) controller.abort();
  cancellation.onCancellationRequested(() => controller.abort());
  return controller.signal;
}
