// The annotations a submission status carries: the orchestrator's own (status description,
// progress, failure reason…) and the challenge's scores. Only public ones reach a participant
// (SubmissionManagerImpl.removePrivateAnnotations).
import type { SubmissionStatus } from '../synapse/evaluations';

const PREFIX = 'orgSagebionetworksSynapseWorkflowOrchestrator';
/** What Sage's SynapseWorkflowOrchestrator writes (synapse-api.md §8). */
export const ORCHESTRATOR_KEYS = {
  failureReason: `${PREFIX}FailureReason`,
  statusDescription: `${PREFIX}StatusDescription`,
  progress: `${PREFIX}Progress`,
  timeRemaining: `${PREFIX}TimeRemaining`,
} as const;

export function statusAnnotation(status: SubmissionStatus, key: string): string | number | undefined {
  return status.annotations.find((a) => a.key === key)?.value;
}

/** Public annotations that are scores: numbers that are not the orchestrator's bookkeeping. */
export function publicScores(status: SubmissionStatus): Array<{ key: string; value: number }> {
  const scores = status.annotations
    .filter((a) => !a.isPrivate && typeof a.value === 'number' && !a.key.startsWith(PREFIX))
    .map((a) => ({ key: a.key, value: a.value as number }));
  if (status.score !== undefined && !scores.some((s) => s.key === 'score')) scores.unshift({ key: 'score', value: status.score });
  return scores;
}
