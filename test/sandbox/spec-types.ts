// Compile-time binding of the extension's hand-written Synapse types (src/core/synapse/types.ts) to
// the models generated from Synapse's OpenAPI specification (@sage-bionetworks/synapse-client, a
// devDependency). `npm run typecheck` fails when a field the extension reads is not in the spec or has
// another type there. The generated models are not used in src directly: every field is optional in
// them, so the parsers' guarantees (what the extension may rely on) would be lost.
import type { ManagedACTAccessRequirement as SpecManagedACTAccessRequirement } from '@sage-bionetworks/synapse-client/dist/generated/models/ManagedACTAccessRequirement';
import type { DockerCommit as SpecDockerCommit } from '@sage-bionetworks/synapse-client/dist/generated/models/DockerCommit';
import type { DockerRepository as SpecDockerRepository } from '@sage-bionetworks/synapse-client/dist/generated/models/DockerRepository';
import type { EntityChildrenResponse as SpecEntityChildrenResponse } from '@sage-bionetworks/synapse-client/dist/generated/models/EntityChildrenResponse';
import type { EntityHeader as SpecEntityHeader } from '@sage-bionetworks/synapse-client/dist/generated/models/EntityHeader';
import type { PassingRecord as SpecPassingRecord } from '@sage-bionetworks/synapse-client/dist/generated/models/PassingRecord';
import type { ProjectHeader as SpecProjectHeader } from '@sage-bionetworks/synapse-client/dist/generated/models/ProjectHeader';
import type { ProjectHeaderList as SpecProjectHeaderList } from '@sage-bionetworks/synapse-client/dist/generated/models/ProjectHeaderList';
import type { RestrictionInformationResponse as SpecRestrictionInformation } from '@sage-bionetworks/synapse-client/dist/generated/models/RestrictionInformationResponse';
import type { UserBundle as SpecUserBundle } from '@sage-bionetworks/synapse-client/dist/generated/models/UserBundle';
import type { UserEntityPermissions as SpecUserEntityPermissions } from '@sage-bionetworks/synapse-client/dist/generated/models/UserEntityPermissions';
import type { UserProfile as SpecUserProfile } from '@sage-bionetworks/synapse-client/dist/generated/models/UserProfile';
import type { AccessControlList as SpecAccessControlList } from '@sage-bionetworks/synapse-client/dist/generated/models/AccessControlList';
import type { ResourceAccess as SpecResourceAccess } from '@sage-bionetworks/synapse-client/dist/generated/models/ResourceAccess';
import type { UserGroupHeader as SpecUserGroupHeader } from '@sage-bionetworks/synapse-client/dist/generated/models/UserGroupHeader';
import type { EntityHeader as SpecBenefactorHeader } from '@sage-bionetworks/synapse-client/dist/generated/models/EntityHeader';
import type { Evaluation as SpecEvaluation } from '@sage-bionetworks/synapse-client/dist/generated/models/Evaluation';
import type { EvaluationRound as SpecEvaluationRound } from '@sage-bionetworks/synapse-client/dist/generated/models/EvaluationRound';
import type { Challenge as SpecChallenge } from '@sage-bionetworks/synapse-client/dist/generated/models/Challenge';
import type { Team as SpecTeam } from '@sage-bionetworks/synapse-client/dist/generated/models/Team';
import type { MemberSubmissionEligibility as SpecMemberEligibility } from '@sage-bionetworks/synapse-client/dist/generated/models/MemberSubmissionEligibility';
import type { TeamSubmissionEligibility as SpecTeamSubmissionEligibility } from '@sage-bionetworks/synapse-client/dist/generated/models/TeamSubmissionEligibility';
import type { ModelSubmission as SpecSubmission } from '@sage-bionetworks/synapse-client/dist/generated/models/ModelSubmission';
import type { ModelSubmissionStatus as SpecSubmissionStatus } from '@sage-bionetworks/synapse-client/dist/generated/models/ModelSubmissionStatus';
import type { SubmissionBundle as SpecSubmissionBundle } from '@sage-bionetworks/synapse-client/dist/generated/models/SubmissionBundle';
import type { AccessControlList, ResourceAccess, UserGroupHeader, BenefactorHeader } from '../../src/core/synapse/acl';
import type {
  Evaluation,
  EvaluationRound,
  Challenge,
  Team,
  MemberEligibility,
  TeamSubmissionEligibility,
  Submission,
  SubmissionStatus,
  SubmissionBundle,
} from '../../src/core/synapse/evaluations';
import type {
  AccessRequirement,
  DockerCommit,
  DockerRepository,
  EntityChildrenResponse,
  EntityHeader,
  PassingRecord,
  ProjectHeader,
  ProjectHeaderList,
  RestrictionInformation,
  UserBundle,
  UserEntityPermissions,
  UserProfile,
} from '../../src/core/synapse/types';

