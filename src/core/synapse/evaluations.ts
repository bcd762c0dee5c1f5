// Evaluation queues, challenges and submissions (synapse-api.md §8): typed calls and the checks of
// exactly the fields the extension reads.
import * as shape from './shape';
import { SynapseError } from './errors';
import { SynapseTransport } from './transport';

export type LimitType = 'TOTAL' | 'DAILY' | 'WEEKLY' | 'MONTHLY';
export type SubmissionStatusValue =
  'OPEN' | 'CLOSED' | 'SCORED' | 'INVALID' | 'VALIDATED' | 'EVALUATION_IN_PROGRESS' | 'RECEIVED' | 'REJECTED' | 'ACCEPTED';

export interface Evaluation {
  id: string;
  name: string;
  description?: string;
  etag?: string;
  ownerId?: string;
  /** The challenge project. */
  contentSource?: string;
  submissionInstructionsMessage?: string;
  submissionReceiptMessage?: string;
}

export interface EvaluationRound {
  id: string;
  evaluationId: string;
  roundStart: string;
  roundEnd: string;
  limits: Array<{ limitType: LimitType; maximumSubmissions: number }>;
}

export interface Challenge {
  id: string;
  projectId: string;
  participantTeamId: string;
}

export interface Team {
  id: string;
  name: string;
}

export interface MemberEligibility {
  principalId: string;
  isEligible: boolean;
  /** Absent when the queue belongs to no challenge (registration is then not checked). */
  isRegistered?: boolean;
  isQuotaFilled: boolean;
  hasConflictingSubmission: boolean;
}

export interface TeamSubmissionEligibility {
  teamId: string;
  evaluationId: string;
  teamEligibility: { isEligible: boolean; isRegistered?: boolean; isQuotaFilled: boolean };
  membersEligibility: MemberEligibility[];
  eligibilityStateHash: number;
}

export interface Submission {
  id: string;
  userId: string;
  evaluationId: string;
  evaluationRoundId?: string;
  entityId: string;
  versionNumber?: number;
  dockerRepositoryName?: string;
  dockerDigest?: string;
  name?: string;
  createdOn: string;
  teamId?: string;
  contributors: Array<{ principalId: string }>;
}

export interface StatusAnnotation {
  key: string;
  value: string | number;
  isPrivate: boolean;
}

export interface SubmissionStatus {
  id: string;
  etag: string;
  status: SubmissionStatusValue;
  modifiedOn?: string;
  score?: number;
  statusVersion?: number;
  canCancel: boolean;
  cancelRequested: boolean;
  /** The legacy annotations (string, double, long), each with its isPrivate flag. */
  annotations: StatusAnnotation[];
}

export interface SubmissionBundle {
  submission: Submission;
  submissionStatus: SubmissionStatus;
}

/** What POST /evaluation/submission takes (the server fills userId, round, repository name, dates). */
export interface NewSubmission {
  evaluationId: string;
  entityId: string;
  versionNumber?: number;
  name?: string;
  dockerDigest: string;
  teamId?: string;
  contributors?: string[];
  submitterAlias?: string;
}

export const SUBMISSION_STATUSES: readonly SubmissionStatusValue[] = [
  'OPEN',
  'CLOSED',
  'SCORED',
  'INVALID',
  'VALIDATED',
  'EVALUATION_IN_PROGRESS',
  'RECEIVED',
  'REJECTED',
  'ACCEPTED',
];
const LIMIT_TYPES: readonly LimitType[] = ['TOTAL', 'DAILY', 'WEEKLY', 'MONTHLY'];

// ---- Checks ----

function oneOf<T extends string>(o: shape.JsonObject, key: string, allowed: readonly T[], at = ''): T {
  const value = shape.string(o, key, at);
  if (!(allowed as readonly string[]).includes(value)) throw new shape.ShapeProblem(at ? `${at}.${key}` : key, 'string');
  return value as T;
}

export function parseEvaluation(value: unknown, at = ''): Evaluation {
  const o = shape.object(value, at);
  return {
    id: shape.string(o, 'id', at),
    name: shape.string(o, 'name', at),
    description: shape.optionalString(o, 'description', at),
    etag: shape.optionalString(o, 'etag', at),
    ownerId: shape.optionalString(o, 'ownerId', at),
    contentSource: shape.optionalString(o, 'contentSource', at),
    submissionInstructionsMessage: shape.optionalString(o, 'submissionInstructionsMessage', at),
    submissionReceiptMessage: shape.optionalString(o, 'submissionReceiptMessage', at),
  };
}

