// Synapse's evaluation service (synapse-api.md §8): evaluation queues with their ACLs, rounds and limits,
// challenges with participants and submission teams, team eligibility, submissions of Docker images by
// digest, their statuses and cancellation; plus the admin control that plays the organisers' pipeline.
// Rules and refusal texts follow SRS (EvaluationController, SubmissionManagerImpl,
// SubmissionEligibilityManagerImpl, EvaluationPermissionsManagerImpl, ChallengeManagerImpl).
import { createHash, randomUUID } from 'node:crypto';
import { Reply, badRequest, forbidden, integerParam, isoDate, notFound, parseEnum, parseJsonObject } from './http';
import { ACCESS_TYPE_ENUM, OAuthScope, SandboxModel, normalizeEntityId } from './model';
import { pageByToken } from './paging';
import { Caller, entityWithAccess } from './permissions';

// ---- Model -------------------------------------------------------------------------------------------

/** ACCESS_TYPE values an evaluation's ACL uses. */
export const EVALUATION_ACCESS_TYPES = [
  'READ',
  'UPDATE',
  'DELETE',
  'CHANGE_PERMISSIONS',
  'CREATE',
  'SUBMIT',
  'READ_PRIVATE_SUBMISSION',
  'UPDATE_SUBMISSION',
  'DELETE_SUBMISSION',
] as const;
export type EvaluationAccessType = (typeof EVALUATION_ACCESS_TYPES)[number];
const ACCESS_TYPE_CLASS = 'org.sagebionetworks.repo.model.ACCESS_TYPE';

export const LIMIT_TYPES = ['TOTAL', 'DAILY', 'WEEKLY', 'MONTHLY'] as const;
export type LimitType = (typeof LIMIT_TYPES)[number];

export const SUBMISSION_STATUSES = [
  'OPEN',
  'CLOSED',
  'SCORED',
  'INVALID',
  'VALIDATED',
  'EVALUATION_IN_PROGRESS',
  'RECEIVED',
  'REJECTED',
  'ACCEPTED',
] as const;
export type SubmissionStatusValue = (typeof SUBMISSION_STATUSES)[number];
/** SubmissionEligibilityManagerImpl.STATUSES_COUNTED_TOWARD_QUOTA: everything but INVALID and REJECTED. */
const COUNTED = new Set<SubmissionStatusValue>(['OPEN', 'CLOSED', 'SCORED', 'VALIDATED', 'EVALUATION_IN_PROGRESS', 'RECEIVED', 'ACCEPTED']);

/** The annotation keys Sage's SynapseWorkflowOrchestrator writes on a submission status. */
export const ORCHESTRATOR_PREFIX = 'orgSagebionetworksSynapseWorkflowOrchestrator';
export const ORCHESTRATOR_KEYS = {
  failureReason: `${ORCHESTRATOR_PREFIX}FailureReason`,
  statusDescription: `${ORCHESTRATOR_PREFIX}StatusDescription`,
  progress: `${ORCHESTRATOR_PREFIX}Progress`,
  timeRemaining: `${ORCHESTRATOR_PREFIX}TimeRemaining`,
};

export interface RoundRecord {
  id: string;
  etag: string;
  evaluationId: string;
  roundStart: number;
  roundEnd: number;
  limits: Array<{ limitType: LimitType; maximumSubmissions: number }>;
}

export interface EvaluationRecord {
  id: string;
  etag: string;
  name: string;
  description?: string;
  ownerId: string;
  createdOn: number;
  contentSource: string;
  submissionInstructionsMessage?: string;
  submissionReceiptMessage?: string;
  /** principal id → access types */
  acl: Map<string, Set<EvaluationAccessType>>;
  rounds: RoundRecord[];
}

export interface ChallengeRecord {
  id: string;
  etag: string;
  projectId: string;
  participantTeamId: string;
  /** Teams registered for the challenge (ChallengeTeam). */
  registeredTeams: Set<string>;
}

export interface AnnotationRecord {
  key: string;
  type: 'string' | 'double' | 'long';
  value: string | number;
  isPrivate: boolean;
}

export interface SubmissionRecord {
  id: string;
  userId: string;
  submitterAlias?: string;
  evaluationId: string;
  evaluationRoundId?: string;
  entityId: string;
  versionNumber: number;
  dockerRepositoryName?: string;
  dockerDigest?: string;
  name: string;
  createdOn: number;
  teamId?: string;
  contributors: Array<{ principalId: string; createdOn: number }>;
  entityBundleJSON: string;
  status: {
    etag: string;
    modifiedOn: number;
    status: SubmissionStatusValue;
    score?: number;
    annotations: AnnotationRecord[];
    statusVersion: number;
    canCancel: boolean;
    cancelRequested: boolean;
  };
}

export class EvaluationStore {
  readonly evaluations = new Map<string, EvaluationRecord>();
  readonly challenges = new Map<string, ChallengeRecord>();
  readonly submissions = new Map<string, SubmissionRecord>();
  /** Added to the wall clock for every time rule of the evaluation service (admin `evaluation/clock`). */
  clockOffsetMs = 0;
  private nextSubmissionId = 9710001;

  constructor(private readonly model: SandboxModel) {}

  now(): number {
    return this.model.clock.now() + this.clockOffsetMs;
  }

  newSubmissionId(): string {
    return String(this.nextSubmissionId++);
  }

  challengeForProject(projectId: string): ChallengeRecord | undefined {
    return [...this.challenges.values()].find((challenge) => challenge.projectId === projectId);
  }

