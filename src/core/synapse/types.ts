// JSON shapes of the Synapse REST API that this extension reads (synapse-api.md §1–§2).
import * as shape from './shape';

export const ANONYMOUS_PRINCIPAL_ID = '273950';

export interface UserProfile {
  ownerId: string;
  userName: string;
  firstName?: string;
  lastName?: string;
  emails?: string[];
  createdOn?: string;
  etag?: string;
}

export interface UserBundle {
  userId: string;
  userProfile?: UserProfile;
  isCertified?: boolean;
}

export interface PassingRecord {
  userId: string;
  passed: boolean;
  passedOn?: string;
  revoked?: boolean;
  certified?: boolean;
}

export type ProjectListFilter = 'ALL' | 'CREATED' | 'PARTICIPATED';
export type ProjectListSort = 'LAST_ACTIVITY' | 'PROJECT_NAME';
export type SortDirection = 'ASC' | 'DESC';

export interface ProjectHeader {
  id: string;
  name: string;
  lastActivity?: string;
  modifiedOn?: string;
  modifiedBy?: number;
}

export interface ProjectHeaderList {
  results: ProjectHeader[];
  nextPageToken?: string;
}

export const DOCKER_REPOSITORY_TYPE = 'org.sagebionetworks.repo.model.docker.DockerRepository';
export const PROJECT_TYPE = 'org.sagebionetworks.repo.model.Project';

export interface EntityHeader {
  id: string;
  name: string;
  /** The Java class name, e.g. org.sagebionetworks.repo.model.docker.DockerRepository. */
  type: string;
  benefactorId?: number;
  createdOn?: string;
  modifiedOn?: string;
  createdBy?: string;
  modifiedBy?: string;
}

export interface EntityChildrenResponse {
  page: EntityHeader[];
  nextPageToken?: string;
  totalChildCount?: number;
}

export interface Entity {
  id: string;
  name: string;
  concreteType: string;
  parentId?: string;
  etag?: string;
  createdOn?: string;
  modifiedOn?: string;
  createdBy?: string;
  modifiedBy?: string;
  description?: string;
}

export interface DockerRepository extends Entity {
  /** Full name including the registry host, e.g. docker.synapse.org/syn123/my-tool. */
  repositoryName: string;
  /** True for repositories created by pushes to the Synapse registry; false for external ones. */
  isManaged: boolean;
}

export type DockerTagSort = 'CREATED_ON' | 'TAG';

export interface DockerCommit {
  tag: string;
  digest: string;
  createdOn: string;
}

export interface PaginatedResults<T> {
  /** An estimate: offset + page size (+1 when the page is full). Page until a short page. */
  totalNumberOfResults: number;
  results: T[];
}

export interface UserEntityPermissions {
  canView: boolean;
  canEdit: boolean;
  canCertifiedUserEdit: boolean;
  canAddChild: boolean;
  canCertifiedUserAddChild: boolean;
  canDownload: boolean;
  canUpload: boolean;
  canDelete?: boolean;
  canChangePermissions?: boolean;
  canPublicRead?: boolean;
  isCertifiedUser: boolean;
  isCertificationRequired?: boolean;
  ownerPrincipalId?: number;
}

/** POST /restrictionInformation for an entity: the caller's access requirements on it (synapse-api.md §3.4). */
export interface RestrictionInformation {
  hasUnmetAccessRequirement: boolean;
  restrictionLevel?: string;
  restrictionDetails: Array<{ accessRequirementId: number; isMet?: boolean }>;
}

/** The fields of an AccessRequirement preflight reads (ManagedACTAccessRequirement has isTwoFaRequired). */
export interface AccessRequirement {
  id: number;
  concreteType: string;
  isTwoFaRequired?: boolean;
}

export function isDockerRepository(entity: Entity): entity is DockerRepository {
  return entity.concreteType === DOCKER_REPOSITORY_TYPE;
}

// ---- Checks of the answers, for exactly the fields the extension reads (shape.ts) ----
// Each returns the answer with those fields checked (null optional fields become absent); other
// fields pass through unchecked.

export function parseUserProfile(value: unknown): UserProfile {
  const o = shape.object(value);
  return {
    ...o,
    ownerId: shape.string(o, 'ownerId'),
    userName: shape.string(o, 'userName'),
    firstName: shape.optionalString(o, 'firstName'),
    lastName: shape.optionalString(o, 'lastName'),
    emails: shape.optionalList(o, 'emails', shape.stringItem),
  };
}

export function parseUserBundle(value: unknown): UserBundle {
  const o = shape.object(value);
  return { ...o, userId: o.userId as string, isCertified: shape.optionalBoolean(o, 'isCertified') };
}