function parseEvaluationList(value: unknown): { results: Evaluation[]; totalNumberOfResults: number } {
  const o = shape.object(value);
  return { results: shape.list(o, 'results', parseEvaluation), totalNumberOfResults: shape.optionalNumber(o, 'totalNumberOfResults') ?? 0 };
}

function parseRound(value: unknown, at: string): EvaluationRound {
  const o = shape.object(value, at);
  return {
    id: shape.string(o, 'id', at),
    evaluationId: shape.string(o, 'evaluationId', at),
    roundStart: shape.string(o, 'roundStart', at),
    roundEnd: shape.string(o, 'roundEnd', at),
    limits:
      shape.optionalList(
        o,
        'limits',
        (item, where) => {
          const limit = shape.object(item, where);
          const maximumSubmissions = shape.optionalNumber(limit, 'maximumSubmissions', where);
          if (maximumSubmissions === undefined) throw new shape.ShapeProblem(`${where}.maximumSubmissions`, 'number');
          return { limitType: oneOf(limit, 'limitType', LIMIT_TYPES, where), maximumSubmissions };
        },
        at,
      ) ?? [],
  };
}

function parseRoundPage(value: unknown): { page: EvaluationRound[]; nextPageToken?: string } {
  const o = shape.object(value);
  return { page: shape.list(o, 'page', parseRound), nextPageToken: shape.optionalString(o, 'nextPageToken') };
}

function parseChallenge(value: unknown): Challenge {
  const o = shape.object(value);
  return { id: shape.string(o, 'id'), projectId: shape.string(o, 'projectId'), participantTeamId: shape.string(o, 'participantTeamId') };
}

function parseIds(value: unknown): string[] {
  return shape.list(shape.object(value), 'results', shape.stringItem);
}

function parseTeam(value: unknown): Team {
  const o = shape.object(value);
  return { id: shape.string(o, 'id'), name: shape.string(o, 'name') };
}

function requiredNumber(o: shape.JsonObject, key: string, at = ''): number {
  const value = shape.optionalNumber(o, key, at);
  if (value === undefined) throw new shape.ShapeProblem(at ? `${at}.${key}` : key, 'number');
  return value;
}

function parseEligibility(value: unknown): TeamSubmissionEligibility {
  const o = shape.object(value);
  const team = shape.object(o.teamEligibility, 'teamEligibility');
  return {
    teamId: shape.string(o, 'teamId'),
    evaluationId: shape.string(o, 'evaluationId'),
    teamEligibility: {
      isEligible: shape.boolean(team, 'isEligible', 'teamEligibility'),
      isRegistered: shape.optionalBoolean(team, 'isRegistered', 'teamEligibility'),
      isQuotaFilled: shape.optionalBoolean(team, 'isQuotaFilled', 'teamEligibility') ?? false,
    },
    membersEligibility: shape.list(o, 'membersEligibility', (item, at) => {
      const m = shape.object(item, at);
      return {
        principalId: String(requiredNumber(m, 'principalId', at)),
        isEligible: shape.boolean(m, 'isEligible', at),
        isRegistered: shape.optionalBoolean(m, 'isRegistered', at),
        isQuotaFilled: shape.optionalBoolean(m, 'isQuotaFilled', at) ?? false,
        hasConflictingSubmission: shape.optionalBoolean(m, 'hasConflictingSubmission', at) ?? false,
      };
    }),
    eligibilityStateHash: requiredNumber(o, 'eligibilityStateHash'),
  };
}

export function parseSubmission(value: unknown, at = ''): Submission {
  const o = shape.object(value, at);
  return {
    id: shape.string(o, 'id', at),
    userId: shape.string(o, 'userId', at),
    evaluationId: shape.string(o, 'evaluationId', at),
    evaluationRoundId: shape.optionalString(o, 'evaluationRoundId', at),
    entityId: shape.string(o, 'entityId', at),
    versionNumber: shape.optionalNumber(o, 'versionNumber', at),
    dockerRepositoryName: shape.optionalString(o, 'dockerRepositoryName', at),
    dockerDigest: shape.optionalString(o, 'dockerDigest', at),
    name: shape.optionalString(o, 'name', at),
    createdOn: shape.string(o, 'createdOn', at),
    teamId: shape.optionalString(o, 'teamId', at),
    contributors:
      shape.optionalList(
        o,
        'contributors',
        (item, where) => ({ principalId: shape.string(shape.object(item, where), 'principalId', where) }),
        at,
      ) ?? [],
  };
}