  /** Whether the caller's principals hold the access type in the evaluation's ACL. */
  hasAccess(caller: Caller, evaluation: EvaluationRecord, type: EvaluationAccessType): boolean {
    // EvaluationPermissionsManagerImpl: the anonymous user gets nothing but READ.
    if (!caller.user && type !== 'READ') return false;
    const groups = this.model.groupsOf(caller.user);
    for (const [principal, types] of evaluation.acl) if (groups.has(principal) && types.has(type)) return true;
    return false;
  }

  /** The round that contains `now`; an evaluation without rounds (and no quota) is always open. */
  currentRound(evaluation: EvaluationRecord, now: number): RoundRecord | { unbounded: true } | undefined {
    if (evaluation.rounds.length === 0) return { unbounded: true };
    return evaluation.rounds.find((round) => round.roundStart <= now && now < round.roundEnd);
  }

  /**
   * pull through a challenge (AuthorizationManagerImpl / SubmissionDAO.isDockerRepoNameInAnyEvaluationWithAccess):
   * the repository name was submitted to an evaluation where one of the principals has the access type.
   */
  repositorySubmittedWithAccess(repositoryName: string, caller: Caller, type: EvaluationAccessType): boolean {
    const key = SandboxModel.repositoryKey(repositoryName);
    for (const submission of this.submissions.values()) {
      if (!submission.dockerRepositoryName || SandboxModel.repositoryKey(submission.dockerRepositoryName) !== key) continue;
      const evaluation = this.evaluations.get(submission.evaluationId);
      if (evaluation && this.hasAccess(caller, evaluation, type)) return true;
    }
    return false;
  }
}

const stores = new WeakMap<SandboxModel, EvaluationStore>();

/** The evaluation service of a model (created empty on first use; the seed fills it). */
export function evaluationsOf(model: SandboxModel): EvaluationStore {
  let store = stores.get(model);
  if (!store) {
    store = new EvaluationStore(model);
    stores.set(model, store);
  }
  return store;
}

// ---- Seed --------------------------------------------------------------------------------------------

export interface SeedChallenges {
  challenges?: Array<{ id: string; projectId: string; participantTeam: string; registeredTeams?: string[] }>;
  evaluations?: Array<{
    id: string;
    name: string;
    description?: string;
    /** userName */
    createdBy: string;
    contentSource: string;
    createdOn?: string;
    submissionInstructionsMessage?: string;
    submissionReceiptMessage?: string;
    /** principal (userName, team name, PUBLIC, AUTHENTICATED_USERS) → evaluation access types */
    acl: Record<string, string[]>;
    rounds?: Array<{ id: string; roundStart: string; roundEnd: string; limits?: Array<{ limitType: string; maximumSubmissions: number }> }>;
  }>;
}

/** Fills the model's evaluation service from the seed; `principalId` resolves seed principal names. */
export function seedEvaluations(
  model: SandboxModel,
  seed: SeedChallenges | undefined,
  principalId: (name: string, where: string) => string,
): void {
  const store = evaluationsOf(model);
  const fail = (message: string): Error => new Error(`Invalid sandbox seed: ${message}`);
  const date = (value: string, where: string): number => {
    const ms = Date.parse(value);
    if (Number.isNaN(ms)) throw fail(`${where}: "${value}" is not a date`);
    return ms;
  };
  for (const challenge of seed?.challenges ?? []) {
    const project = model.entities.get(challenge.projectId);
    if (project?.kind !== 'project') throw fail(`challenge ${challenge.id}: ${challenge.projectId} is not a project`);
    const participantTeamId = principalId(challenge.participantTeam, `challenge ${challenge.id}`);
    if (!model.teams.has(participantTeamId)) throw fail(`challenge ${challenge.id}: ${challenge.participantTeam} is not a team`);
    store.challenges.set(challenge.id, {
      id: challenge.id,
      etag: randomUUID(),
      projectId: challenge.projectId,
      participantTeamId,
      registeredTeams: new Set((challenge.registeredTeams ?? []).map((name) => principalId(name, `challenge ${challenge.id}`))),
    });
  }
  for (const evaluation of seed?.evaluations ?? []) {
    if (!/^\d+$/.test(evaluation.id) || store.evaluations.has(evaluation.id))
      throw fail(`evaluation id ${evaluation.id} is not a new number`);
    if (model.entities.get(evaluation.contentSource)?.kind !== 'project')
      throw fail(`evaluation ${evaluation.id}: contentSource is not a project`);
    const acl = new Map<string, Set<EvaluationAccessType>>();
    for (const [principal, types] of Object.entries(evaluation.acl)) {
      for (const type of types)
        if (!(EVALUATION_ACCESS_TYPES as readonly string[]).includes(type)) throw fail(`evaluation ${evaluation.id}: access type ${type}`);
      acl.set(principalId(principal, `evaluation ${evaluation.id}`), new Set(types as EvaluationAccessType[]));
    }
    const rounds = (evaluation.rounds ?? []).map((round): RoundRecord => {
      const limits = (round.limits ?? []).map((limit) => {
        if (!(LIMIT_TYPES as readonly string[]).includes(limit.limitType)) throw fail(`round ${round.id}: limit type ${limit.limitType}`);
        if (!Number.isInteger(limit.maximumSubmissions) || limit.maximumSubmissions <= 0)
          throw fail(`round ${round.id}: maxSubmissions must be a positive integer`);
        return { limitType: limit.limitType as LimitType, maximumSubmissions: limit.maximumSubmissions };
      });
      if (new Set(limits.map((limit) => limit.limitType)).size !== limits.length) throw fail(`round ${round.id}: one limit per type`);
      const roundStart = date(round.roundStart, `round ${round.id}`);
      const roundEnd = date(round.roundEnd, `round ${round.id}`);
      if (roundEnd <= roundStart) throw fail(`round ${round.id} ends before it starts`);
      return { id: round.id, etag: randomUUID(), evaluationId: evaluation.id, roundStart, roundEnd, limits };
    });
    store.evaluations.set(evaluation.id, {
      id: evaluation.id,
      etag: randomUUID(),
      name: evaluation.name,
      description: evaluation.description,
      ownerId: principalId(evaluation.createdBy, `evaluation ${evaluation.id}`),
      createdOn: evaluation.createdOn ? date(evaluation.createdOn, `evaluation ${evaluation.id}`) : Date.parse('2024-01-01T00:00:00.000Z'),
      contentSource: evaluation.contentSource,
      submissionInstructionsMessage: evaluation.submissionInstructionsMessage,
      submissionReceiptMessage: evaluation.submissionReceiptMessage,
      acl,
      rounds,
    });
  }
}

