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
/** Lists are compared by their elements; nested objects by their own checks elsewhere. */
type Comparable<T> = NonNullable<T> extends Array<infer E> ? Array<Comparable<E>> : NonNullable<T> extends object ? object : NonNullable<T>;
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
];