export function parseSubmissionStatus(value: unknown, at = ''): SubmissionStatus {
  const o = shape.object(value, at);
  const annotations: StatusAnnotation[] = [];
  const legacy =
    o.annotations === undefined || o.annotations === null ? undefined : shape.object(o.annotations, `${at ? `${at}.` : ''}annotations`);
  if (legacy) {
    for (const [list, kind] of [
      ['stringAnnos', 'string'],
      ['doubleAnnos', 'number'],
      ['longAnnos', 'number'],
    ] as const) {
      const where = `${at ? `${at}.` : ''}annotations`;
      for (const item of shape.optionalList(
        legacy,
        list,
        (entry, itemAt) => {
          const a = shape.object(entry, itemAt);
          const key = shape.string(a, 'key', itemAt);
          const raw = a.value;
          if (kind === 'string' ? typeof raw !== 'string' : typeof raw !== 'number')
            throw new shape.ShapeProblem(`${itemAt}.value`, kind === 'string' ? 'string' : 'number');
          return { key, value: raw as string | number, isPrivate: shape.optionalBoolean(a, 'isPrivate', itemAt) ?? true };
        },
        where,
      ) ?? [])
        annotations.push(item);
    }
  }
  return {
    id: shape.string(o, 'id', at),
    etag: shape.string(o, 'etag', at),
    status: oneOf(o, 'status', SUBMISSION_STATUSES, at),
    modifiedOn: shape.optionalString(o, 'modifiedOn', at),
    score: shape.optionalNumber(o, 'score', at),
    statusVersion: shape.optionalNumber(o, 'statusVersion', at),
    canCancel: shape.optionalBoolean(o, 'canCancel', at) ?? false,
    cancelRequested: shape.optionalBoolean(o, 'cancelRequested', at) ?? false,
    annotations,
  };
}

function parseBundles(value: unknown): { results: SubmissionBundle[]; totalNumberOfResults: number } {
  const o = shape.object(value);
  return {
    totalNumberOfResults: shape.optionalNumber(o, 'totalNumberOfResults') ?? 0,
    results: shape.list(o, 'results', (item, at) => {
      const b = shape.object(item, at);
      return {
        submission: parseSubmission(b.submission, `${at}.submission`),
        submissionStatus: parseSubmissionStatus(b.submissionStatus, `${at}.submissionStatus`),
      };
    }),
  };
}

/** Synapse's largest page of submission bundles (SubmissionManagerImpl.MAX_LIMIT). */
export const MAX_BUNDLE_PAGE = 100;
const EVALUATION_PAGE = 50;

export class EvaluationClient {
  constructor(private readonly transport: SynapseTransport) {}

  /** Every queue the caller holds `accessType` on (SUBMIT: may submit to), `activeOnly` = inside a round now. */
  async listEvaluations(
    options: { accessType?: 'READ' | 'SUBMIT'; activeOnly?: boolean } = {},
    signal?: AbortSignal,
  ): Promise<Evaluation[]> {
    const all: Evaluation[] = [];
    for (let offset = 0; ; offset += EVALUATION_PAGE) {
      const page = await this.transport.request<{ results: Evaluation[] }>('/repo/v1/evaluation', {
        query: { accessType: options.accessType ?? 'READ', activeOnly: options.activeOnly ?? false, offset, limit: EVALUATION_PAGE },
        signal,
        parse: parseEvaluationList,
      });
      all.push(...page.results);
      if (page.results.length < EVALUATION_PAGE) return all;
    }
  }

  getEvaluation(id: string, signal?: AbortSignal): Promise<Evaluation> {
    return this.transport.request(`/repo/v1/evaluation/${encodeURIComponent(id)}`, { signal, parse: (v) => parseEvaluation(v) });
  }

  async listRounds(evaluationId: string, signal?: AbortSignal): Promise<EvaluationRound[]> {
    const rounds: EvaluationRound[] = [];
    let nextPageToken: string | undefined;
    do {
      const page = await this.transport.request<{ page: EvaluationRound[]; nextPageToken?: string }>(
        `/repo/v1/evaluation/${encodeURIComponent(evaluationId)}/round/list`,
        { method: 'POST', body: nextPageToken ? { nextPageToken } : {}, signal, parse: parseRoundPage },
      );
      rounds.push(...page.page);
      nextPageToken = page.nextPageToken;
    } while (nextPageToken);
    return rounds;
  }