// ---- Rules -------------------------------------------------------------------------------------------

/** SubmissionEligibilityManagerImpl.submissionCountStartDate: TOTAL from the round's start, the others reset at 00:00 UTC. */
export function countWindowStart(type: LimitType, roundStart: number, now: number): number {
  const day = new Date(now);
  const midnight = Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate());
  switch (type) {
    case 'TOTAL':
      return roundStart;
    case 'DAILY':
      return midnight;
    case 'WEEKLY':
      return midnight - ((day.getUTCDay() + 6) % 7) * 86_400_000; // back to Monday
    case 'MONTHLY':
      return Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), 1);
  }
}

/** Java's String.hashCode, for an int32 eligibility hash that changes with the state it describes. */
function javaHash(text: string): number {
  let hash = 0;
  for (let i = 0; i < text.length; i++) hash = (Math.imul(31, hash) + text.charCodeAt(i)) | 0;
  return hash;
}

interface MemberEligibility {
  principalId: number;
  isRegistered?: boolean;
  isQuotaFilled: boolean;
  hasConflictingSubmission: boolean;
  isEligible: boolean;
}

interface TeamEligibility {
  teamId: string;
  evaluationId: string;
  teamEligibility: { isEligible: boolean; isRegistered?: boolean; isQuotaFilled: boolean };
  membersEligibility: MemberEligibility[];
  eligibilityStateHash: number;
}

const inRound = (submission: SubmissionRecord, from: number | undefined, to: number | undefined): boolean =>
  (from === undefined || submission.createdOn >= from) && (to === undefined || submission.createdOn < to);

function counted(store: EvaluationStore, evaluationId: string): SubmissionRecord[] {
  return [...store.submissions.values()].filter((s) => s.evaluationId === evaluationId && COUNTED.has(s.status.status));
}

const isContributor = (submission: SubmissionRecord, principalId: string): boolean =>
  submission.contributors.some((contributor) => contributor.principalId === principalId);

const OUTSIDE_ROUND = 'It is currently outside of the time range allowed for submissions.';

/** SubmissionEligibilityManagerImpl.getTeamSubmissionEligibility. */
function teamEligibility(
  model: SandboxModel,
  store: EvaluationStore,
  evaluation: EvaluationRecord,
  teamId: string,
  now: number,
): TeamEligibility {
  const challenge = store.challengeForProject(evaluation.contentSource);
  const team: TeamEligibility['teamEligibility'] = { isEligible: false, isQuotaFilled: false };
  if (challenge) team.isRegistered = challenge.registeredTeams.has(teamId);
  let eligible = team.isRegistered !== false;
  const round = store.currentRound(evaluation, now);
  if (!round) throw badRequest('The given date is outside the time range allowed for submissions.');
  const [start, end, limits] = 'unbounded' in round ? [undefined, undefined, []] : [round.roundStart, round.roundEnd, round.limits];
  const submissions = counted(store, evaluation.id);
  for (const limit of limits) {
    const from = countWindowStart(limit.limitType, start!, now);
    if (submissions.filter((s) => s.teamId === teamId && inRound(s, from, end)).length >= limit.maximumSubmissions) {
      team.isQuotaFilled = true;
      eligible = false;
      break;
    }
  }
  team.isEligible = eligible;
  const participants = challenge ? (model.teams.get(challenge.participantTeamId)?.members ?? new Set<string>()) : undefined;
  const members = [...(model.teams.get(teamId)?.members ?? [])].sort();
  const membersEligibility = members.map((memberId): MemberEligibility => {
    const isQuotaFilled = limits.some((limit) => {
      const from = countWindowStart(limit.limitType, start!, now);
      return submissions.filter((s) => isContributor(s, memberId) && inRound(s, from, end)).length >= limit.maximumSubmissions;
    });
    // Contributed, in this round, to a submission with no team or another team.
    const hasConflictingSubmission = submissions.some((s) => isContributor(s, memberId) && s.teamId !== teamId && inRound(s, start, end));
    const isRegistered = participants ? participants.has(memberId) : undefined;
    return {
      principalId: Number(memberId),
      ...(isRegistered !== undefined ? { isRegistered } : {}),
      isQuotaFilled,
      hasConflictingSubmission,
      isEligible: !hasConflictingSubmission && !isQuotaFilled && isRegistered !== false,
    };
  });
  const eligibilityStateHash = (Math.imul(javaHash(JSON.stringify(team)), 17) + javaHash(JSON.stringify(membersEligibility))) | 0;
  return { teamId, evaluationId: evaluation.id, teamEligibility: team, membersEligibility, eligibilityStateHash };
}