export function parsePassingRecord(value: unknown): PassingRecord {
  const o = shape.object(value);
  return { ...o, userId: o.userId as string, passed: shape.boolean(o, 'passed') };
}

function parseProjectHeader(value: unknown, at: string): ProjectHeader {
  const o = shape.object(value, at);
  return {
    ...o,
    id: shape.string(o, 'id', at),
    name: shape.string(o, 'name', at),
    lastActivity: shape.optionalString(o, 'lastActivity', at),
    modifiedOn: shape.optionalString(o, 'modifiedOn', at),
  };
}

export function parseProjectHeaderList(value: unknown): ProjectHeaderList {
  const o = shape.object(value);
  return { results: shape.list(o, 'results', parseProjectHeader), nextPageToken: shape.optionalString(o, 'nextPageToken') };
}

function parseEntityHeader(value: unknown, at: string): EntityHeader {
  const o = shape.object(value, at);
  return {
    ...o,
    id: shape.string(o, 'id', at),
    name: shape.string(o, 'name', at),
    type: shape.string(o, 'type', at),
    modifiedOn: shape.optionalString(o, 'modifiedOn', at),
  };
}

export function parseEntityChildren(value: unknown): EntityChildrenResponse {
  const o = shape.object(value);
  return { page: shape.list(o, 'page', parseEntityHeader), nextPageToken: shape.optionalString(o, 'nextPageToken') };
}

/** An entity; a DockerRepository also has its name and managed flag checked. */
export function parseEntity(value: unknown): Entity {
  const o = shape.object(value);
  const entity: Entity = {
    ...o,
    id: shape.string(o, 'id'),
    name: shape.string(o, 'name'),
    concreteType: shape.string(o, 'concreteType'),
    parentId: shape.optionalString(o, 'parentId'),
    modifiedOn: shape.optionalString(o, 'modifiedOn'),
  };
  if (entity.concreteType !== DOCKER_REPOSITORY_TYPE) return entity;
  return { ...entity, repositoryName: shape.string(o, 'repositoryName'), isManaged: shape.boolean(o, 'isManaged') } as DockerRepository;
}

export function parseEntityId(value: unknown): { id: string } {
  return { id: shape.string(shape.object(value), 'id') };
}

function parseDockerCommit(value: unknown, at: string): DockerCommit {
  const o = shape.object(value, at);
  return { ...o, tag: shape.string(o, 'tag', at), digest: shape.string(o, 'digest', at), createdOn: shape.string(o, 'createdOn', at) };
}

export function parseDockerCommits(value: unknown): PaginatedResults<DockerCommit> {
  const o = shape.object(value);
  return {
    totalNumberOfResults: shape.optionalNumber(o, 'totalNumberOfResults') ?? 0,
    results: shape.list(o, 'results', parseDockerCommit),
  };
}

/** The flags preflight and the target picker read; the others pass through. */
export function parsePermissions(value: unknown): UserEntityPermissions {
  const o = shape.object(value);
  return {
    ...o,
    canView: shape.boolean(o, 'canView'),
    canEdit: shape.boolean(o, 'canEdit'),
    canCertifiedUserEdit: shape.boolean(o, 'canCertifiedUserEdit'),
    canAddChild: shape.boolean(o, 'canAddChild'),
    canCertifiedUserAddChild: shape.boolean(o, 'canCertifiedUserAddChild'),
    canDownload: shape.boolean(o, 'canDownload'),
    canUpload: o.canUpload as boolean,
    isCertifiedUser: shape.boolean(o, 'isCertifiedUser'),
  };
}

export function parseRestrictionInformation(value: unknown): RestrictionInformation {
  const o = shape.object(value);
  const detail = (item: unknown, at: string) => {
    const d = shape.object(item, at);
    return { accessRequirementId: shape.optionalNumber(d, 'accessRequirementId', at) ?? 0, isMet: shape.optionalBoolean(d, 'isMet', at) };
  };
  return {
    hasUnmetAccessRequirement: shape.boolean(o, 'hasUnmetAccessRequirement'),
    restrictionLevel: shape.optionalString(o, 'restrictionLevel'),
    restrictionDetails: shape.optionalList(o, 'restrictionDetails', detail) ?? [],
  };
}

export function parseAccessRequirement(value: unknown): AccessRequirement {
  const o = shape.object(value);
  return {
    id: shape.optionalNumber(o, 'id') ?? 0,
    concreteType: shape.string(o, 'concreteType'),
    isTwoFaRequired: shape.optionalBoolean(o, 'isTwoFaRequired'),
  };
}
