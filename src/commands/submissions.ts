// The Submissions view's commands: refresh, cancel a submission, open its challenge in Synapse.
import * as vscode from 'vscode';
import { portalEntityUrl } from '../core/references';
import { SynapseError } from '../core/synapse/errors';
import type { SubmissionNode } from '../tree/submissions';
import { showError } from '../ui/errors';
import { notify } from '../ui/notify';
import { CommandDefinition } from './command';

function submissionNode(value: unknown): SubmissionNode | undefined {
  return (value as SubmissionNode | undefined)?.kind === 'submission' ? (value as SubmissionNode) : undefined;
}

export const refreshSubmissionsCommand: CommandDefinition = {
  id: 'synapseDocker.refreshSubmissions',
  run: (services) => services.submissions.refresh(),
};

export const cancelSubmissionCommand: CommandDefinition = {
  id: 'synapseDocker.cancelSubmission',
  run: async (services, argument?: unknown) => {
    const node = submissionNode(argument);
    if (!node) return false;
    const label = node.submission.name ?? node.submission.id;
    const cancel = vscode.l10n.t('Request Cancellation');
    const answer = await vscode.window.showWarningMessage(
      vscode.l10n.t('Ask the queue {0} to stop submission {1} ({2})?', node.evaluation.name, node.submission.id, label),
      { modal: true, detail: vscode.l10n.t('The pipeline stops it when it next looks; it still counts toward your limit unless the queue marks it INVALID or REJECTED.') },
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
  },
};

export const openSubmissionInSynapseCommand: CommandDefinition = {
  id: 'synapseDocker.openChallengeInSynapse',
  run: async (services, argument?: unknown) => {
    const node = submissionNode(argument) ?? ((argument as { kind?: string; evaluation?: { contentSource?: string } } | undefined)?.kind === 'queue' ? argument as { evaluation: { contentSource?: string } } : undefined);
    const project = node?.evaluation.contentSource;
    if (!project) return false;
    return vscode.env.openExternal(vscode.Uri.parse(portalEntityUrl(services.settings().portalUrl, project)));
  },
};