/** SubmissionEligibilityManagerImpl.isIndividualEligible: undefined when allowed, else the refusal. */
function individualRefusal(
  model: SandboxModel,
  store: EvaluationStore,
  evaluation: EvaluationRecord,
  caller: Caller,
  now: number,
): string | undefined {
  const challenge = store.challengeForProject(evaluation.contentSource);
  if (challenge && !model.groupsOf(caller.user).has(challenge.participantTeamId)) return 'Submitter is not registered for the challenge.';
  const round = store.currentRound(evaluation, now);
  if (!round) return OUTSIDE_ROUND;
  const bounded = !('unbounded' in round);
  const suffix = bounded ? '. (for the current submission round).' : '.';
  const [start, end] = bounded ? [round.roundStart, round.roundEnd] : [undefined, undefined];
  const submissions = counted(store, evaluation.id);
  if (submissions.some((s) => s.teamId !== undefined && isContributor(s, caller.userId) && inRound(s, start, end))) {
    return `Submitter may not submit as an individual when having submitted as part of a Team${suffix}`;
  }
  for (const limit of bounded ? round.limits : []) {
    const from = countWindowStart(limit.limitType, start!, now);
    const count = submissions.filter((s) => isContributor(s, caller.userId) && inRound(s, from, end)).length;
    if (count >= limit.maximumSubmissions)
      return `Submitter has reached the ${limit.limitType.toLowerCase()} limit of ${limit.maximumSubmissions}${suffix}`;
  }
  return undefined;
}

/** SubmissionEligibilityManagerImpl.isTeamEligible. */
function teamRefusal(
  model: SandboxModel,
  store: EvaluationStore,
  evaluation: EvaluationRecord,
  teamId: string,
  contributors: string[],
  hash: string,
  now: number,
): string | undefined {
  if (!store.currentRound(evaluation, now)) return OUTSIDE_ROUND;
  if (!/^-?\d+$/.test(hash) || Number(hash) > 2 ** 31 - 1 || Number(hash) < -(2 ** 31)) return 'Submission Eligibilty Hash is invalid.'; // sic
  const state = teamEligibility(model, store, evaluation, teamId, now);
  if (Number(hash) !== state.eligibilityStateHash) return 'Submissions or Team composition have changed.  Please try again.';
  if (!state.teamEligibility.isEligible) return 'The specified Team is ineligible to submit to the specified Evaluation at this time.';
  const eligible = new Set(state.membersEligibility.filter((m) => m.isEligible).map((m) => String(m.principalId)));
  const ineligible = contributors.filter((id) => !eligible.has(id));
  if (ineligible.length > 0) {
    return `The following Team members are ineligible to contribute to a Submission in the specified Evaluation at this time [${ineligible.join(', ')}]`;
  }
  return undefined;
}

// ---- JSON --------------------------------------------------------------------------------------------

function evaluationJson(evaluation: EvaluationRecord): Record<string, unknown> {
  return {
    id: evaluation.id,
    etag: evaluation.etag,
    name: evaluation.name,
    ...(evaluation.description !== undefined ? { description: evaluation.description } : {}),
    ownerId: evaluation.ownerId,
    createdOn: isoDate(evaluation.createdOn),
    contentSource: evaluation.contentSource,
    ...(evaluation.submissionInstructionsMessage !== undefined
      ? { submissionInstructionsMessage: evaluation.submissionInstructionsMessage }
      : {}),
    ...(evaluation.submissionReceiptMessage !== undefined ? { submissionReceiptMessage: evaluation.submissionReceiptMessage } : {}),
  };
}

function roundJson(round: RoundRecord): Record<string, unknown> {
  return {
    id: round.id,
    etag: round.etag,
    evaluationId: round.evaluationId,
    roundStart: isoDate(round.roundStart),
    roundEnd: isoDate(round.roundEnd),
    ...(round.limits.length ? { limits: round.limits.map((limit) => ({ ...limit })) } : {}),
  };
}

function submissionJson(submission: SubmissionRecord): Record<string, unknown> {
  return {
    id: submission.id,
    userId: submission.userId,
    ...(submission.submitterAlias !== undefined ? { submitterAlias: submission.submitterAlias } : {}),
    evaluationId: submission.evaluationId,
    ...(submission.evaluationRoundId !== undefined ? { evaluationRoundId: submission.evaluationRoundId } : {}),
    entityId: submission.entityId,
    entityBundleJSON: submission.entityBundleJSON,
    versionNumber: submission.versionNumber,
    ...(submission.dockerRepositoryName !== undefined
      ? { dockerRepositoryName: submission.dockerRepositoryName, dockerDigest: submission.dockerDigest }
      : {}),
    name: submission.name,
    createdOn: isoDate(submission.createdOn),
    ...(submission.teamId !== undefined ? { teamId: submission.teamId } : {}),
    contributors: submission.contributors.map((c) => ({ principalId: c.principalId, createdOn: isoDate(c.createdOn) })),
  };
}

