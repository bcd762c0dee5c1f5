// What a user does in the Submissions view: ask the queue to cancel a submission, open its
// challenge in Synapse.
import * as vscode from 'vscode';
import type { QueueNode, SubmissionNode } from '../core/challenges/nodes';
import { portalEntityUrl } from '../core/references';
import { SynapseError } from '../core/synapse/errors';
import type { Services } from '../services';
import { showError } from '../ui/errors';
import { notify } from '../ui/notify';

export function asSubmissionNode(value: unknown): SubmissionNode | undefined {
  return (value as SubmissionNode | undefined)?.kind === 'submission' ? (value as SubmissionNode) : undefined;
}

function asQueueNode(value: unknown): QueueNode | undefined {
  return (value as QueueNode | undefined)?.kind === 'queue' ? (value as QueueNode) : undefined;
}

/** Asks first (modal); then PUT …/cancellation and one status read so the view says "cancel requested". */
export async function cancelSubmission(services: Services, argument: unknown): Promise<boolean> {
  const node = asSubmissionNode(argument);
  if (!node) return false;
  const label = node.submission.name ?? node.submission.id;
  const cancel = vscode.l10n.t('Request Cancellation');
  const answer = await vscode.window.showWarningMessage(
    vscode.l10n.t('Ask the queue {0} to stop submission {1} ({2})?', node.evaluation.name, node.submission.id, label),
    {
      modal: true,
      detail: vscode.l10n.t(
        'The pipeline stops it when it next looks; it still counts toward your limit unless the queue marks it INVALID or REJECTED.',
      ),
    },
    cancel,
  );
  if (answer !== cancel) return false;
  try {
    await (await services.session.client()).evaluations.requestCancel(node.submission.id);
    services.logger.info(`Cancellation of submission ${node.submission.id} requested`);
    void notify('info', vscode.l10n.t('Cancellation of submission {0} requested.', node.submission.id));
    await services.submissions.refreshPending();
    return true;
  } catch (error) {
    if (error instanceof SynapseError && error.reason && error.status === 403) {
      void notify('error', vscode.l10n.t('Synapse refused to cancel submission {0}: {1}', node.submission.id, error.reason));
      return false;
    }
    showError(services, vscode.l10n.t('Cancel failed'), error);
    return false;
  }
}

/** The challenge project of a queue or submission, on the web site. */
export async function openChallenge(services: Services, argument: unknown): Promise<boolean> {
  const project = (asSubmissionNode(argument) ?? asQueueNode(argument))?.evaluation.contentSource;
  if (!project) return false;
  return vscode.env.openExternal(vscode.Uri.parse(portalEntityUrl(services.settings().portalUrl, project)));
}