/** For each field of Ours: true when what the spec says Synapse sends fits it, else why not. */
type FieldCheck<Ours, Wire> = {
  [K in keyof Ours]-?: K extends keyof Wire
    ? Comparable<Wire[K]> extends Comparable<Ours[K]>
      ? true
      : ['type differs from the spec', K]
    : ['not in the spec', K];
};
/** Lists are compared by their elements (a Set in a model is a JSON list with unique items); nested objects by their own checks. */
type Comparable<T> =
  NonNullable<T> extends Array<infer E> | Set<infer E> ? Array<Comparable<E>> : NonNullable<T> extends object ? object : NonNullable<T>;
/** `true` when every field matches; otherwise the offending fields, so assigning `true` fails with their names. */
type Matches<Ours, Wire> = [Exclude<FieldCheck<Ours, Wire>[keyof Ours], true>] extends [never]
  ? true
  : Exclude<FieldCheck<Ours, Wire>[keyof Ours], true>;

export const synapseTypesMatchSpec: Array<true> = [
  true satisfies Matches<UserProfile, SpecUserProfile>,
  true satisfies Matches<UserBundle, SpecUserBundle>,
  true satisfies Matches<PassingRecord, SpecPassingRecord>,
  true satisfies Matches<ProjectHeader, SpecProjectHeader>,
  true satisfies Matches<ProjectHeaderList, SpecProjectHeaderList>,
  true satisfies Matches<EntityHeader, SpecEntityHeader>,
  true satisfies Matches<EntityChildrenResponse, SpecEntityChildrenResponse>,
  true satisfies Matches<DockerRepository, SpecDockerRepository>,
  true satisfies Matches<DockerCommit, SpecDockerCommit>,
  true satisfies Matches<UserEntityPermissions, SpecUserEntityPermissions>,
  true satisfies Matches<RestrictionInformation, SpecRestrictionInformation>,
  // isTwoFaRequired exists only on the managed kind, the one whose 2FA rule preflight explains.
  true satisfies Matches<AccessRequirement, SpecManagedACTAccessRequirement>,
  // Sharing settings (synapse-api.md §9) and the evaluation service (§8).
  // Fields the parsers convert on purpose are left out of the comparison, each with its reason:
  // resourceAccess rows are checked as ResourceAccess below.
  true satisfies Matches<Omit<AccessControlList, 'resourceAccess'>, SpecAccessControlList>,
  // principalId: an integer on the wire, a string in the extension like every principal id (parseAccessControlList).
  true satisfies Matches<Omit<ResourceAccess, 'principalId'>, SpecResourceAccess>,
  true satisfies Matches<UserGroupHeader, SpecUserGroupHeader>,
  true satisfies Matches<BenefactorHeader, SpecBenefactorHeader>,
  true satisfies Matches<Evaluation, SpecEvaluation>,
  true satisfies Matches<EvaluationRound, SpecEvaluationRound>,
  true satisfies Matches<Challenge, SpecChallenge>,
  true satisfies Matches<Team, SpecTeam>,
  // principalId: an integer on the wire, a string here.
  true satisfies Matches<Omit<MemberEligibility, 'principalId'>, SpecMemberEligibility>,
  true satisfies Matches<TeamSubmissionEligibility, SpecTeamSubmissionEligibility>,
  true satisfies Matches<Submission, SpecSubmission>,
  // annotations: the legacy string/double/long lists flattened into one list with each isPrivate flag.
  true satisfies Matches<Omit<SubmissionStatus, 'annotations'>, SpecSubmissionStatus>,
  true satisfies Matches<SubmissionBundle, SpecSubmissionBundle>,
];