/** SubmissionStatus; without READ_PRIVATE_SUBMISSION private annotations are removed (removePrivateAnnotations). */
function statusJson(submission: SubmissionRecord, includePrivate: boolean): Record<string, unknown> {
  const { status } = submission;
  const visible = status.annotations.filter((a) => includePrivate || !a.isPrivate);
  const of = (type: AnnotationRecord['type']) =>
    visible.filter((a) => a.type === type).map((a) => ({ key: a.key, isPrivate: a.isPrivate, value: a.value }));
  const json: Record<string, unknown> = {
    id: submission.id,
    etag: status.etag,
    modifiedOn: isoDate(status.modifiedOn),
    status: status.status,
    ...(status.score !== undefined ? { score: status.score } : {}),
    entityId: submission.entityId,
    versionNumber: submission.versionNumber,
    statusVersion: status.statusVersion,
    canCancel: status.canCancel,
    cancelRequested: status.cancelRequested,
  };
  if (status.annotations.length > 0) {
    json.annotations = {
      objectId: submission.id,
      scopeId: submission.evaluationId,
      stringAnnos: of('string'),
      doubleAnnos: of('double'),
      longAnnos: of('long'),
    };
    if (includePrivate) {
      // The submission (V2) annotations: only who has private access may read them.
      json.submissionAnnotations = {
        id: submission.id,
        etag: status.etag,
        annotations: Object.fromEntries(
          status.annotations.map((a) => [
            a.key,
            { type: a.type === 'string' ? 'STRING' : a.type === 'double' ? 'DOUBLE' : 'LONG', value: [String(a.value)] },
          ]),
        ),
      };
    }
  }
  return json;
}

// ---- Routes ------------------------------------------------------------------------------------------

export interface EvaluationRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  body: string;
  caller: Caller;
}

/** A reply with a status other than 200 (201 Created, 204 No Content). */

type Handler = (model: SandboxModel, store: EvaluationStore, request: EvaluationRequest, params: string[]) => unknown;

export interface EvaluationRoute {
  method: string;
  pattern: RegExp;
  scopes: OAuthScope[];
  handler: (model: SandboxModel, request: EvaluationRequest, params: string[]) => unknown;
}

function evaluation(store: EvaluationStore, id: string): EvaluationRecord {
  const found = store.evaluations.get(id);
  if (!found) throw notFound(`Evaluation could not be found with id :${id}`);
  return found;
}

/** EvaluationPermissionsManagerImpl.hasAccess(...).checkAuthorizationOrElseThrow(). */
function requireAccess(store: EvaluationStore, caller: Caller, target: EvaluationRecord, type: EvaluationAccessType): void {
  if (store.hasAccess(caller, target, type)) return;
  if (!caller.user && type !== 'READ') throw forbidden('Anonymous user is not allowed to access Evaluation.');
  throw forbidden(`User lacks ${type} access to Evaluation ${target.id}`);
}

const limitParam = (query: URLSearchParams, max?: number): { limit: number; offset: number } => {
  const limit = integerParam(query, 'limit', 10);
  const offset = integerParam(query, 'offset', 0);
  if (max !== undefined && limit > max) throw badRequest(`limit must be between 0 and ${max}`);
  return { limit, offset };
};

function listEvaluations(
  store: EvaluationStore,
  caller: Caller,
  query: URLSearchParams,
  type: EvaluationAccessType,
  filter: (e: EvaluationRecord) => boolean = () => true,
) {
  const activeOnly = query.get('activeOnly') === 'true';
  const ids = query
    .get('evaluationIds')
    ?.split(',')
    .map((id) => id.trim())
    .filter(Boolean);
  const now = store.now();
  const { limit, offset } = limitParam(query);
  const matching = [...store.evaluations.values()]
    .filter(filter)
    .filter((e) => store.hasAccess(caller, e, type))
    .filter((e) => !ids || ids.includes(e.id))
    .filter((e) => !activeOnly || e.rounds.some((round) => round.roundStart <= now && now < round.roundEnd))
    .sort((a, b) => Number(a.id) - Number(b.id));
  const page = matching.slice(offset, offset + limit);
  return { totalNumberOfResults: matching.length, results: page.map(evaluationJson) };
}

const accessTypeParam = (query: URLSearchParams): EvaluationAccessType => {
  const raw = query.get('accessType') ?? 'READ';
  const parsed = parseEnum(raw, ACCESS_TYPE_ENUM, ACCESS_TYPE_CLASS);
  return parsed as EvaluationAccessType;
};

