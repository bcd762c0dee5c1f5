// How failures reach the user: a short notification with the next action, the details in the
// log. Cancellation is not a failure and shows nothing.
import * as vscode from 'vscode';
import { notify } from './notify';
import { SynapseError } from '../core/synapse/errors';
import { redact } from '../core/util/redact';
import { CommandServices } from '../commands/command';

export function isCancellation(error: unknown): boolean {
  return (
    (error instanceof SynapseError && error.kind === 'aborted') ||
    (error as { cancelled?: unknown })?.cancelled === true || // the Docker core's DockerCancelledError
    (error instanceof Error && (error.name === 'AbortError' || error instanceof vscode.CancellationError))
  );
}

/** Logs the failure and shows it; the "Show Log" button acts when clicked, nobody waits for it. */
export function showError(services: Pick<CommandServices, 'logger' | 'output'>, what: string, error: unknown): void {
  if (isCancellation(error)) return;
  // Redacted here too: an error from dist/docker.js or a library was never seen by this bundle's redactor.
  const detail = redact(error instanceof Error ? error.message : String(error));
  services.logger.error(`${what}: ${detail}`);
  void notify('error', vscode.l10n.t('{0}: {1}', what, detail), { title: vscode.l10n.t('Show Log'), run: () => services.output.show(true) });
}

/** Bridges a VS Code cancellation token to the AbortSignal the core takes. */
export function abortSignalFor(cancellation: vscode.CancellationToken): AbortSignal {
  const controller = new AbortController();
  if (cancellation.isCancellationRequested) controller.abort();
  cancellation.onCancellationRequested(() => controller.abort());
  return controller.signal;
}
