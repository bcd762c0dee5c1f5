// The Submissions view's elements: plain typed data (the VS Code side maps them to TreeItems). Ids
// come from Synapse ids, so expansion and selection survive a refresh; they are built only here.
import type { Evaluation, Submission, SubmissionStatus } from '../synapse/evaluations';

export interface QueueNode {
  kind: 'queue';
  id: string;
  evaluation: Evaluation;
}

export interface SubmissionNode {
  kind: 'submission';
  id: string;
  evaluation: Evaluation;
  submission: Submission;
  status: SubmissionStatus;
  parent: QueueNode;
}

export interface SubmissionsMessageNode {
  kind: 'message';
  id: string;
  text: string;
  severity: 'info' | 'error';
}

export type SubmissionsNode = QueueNode | SubmissionNode | SubmissionsMessageNode;

export const queueNode = (evaluation: Evaluation): QueueNode => ({ kind: 'queue', id: `queue:${evaluation.id}`, evaluation });

export const submissionNode = (queue: QueueNode, submission: Submission, status: SubmissionStatus): SubmissionNode => ({
  kind: 'submission',
  id: `submission:${submission.id}`,
  evaluation: queue.evaluation,
  submission,
  status,
  parent: queue,
});

export const submissionsMessage = (key: string, severity: 'info' | 'error', text: string): SubmissionsMessageNode => ({
  kind: 'message',
  id: `message:${key}`,
  severity,
  text,
});