// GET /evaluation?accessType&activeOnly&evaluationIds&offset&limit
const getEvaluations: Handler = (_m, store, { caller, query }) => listEvaluations(store, caller, query, accessTypeParam(query));
// GET /evaluation/available: the ones the caller may SUBMIT to.
const getAvailable: Handler = (_m, store, { caller, query }) => listEvaluations(store, caller, query, 'SUBMIT');
// GET /entity/{id}/evaluation
const getByContentSource: Handler = (model, store, { caller, query }, [rawId]) => {
  const id = normalizeEntityId(rawId);
  if (!id) throw badRequest(`Invalid Entity ID: ${rawId}`);
  return listEvaluations(store, caller, query, accessTypeParam(query), (e) => e.contentSource === id);
};
// GET /evaluation/{evalId}
const getEvaluation: Handler = (_m, store, { caller }, [id]) => {
  const found = evaluation(store, id);
  requireAccess(store, caller, found, 'READ');
  return evaluationJson(found);
};
// POST /evaluation/{evalId}/round/list {nextPageToken}
const listRounds: Handler = (_m, store, { caller, body }, [id]) => {
  const request = parseJsonObject(body || '{}');
  const found = evaluation(store, id);
  requireAccess(store, caller, found, 'READ');
  const token = request.nextPageToken;
  if (token !== undefined && token !== null && typeof token !== 'string') throw badRequest('nextPageToken must be a string');
  const sorted = [...found.rounds].sort((a, b) => a.roundStart - b.roundStart);
  const page = pageByToken(sorted, token as string | undefined);
  return { page: page.items.map(roundJson), ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}) };
};
// GET /entity/{id}/challenge
const getChallengeForProject: Handler = (model, store, { caller }, [rawId]) => {
  const id = normalizeEntityId(rawId);
  if (!id) throw badRequest(`Invalid Entity ID: ${rawId}`);
  entityWithAccess(model, caller, id, 'READ');
  const challenge = store.challengeForProject(id);
  if (!challenge) throw notFound(`Cannot find the Challenge for project ${id}`);
  return { id: challenge.id, etag: challenge.etag, projectId: challenge.projectId, participantTeamId: challenge.participantTeamId };
};
// GET /challenge/{id}/submissionTeams: registered teams the caller is a member of.
const getSubmissionTeams: Handler = (model, store, { caller, query }, [id]) => {
  const challenge = store.challenges.get(id);
  if (!challenge) throw notFound(`Challenge: '${id}' does not exist`);
  const { limit, offset } = limitParam(query);
  const teams = [...challenge.registeredTeams].filter((teamId) => model.teams.get(teamId)?.members.has(caller.userId)).sort();
  return { results: teams.slice(offset, offset + limit), totalNumberOfResults: teams.length };
};
// GET /team/{id}
const getTeam: Handler = (model, _store, _request, [id]) => {
  const team = model.teams.get(id);
  if (!team) throw notFound(`Team id: '${id}' does not exist`);
  return { id: team.id, name: team.name, canPublicJoin: false, etag: createHash('sha1').update(team.id).digest('hex') };
};
// GET /userProfile/{profileId}: the public profile (no emails for others).
const getProfile: Handler = (model, _store, { caller }, [id]) => {
  const user = model.users.get(id);
  if (!user) throw notFound(`UserProfile cannot be found for: ${id}`);
  return {
    ownerId: user.ownerId,
    etag: user.etag,
    firstName: user.firstName,
    lastName: user.lastName,
    userName: user.userName,
    ...(caller.userId === user.ownerId ? { emails: [user.email] } : {}),
    createdOn: isoDate(user.createdOn),
  };
};
// GET /evaluation/{evalId}/team/{teamId}/submissionEligibility
const getEligibility: Handler = (model, store, { caller }, [evalId, teamId]) => {
  if (!/^\d+$/.test(teamId)) throw badRequest(`For input string: "${teamId}"`);
  if (!model.groupsOf(caller.user).has(teamId)) throw forbidden('Requester is not a member of the Submission Team.');
  const found = evaluation(store, evalId);
  requireAccess(store, caller, found, 'SUBMIT');
  return teamEligibility(model, store, found, teamId, store.now());
};

// POST /evaluation/submission?etag&submissionEligibilityHash
const createSubmission: Handler = (model, store, { caller, query, body }) => {
  const request = parseJsonObject(body);
  const str = (name: string): string | undefined => {
    const value = request[name];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string') throw badRequest(`Submission.${name} must be a string`);
    return value;
  };
  const entityId = str('entityId');
  if (!entityId) throw badRequest('entityId is required.');
  // EvaluationServiceImpl fetches the entity bundle first (READ on the entity).
  const normalized = normalizeEntityId(entityId);
  if (!normalized) throw badRequest(`Invalid Entity ID: ${entityId}`);
  const entity = entityWithAccess(model, caller, normalized, 'READ');
  const versionNumber = request.versionNumber ?? 1;
  if (versionNumber !== 1) throw notFound(`Cannot find a node with id ${normalized} and version ${String(versionNumber)}`);
  const evalId = str('evaluationId');
  if (!evalId) throw badRequest('Evaluation ID cannot be null or empty.');
  if (request.evaluationRoundId !== undefined && request.evaluationRoundId !== null) {
    throw badRequest('Please do not specify any evaluationRoundId. This will be filled automatically based upon the time of creation.');
  }
  const target = store.evaluations.get(evalId);
  if (!target) throw forbidden(`User lacks SUBMIT access to Evaluation ${evalId}`); // aclDAO.canAccess finds no ACL
  requireAccess(store, caller, target, 'SUBMIT');
  const now = store.now();
  const round = store.currentRound(target, now);
  if (entity.etag !== query.get('etag')) throw badRequest(`The supplied eTag is out of date. Please fetch Entity ${entity.id} again.`);
  let dockerRepositoryName: string | undefined;
  let dockerDigest: string | undefined;
  if (entity.kind === 'dockerrepo') {
    dockerRepositoryName = entity.repositoryName;
    dockerDigest = str('dockerDigest');
    if (dockerDigest === undefined) throw badRequest('Docker Digest is required.'); // ValidateArgument.required: null only
    if (!entity.commits.some((commit) => commit.digest === dockerDigest)) {
      throw badRequest(`The given Docker Repository, ${entity.id}, does not have digest ${dockerDigest}`);
    }
  }
  const rawContributors = request.contributors ?? [];
  if (!Array.isArray(rawContributors)) throw badRequest('Submission.contributors must be an array');
  const contributorIds = new Set<string>();
  for (const item of rawContributors) {
    const principalId = (item as { principalId?: unknown } | null)?.principalId;
    if (typeof principalId !== 'string' || !/^\d+$/.test(principalId)) throw badRequest('SubmissionContributor.principalId is required.');
    contributorIds.add(principalId);
  }
  contributorIds.add(caller.userId);
  const teamId = str('teamId');
  const hash = query.get('submissionEligibilityHash') ?? undefined;
  let refusal: string | undefined;
  if (teamId !== undefined && hash !== undefined) {
    refusal = teamRefusal(model, store, target, teamId, [...contributorIds], hash, now);
  } else if (teamId === undefined && hash === undefined && contributorIds.size === 1) {
    refusal = individualRefusal(model, store, target, caller, now);
  } else {
    throw badRequest('Submission is neither a valid Team or Individual Submission.');
  }
  if (refusal) throw forbidden(refusal);
  const submission: SubmissionRecord = {
    id: store.newSubmissionId(),
    userId: caller.userId,
    submitterAlias: str('submitterAlias'),
    evaluationId: target.id,
    evaluationRoundId: round && !('unbounded' in round) ? round.id : undefined,
    entityId: entity.id,
    versionNumber: 1,
    dockerRepositoryName,
    dockerDigest,
    name: str('name') ?? entity.name,
    createdOn: now,
    teamId,
    contributors: [...contributorIds].map((principalId) => ({ principalId, createdOn: now })),
    entityBundleJSON: JSON.stringify({
      entity: {
        id: entity.id,
        name: entity.name,
        etag: entity.etag,
        concreteType: 'org.sagebionetworks.repo.model.docker.DockerRepository',
        repositoryName: entity.repositoryName,
      },
    }),
    status: {
      etag: randomUUID(),
      modifiedOn: now,
      status: 'RECEIVED',
      annotations: [],
      statusVersion: 0,
      canCancel: false,
      cancelRequested: false,
    },
  };
  store.submissions.set(submission.id, submission);
  return new Reply(201, submissionJson(submission));
};

