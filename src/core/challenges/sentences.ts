// Every sentence the challenge features show, in one place (l10n.t, so the bundle has them).
import * as l10n from '@vscode/l10n';
import type { LimitUsage } from './limits';
import type { PresubmitProblem } from './presubmit';
import type { MemberEligibility, SubmissionStatus, TeamSubmissionEligibility } from '../synapse/evaluations';
import { ORCHESTRATOR_KEYS, statusAnnotation } from './annotations';

/** What the user can do about a problem: the flow offers it as the message's button. */
export type ProblemFix = 'signIn' | 'push' | 'rebuildAmd64' | 'checkAgain' | 'submitAnyway';

export function problemSentence(problem: PresubmitProblem): { message: string; fix: ProblemFix; fixLabel: string } {
  switch (problem.code) {
    case 'tokenScopes':
      return {
        message: l10n.t({
          message:
            'Your personal access token lacks the {0} scope(s), which a submission needs. Sign in with a token that has view, download and modify.',
          args: [problem.missing.join(', ')],
          comment: ['{0}: scope names, e.g. "modify".'],
        }),
        fix: 'signIn',
        fixLabel: l10n.t('Sign In Again'),
      };
    case 'unrecordedDigest':
      return {
        message: l10n.t({
          message:
            'Synapse has no commit of {0} with digest {1}: a local tag is not enough. Push the image, wait until the tag is listed, then submit.',
          args: [problem.repositoryId, problem.digest],
          comment: ['{0}: the repository synID. {1}: sha256:… digest.'],
        }),
        fix: 'push',
        fixLabel: l10n.t('Push Image…'),
      };
    case 'noAmd64':
      return {
        message: l10n.t({
          message:
            'This image is built for {0} only; the queue runs images on linux/amd64 and would fail it. Rebuild it with platform linux/amd64, push, and submit again.',
          args: [problem.platforms.join(', ')],
          comment: ['{0}: platforms like linux/arm64.'],
        }),
        fix: 'rebuildAmd64',
        fixLabel: l10n.t('Rebuild for linux/amd64…'),
      };
    case 'platformUnknown':
      return {
        message: l10n.t('Neither the local image nor the registry says which platform this image is for. The queue runs linux/amd64 only.'),
        fix: 'submitAnyway',
        fixLabel: l10n.t('Submit Anyway'),
      };
    case 'staleEtag':
      return {
        message: l10n.t({
          message: 'The repository {0} changed while the submission was prepared (a push?). Check again before submitting.',
          args: [problem.repositoryId],
          comment: ['{0}: the repository synID.'],
        }),
        fix: 'checkAgain',
        fixLabel: l10n.t('Check Again'),
      };
  }
}

const LIMIT_NAMES = (): Record<LimitUsage['limitType'], string> => ({
  TOTAL: l10n.t('in this round'),
  DAILY: l10n.t('today (UTC)'),
  WEEKLY: l10n.t('this week (UTC)'),
  MONTHLY: l10n.t('this month (UTC)'),
});

/** "today (UTC)", "this week (UTC)", "in this round". */
export function limitWindow(usage: LimitUsage): string {
  return LIMIT_NAMES()[usage.limitType];
}

/** "1 of 2 left today (UTC)". */
export function limitSentence(usage: LimitUsage): string {
  return l10n.t({
    message: '{0} of {1} left {2}',
    args: [usage.left, usage.maximumSubmissions, LIMIT_NAMES()[usage.limitType]],
    comment: ['{0}: submissions left. {1}: the limit. {2}: "today (UTC)", "this week (UTC)", "in this round"…'],
  });
}

export function roundEndSentence(roundEnd: string): string {
  return l10n.t({
    message: 'open until {0}',
    args: [roundEnd.replace('T', ' ').replace(/:\d\d(\.\d+)?Z$/, ' UTC')],
    comment: ['{0}: a UTC date and time.'],
  });
}

/** One team member's eligibility: registered, limit, conflicting submission. */
export function memberSentence(name: string, member: MemberEligibility): string {
  const parts: string[] = [];
  if (member.isRegistered === false) parts.push(l10n.t('not registered for the challenge'));
  if (member.isQuotaFilled) parts.push(l10n.t('submission limit reached'));
  if (member.hasConflictingSubmission) parts.push(l10n.t('already submitted alone or with another team in this round'));
  return member.isEligible
    ? l10n.t({ message: '{0}: eligible', args: [name], comment: ['{0}: a user name.'] })
    : l10n.t({ message: '{0}: not eligible ({1})', args: [name, parts.join(', ')], comment: ['{0}: a user name. {1}: the reasons.'] });
}

export function teamSentence(eligibility: TeamSubmissionEligibility): string | undefined {
  const team = eligibility.teamEligibility;
  if (team.isEligible) return undefined;
  if (team.isRegistered === false) return l10n.t('The team is not registered for the challenge.');
  if (team.isQuotaFilled) return l10n.t('The team has reached its submission limit.');
  return l10n.t('The team cannot submit to this queue now.');
}

/** "SCORED · score 0.87", "INVALID · <failure reason>", "EVALUATION_IN_PROGRESS · 40% · running". */
export function statusLine(status: SubmissionStatus): string {
  const parts: string[] = [status.status];
  if (status.cancelRequested && !['SCORED', 'INVALID', 'REJECTED', 'CLOSED', 'ACCEPTED'].includes(status.status))
    parts.push(l10n.t('cancel requested'));
  const progress = statusAnnotation(status, ORCHESTRATOR_KEYS.progress);
  if (progress !== undefined) parts.push(`${progress}%`);
  const description = statusAnnotation(status, ORCHESTRATOR_KEYS.statusDescription);
  if (description !== undefined) parts.push(String(description));
  if (status.status === 'INVALID') {
    const reason = statusAnnotation(status, ORCHESTRATOR_KEYS.failureReason);
    if (reason !== undefined) parts.push(String(reason));
  }
  return parts.join(' · ');
}

export function finalNotification(name: string, status: SubmissionStatus, scores: Array<{ key: string; value: string | number }>): string {
  const scoreText = scores.map((s) => `${s.key} ${s.value}`).join(', ');
  if (status.status === 'INVALID') {
    const reason = statusAnnotation(status, ORCHESTRATOR_KEYS.failureReason);
    return l10n.t({
      message: 'Submission {0} ({1}) is INVALID: {2}',
      args: [status.id, name, String(reason ?? l10n.t('no reason given'))],
      comment: ['{0}: submission id. {1}: its name. {2}: the failure reason.'],
    });
  }
  return scoreText
    ? l10n.t({
        message: 'Submission {0} ({1}) is {2}: {3}',
        args: [status.id, name, status.status, scoreText],
        comment: ['{0}: submission id. {1}: its name. {2}: status. {3}: scores.'],
      })
    : l10n.t({
        message: 'Submission {0} ({1}) is {2}.',
        args: [status.id, name, status.status],
        comment: ['{0}: submission id. {1}: its name. {2}: status.'],
      });
}
