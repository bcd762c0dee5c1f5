// What the Submissions view shows for a submission, decided here (no VS Code): order, the one-line
// description, the tooltip's lines, whether Cancel is offered.
import type { SubmissionBundle, SubmissionStatus } from '../synapse/evaluations';
import { isFinalStatus } from './poller';
import { ORCHESTRATOR_KEYS, publicScores, statusAnnotation } from './annotations';
import { statusLine } from './sentences';

/** Newest first (by createdOn, then by id). */
export function newestFirst(bundles: readonly SubmissionBundle[]): SubmissionBundle[] {
  return [...bundles].sort(
    (a, b) => Date.parse(b.submission.createdOn) - Date.parse(a.submission.createdOn) || Number(b.submission.id) - Number(a.submission.id),
  );
}

/** "SCORED · done · auc 0.87": the status line and the public scores. */
export function submissionDescription(status: SubmissionStatus): string {
  const scores = publicScores(status).map((s) => `${s.key} ${s.value}`);
  return [statusLine(status), ...scores].join(' · ');
}

/** Cancel is offered while the pipeline allows it and nobody asked yet. */
export const canOfferCancel = (status: SubmissionStatus): boolean =>
  status.canCancel && !status.cancelRequested && !isFinalStatus(status.status);

/** The failure reason of an INVALID submission, if the orchestrator wrote one. */
export function failureReason(status: SubmissionStatus): string | undefined {
  const reason = statusAnnotation(status, ORCHESTRATOR_KEYS.failureReason);
  return status.status === 'INVALID' && reason !== undefined ? String(reason) : undefined;
}