function existingSubmission(store: EvaluationStore, id: string): SubmissionRecord {
  const found = store.submissions.get(id);
  if (!found) throw notFound(`Submission '${id}' does not exist`);
  return found;
}

// GET /evaluation/submission/{id}/status: READ on the evaluation; private annotations only with READ_PRIVATE_SUBMISSION.
const getStatus: Handler = (_m, store, { caller }, [id]) => {
  const submission = store.submissions.get(id);
  if (!submission) throw notFound(`Cannot find submission or status for id ${id}`);
  const target = evaluation(store, submission.evaluationId);
  requireAccess(store, caller, target, 'READ');
  return statusJson(submission, store.hasAccess(caller, target, 'READ_PRIVATE_SUBMISSION'));
};
// GET /evaluation/submission/{id}: needs READ_PRIVATE_SUBMISSION (not for participants).
const getSubmission: Handler = (_m, store, { caller }, [id]) => {
  const submission = existingSubmission(store, id);
  requireAccess(store, caller, evaluation(store, submission.evaluationId), 'READ_PRIVATE_SUBMISSION');
  return submissionJson(submission);
};
// GET /evaluation/{evalId}/submission/bundle: the caller's own submissions (submitted by them), limit ≤ 100.
const getMyBundles: Handler = (_m, store, { caller, query }, [evalId]) => {
  const { limit, offset } = limitParam(query, 100);
  const target = store.evaluations.get(evalId);
  const includePrivate = target ? store.hasAccess(caller, target, 'READ_PRIVATE_SUBMISSION') : false;
  const mine = [...store.submissions.values()].filter((s) => s.evaluationId === evalId && s.userId === caller.userId);
  return {
    totalNumberOfResults: mine.length,
    results: mine
      .slice(offset, offset + limit)
      .map((s) => ({ submission: submissionJson(s), submissionStatus: statusJson(s, includePrivate) })),
  };
};
// PUT /evaluation/submission/{id}/cancellation
const cancel: Handler = (_m, store, { caller }, [id]) => {
  const submission = existingSubmission(store, id);
  if (submission.userId !== caller.userId) throw forbidden('Only the user who submitted this submission could perform this action.');
  if (!submission.status.canCancel) throw forbidden('This submission is currently noncancellable.');
  submission.status.cancelRequested = true;
  submission.status.etag = randomUUID();
  submission.status.statusVersion++;
  submission.status.modifiedOn = store.now();
  return new Reply(204);
};

const wrap = (handler: Handler) => (model: SandboxModel, request: EvaluationRequest, params: string[]) =>
  handler(model, evaluationsOf(model), request, params);