  /** The project's challenge, or undefined when the project hosts none. */
  async getChallengeForProject(projectId: string, signal?: AbortSignal): Promise<Challenge | undefined> {
    try {
      return await this.transport.request(`/repo/v1/entity/${encodeURIComponent(projectId)}/challenge`, { signal, parse: parseChallenge });
    } catch (error) {
      if (error instanceof SynapseError && error.kind === 'notFound' && !error.inTrash) return undefined;
      throw error;
    }
  }

  /** Teams registered for the challenge that the caller is a member of. */
  async listSubmissionTeams(challengeId: string, signal?: AbortSignal): Promise<string[]> {
    return this.transport.request(`/repo/v1/challenge/${encodeURIComponent(challengeId)}/submissionTeams`, {
      query: { limit: 50, offset: 0 },
      signal,
      parse: parseIds,
    });
  }

  getTeam(teamId: string, signal?: AbortSignal): Promise<Team> {
    return this.transport.request(`/repo/v1/team/${encodeURIComponent(teamId)}`, { signal, parse: parseTeam });
  }

  /** A user's public profile, for naming team members. */
  getUserName(principalId: string, signal?: AbortSignal): Promise<string> {
    return this.transport.request(`/repo/v1/userProfile/${encodeURIComponent(principalId)}`, {
      signal,
      parse: (value) => shape.string(shape.object(value), 'userName'),
    });
  }

  getTeamEligibility(evaluationId: string, teamId: string, signal?: AbortSignal): Promise<TeamSubmissionEligibility> {
    return this.transport.request(
      `/repo/v1/evaluation/${encodeURIComponent(evaluationId)}/team/${encodeURIComponent(teamId)}/submissionEligibility`,
      { signal, parse: parseEligibility },
    );
  }

  /**
   * Creates a submission. `etag` is the entity's current etag; a team submission also needs the
   * eligibility hash. Never retried: a lost answer may hide a submission that was made.
   */
  submit(submission: NewSubmission, etag: string, eligibilityHash?: number, signal?: AbortSignal): Promise<Submission> {
    return this.transport.request('/repo/v1/evaluation/submission', {
      method: 'POST',
      query: { etag, submissionEligibilityHash: eligibilityHash },
      body: {
        evaluationId: submission.evaluationId,
        entityId: submission.entityId,
        ...(submission.versionNumber !== undefined ? { versionNumber: submission.versionNumber } : {}),
        ...(submission.name !== undefined ? { name: submission.name } : {}),
        dockerDigest: submission.dockerDigest,
        ...(submission.teamId !== undefined ? { teamId: submission.teamId } : {}),
        ...(submission.contributors ? { contributors: submission.contributors.map((principalId) => ({ principalId })) } : {}),
        ...(submission.submitterAlias !== undefined ? { submitterAlias: submission.submitterAlias } : {}),
      },
      notIdempotent: true,
      signal,
      parse: (v) => parseSubmission(v),
    });
  }

  /** The caller's own submissions to a queue (every page). */
  async listMySubmissions(evaluationId: string, signal?: AbortSignal): Promise<SubmissionBundle[]> {
    const all: SubmissionBundle[] = [];
    for (let offset = 0; ; offset += MAX_BUNDLE_PAGE) {
      const page = await this.transport.request<{ results: SubmissionBundle[] }>(
        `/repo/v1/evaluation/${encodeURIComponent(evaluationId)}/submission/bundle`,
        {
          query: { offset, limit: MAX_BUNDLE_PAGE },
          signal,
          parse: parseBundles,
        },
      );
      all.push(...page.results);
      if (page.results.length < MAX_BUNDLE_PAGE) return all;
    }
  }

  getStatus(submissionId: string, signal?: AbortSignal): Promise<SubmissionStatus> {
    return this.transport.request(`/repo/v1/evaluation/submission/${encodeURIComponent(submissionId)}/status`, {
      signal,
      parse: (v) => parseSubmissionStatus(v),
    });
  }

  /** Asks the queue's pipeline to stop the submission (allowed while its status says canCancel). */
  async requestCancel(submissionId: string, signal?: AbortSignal): Promise<void> {
    await this.transport.request(`/repo/v1/evaluation/submission/${encodeURIComponent(submissionId)}/cancellation`, {
      method: 'PUT',
      noContent: true,
      signal,
    });
  }
}
