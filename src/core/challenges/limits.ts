// Submission limits of an evaluation round (synapse-api.md §8, SubmissionEligibilityManagerImpl):
// which round is open at a given time, and what is left of each TOTAL/DAILY/WEEKLY/MONTHLY limit.
// DAILY resets at 00:00 UTC, WEEKLY on Monday 00:00 UTC, MONTHLY on the 1st; TOTAL counts from the
// round's start. INVALID and REJECTED submissions do not count.
import type { EvaluationRound, LimitType, SubmissionStatusValue } from '../synapse/evaluations';

const DAY_MS = 86_400_000;

/** SubmissionEligibilityManagerImpl.STATUSES_COUNTED_TOWARD_QUOTA. */
export function countsTowardLimit(status: SubmissionStatusValue): boolean {
  return status !== 'INVALID' && status !== 'REJECTED';
}

/** The round that contains `now` (start inclusive, end exclusive), if any. */
export function currentRound(rounds: readonly EvaluationRound[], now: number): EvaluationRound | undefined {
  return rounds.find((round) => Date.parse(round.roundStart) <= now && now < Date.parse(round.roundEnd));
}

/** The next round that starts after `now`, if any. */
export function nextRound(rounds: readonly EvaluationRound[], now: number): EvaluationRound | undefined {
  return [...rounds]
    .filter((round) => Date.parse(round.roundStart) > now)
    .sort((a, b) => Date.parse(a.roundStart) - Date.parse(b.roundStart))[0];
}

/** Where a limit's count starts at `now`. */
export function windowStart(type: LimitType, roundStart: number, now: number): number {
  const day = new Date(now);
  const midnight = Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate());
  switch (type) {
    case 'TOTAL':
      return roundStart;
    case 'DAILY':
      return midnight;
    case 'WEEKLY':
      return midnight - ((day.getUTCDay() + 6) % 7) * DAY_MS;
    case 'MONTHLY':
      return Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), 1);
  }
}

/** When the count starts again (the next window), capped by the round's end; TOTAL never resets. */
export function nextReset(type: LimitType, roundEnd: number, now: number): number | undefined {
  const start = windowStart(type, 0, now);
  const day = new Date(start);
  let next: number | undefined;
  if (type === 'DAILY') next = start + DAY_MS;
  else if (type === 'WEEKLY') next = start + 7 * DAY_MS;
  else if (type === 'MONTHLY') next = Date.UTC(day.getUTCFullYear(), day.getUTCMonth() + 1, 1);
  return next !== undefined && next < roundEnd ? next : undefined;
}

export interface CountedSubmission {
  /** ISO date or epoch ms. */
  createdOn: string | number;
  status: SubmissionStatusValue;
}

export interface LimitUsage {
  limitType: LimitType;
  maximumSubmissions: number;
  used: number;
  left: number;
  /** When `left` goes back to the maximum (undefined for TOTAL, or when the round ends first). */
  resetsAt?: number;
}

/** Each limit of the round at `now`, counted over the given submissions. */
export function limitUsage(round: EvaluationRound, submissions: readonly CountedSubmission[], now: number): LimitUsage[] {
  const roundStart = Date.parse(round.roundStart);
  const roundEnd = Date.parse(round.roundEnd);
  return round.limits.map((limit) => {
    const from = windowStart(limit.limitType, roundStart, now);
    const used = submissions.filter((submission) => {
      const created = typeof submission.createdOn === 'number' ? submission.createdOn : Date.parse(submission.createdOn);
      return countsTowardLimit(submission.status) && created >= from && created < roundEnd;
    }).length;
    return {
      limitType: limit.limitType,
      maximumSubmissions: limit.maximumSubmissions,
      used,
      left: Math.max(0, limit.maximumSubmissions - used),
      resetsAt: nextReset(limit.limitType, roundEnd, now),
    };
  });
}

/** The tightest limit: the one with the fewest submissions left (undefined when the round has none). */
export function tightestLimit(usages: readonly LimitUsage[]): LimitUsage | undefined {
  return [...usages].sort((a, b) => a.left - b.left)[0];
}