export const EVALUATION_ROUTES: EvaluationRoute[] = [
  { method: 'GET', pattern: /^\/evaluation$/, scopes: ['view'], handler: wrap(getEvaluations) },
  { method: 'GET', pattern: /^\/evaluation\/available$/, scopes: ['view'], handler: wrap(getAvailable) },
  { method: 'POST', pattern: /^\/evaluation\/submission$/, scopes: ['view', 'modify'], handler: wrap(createSubmission) },
  { method: 'GET', pattern: /^\/evaluation\/submission\/(\d+)\/status$/, scopes: ['view'], handler: wrap(getStatus) },
  { method: 'PUT', pattern: /^\/evaluation\/submission\/(\d+)\/cancellation$/, scopes: ['modify'], handler: wrap(cancel) },
  { method: 'GET', pattern: /^\/evaluation\/submission\/(\d+)$/, scopes: ['view'], handler: wrap(getSubmission) },
  { method: 'GET', pattern: /^\/evaluation\/(\d+)\/submission\/bundle$/, scopes: ['view'], handler: wrap(getMyBundles) },
  {
    method: 'GET',
    pattern: /^\/evaluation\/(\d+)\/team\/([^/]+)\/submissionEligibility$/,
    scopes: ['view'],
    handler: wrap(getEligibility),
  },
  { method: 'POST', pattern: /^\/evaluation\/(\d+)\/round\/list$/, scopes: ['view'], handler: wrap(listRounds) },
  { method: 'GET', pattern: /^\/evaluation\/(\d+)$/, scopes: ['view'], handler: wrap(getEvaluation) },
  { method: 'GET', pattern: /^\/entity\/([^/]+)\/evaluation$/, scopes: ['view'], handler: wrap(getByContentSource) },
  { method: 'GET', pattern: /^\/entity\/([^/]+)\/challenge$/, scopes: ['view'], handler: wrap(getChallengeForProject) },
  { method: 'GET', pattern: /^\/challenge\/(\d+)\/submissionTeams$/, scopes: ['view'], handler: wrap(getSubmissionTeams) },
  { method: 'GET', pattern: /^\/team\/(\d+)$/, scopes: ['view'], handler: wrap(getTeam) },
  { method: 'GET', pattern: /^\/userProfile\/(\d+)$/, scopes: ['view'], handler: wrap(getProfile) },
];

// ---- Admin: the organisers' pipeline -----------------------------------------------------------------

/** What the orchestrator may do with a status: RECEIVED → EVALUATION_IN_PROGRESS → ACCEPTED / SCORED / INVALID / … */
const PIPELINE_MOVES: Partial<Record<SubmissionStatusValue, SubmissionStatusValue[]>> = {
  RECEIVED: ['EVALUATION_IN_PROGRESS', 'INVALID', 'REJECTED', 'CLOSED'],
  EVALUATION_IN_PROGRESS: ['ACCEPTED', 'SCORED', 'VALIDATED', 'INVALID', 'REJECTED', 'CLOSED'],
  VALIDATED: ['SCORED', 'ACCEPTED', 'INVALID', 'CLOSED'],
  ACCEPTED: ['SCORED'],
  OPEN: ['EVALUATION_IN_PROGRESS', 'CLOSED'],
};

type Json = Record<string, unknown>;

/**
 * `POST /__admin/evaluation/status {submissionId, status, statusDescription?, progress?, timeRemaining?,
 * failureReason?, score?, scoreKey?, privateScore?, canCancel?}`: one step of the organisers' pipeline, writing
 * the annotations Sage's orchestrator writes (public) and a score annotation (public unless privateScore).
 * `POST /__admin/evaluation/clock {offsetMs}`: shifts the evaluation service's clock (limits, rounds).
 * `GET /__admin/evaluation/submissions`: every submission with its status, for tests.
 * Returns undefined for any other route.
 */
export function handleEvaluationAdmin(model: SandboxModel, route: string, body: Json): unknown {
  const store = evaluationsOf(model);
  switch (route) {
    case 'POST /__admin/evaluation/status': {
      const id = String(body.submissionId ?? '');
      const submission = store.submissions.get(id);
      if (!submission) throw notFound(`No submission ${id}`);
      const next = parseEnum(String(body.status ?? ''), SUBMISSION_STATUSES, 'SubmissionStatusEnum');
      const current = submission.status.status;
      if (next !== current && !(PIPELINE_MOVES[current] ?? []).includes(next)) {
        throw badRequest(`The pipeline does not move a submission from ${current} to ${next}`);
      }
      const annotations = new Map(submission.status.annotations.map((a) => [a.key, a]));
      const put = (key: string, type: AnnotationRecord['type'], value: unknown, isPrivate = false): void => {
        if (value === undefined || value === null) return;
        if (type === 'string' && typeof value !== 'string') throw badRequest(`${key} must be a string`);
        if (type !== 'string' && typeof value !== 'number') throw badRequest(`${key} must be a number`);
        annotations.set(key, { key, type, value: value as string | number, isPrivate });
      };
      put(ORCHESTRATOR_KEYS.statusDescription, 'string', body.statusDescription);
      put(ORCHESTRATOR_KEYS.failureReason, 'string', body.failureReason);
      put(ORCHESTRATOR_KEYS.progress, 'long', body.progress);
      put(ORCHESTRATOR_KEYS.timeRemaining, 'long', body.timeRemaining);
      if (body.score !== undefined) {
        if (typeof body.score !== 'number') throw badRequest('score must be a number');
        put(typeof body.scoreKey === 'string' ? body.scoreKey : 'score', 'double', body.score, body.privateScore === true);
      }
      submission.status.annotations = [...annotations.values()];
      submission.status.status = next;
      if (typeof body.canCancel === 'boolean') submission.status.canCancel = body.canCancel;
      else if (next !== 'RECEIVED' && next !== 'EVALUATION_IN_PROGRESS') submission.status.canCancel = false;
      submission.status.etag = randomUUID();
      submission.status.statusVersion++;
      submission.status.modifiedOn = store.now();
      return statusJson(submission, true);
    }
    case 'POST /__admin/evaluation/clock': {
      const offset = body.offsetMs;
      if (typeof offset !== 'number' || !Number.isFinite(offset)) throw badRequest('offsetMs must be a number');
      store.clockOffsetMs = offset;
      return { offsetMs: offset };
    }
    case 'GET /__admin/evaluation/submissions':
      return [...store.submissions.values()].map((s) => ({ ...submissionJson(s), status: statusJson(s, true) }));
    default:
      return undefined;
  }
}
