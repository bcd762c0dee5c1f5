// The Synapse REST endpoints under /repo/v1 the extension uses (synapse-api.md §2, §6).
import {
  ApiError,
  badRequest,
  booleanParam,
  enumParam,
  integerParam,
  isoDate,
  notFound,
  parseEnum,
  parseJsonObject,
  requiredParam,
} from './http';
import {
  ANONYMOUS_USER_ID,
  AUTHENTICATED_USERS_GROUP_ID,
  CERTIFIED_USERS_GROUP_ID,
  ENTITY_CLASS,
  ENTITY_TYPES,
  EntityRecord,
  OAuthScope,
  PUBLIC_GROUP_ID,
  ROOT_ENTITY_ID,
  SandboxModel,
  UserRecord,
  normalizeEntityId,
} from './model';
import { EVALUATION_ROUTES } from './evaluations';
import { benefactorHandler, createAcl, deleteAcl, getAcl, principalHeadersByIds, principalHeadersByPrefix, updateAcl } from './aclApi';
import { pageByToken } from './paging';
import {
  Caller,
  allowed,
  doesNotExist,
  entityWithAccess,
  missingEntityPermissions,
  permissionState,
  userEntityPermissions,
} from './permissions';

export interface RepoRequest {
  method: string;
  /** Path after /repo/v1. */
  path: string;
  query: URLSearchParams;
  body: string;
  caller: Caller;
}

type Handler = (model: SandboxModel, request: RepoRequest, params: string[]) => unknown;

interface Route {
  method: string;
  pattern: RegExp;
  /** OAuth scopes the PAT must carry (RequiredScope annotations; every read here needs view). */
  scopes: OAuthScope[];
  handler: Handler;
}

const SORT_DIRECTIONS = ['ASC', 'DESC'] as const;
const SORT_DIRECTION_CLASS = 'org.sagebionetworks.repo.model.entity.SortDirection';
const ANONYMOUS_ETAG = '00000000-0000-0000-0000-000000000000';

/** Compares by a key, then by numeric id so equal keys still order deterministically. */
function sortEntities<T extends EntityRecord>(entities: T[], key: (entity: T) => number | string, direction: 'ASC' | 'DESC'): T[] {
  const sign = direction === 'ASC' ? 1 : -1;
  const idNumber = (entity: EntityRecord): number => Number(entity.id.slice(3));
  return [...entities].sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    const byKey = ka < kb ? -1 : ka > kb ? 1 : 0;
    return sign * (byKey !== 0 ? byKey : idNumber(a) - idNumber(b));
  });
}

function requireEntityId(raw: string): string {
  const id = normalizeEntityId(raw);
  if (!id) throw badRequest(`Invalid Entity ID: ${raw}`);
  return id;
}

function userProfile(user: UserRecord | undefined): Record<string, unknown> {
  if (!user) return { ownerId: ANONYMOUS_USER_ID, etag: ANONYMOUS_ETAG, userName: 'anonymous', emails: [], openIds: [] };
  return {
    ownerId: user.ownerId,
    etag: user.etag,
    firstName: user.firstName,
    lastName: user.lastName,
    emails: [user.email],
    openIds: [],
    userName: user.userName,
    ...user.profile,
    createdOn: isoDate(user.createdOn),
    twoFactorAuthEnabled: user.twoFactorAuthEnabled,
  };
}

function entityJson(entity: EntityRecord): Record<string, unknown> {
  const json: Record<string, unknown> = {
    name: entity.name,
    ...(entity.description !== undefined ? { description: entity.description } : {}),
    id: entity.id,
    etag: entity.etag,
    createdOn: isoDate(entity.createdOn),
    modifiedOn: isoDate(entity.modifiedOn),
    createdBy: entity.createdBy,
    modifiedBy: entity.modifiedBy,
    parentId: entity.parentId ?? ROOT_ENTITY_ID,
    concreteType: ENTITY_CLASS[entity.kind],
  };
  if (entity.kind === 'dockerrepo') {
    json.repositoryName = entity.repositoryName;
    json.isManaged = entity.isManaged;
  }
  return json;
}

function entityHeader(model: SandboxModel, entity: EntityRecord): Record<string, unknown> {
  return {
    name: entity.name,
    id: entity.id,
    type: ENTITY_CLASS[entity.kind],
    versionNumber: 1,
    versionLabel: '1',
    benefactorId: Number(model.benefactorOf(entity).id.slice(3)),
    createdOn: isoDate(entity.createdOn),
    modifiedOn: isoDate(entity.modifiedOn),
    createdBy: entity.createdBy,
    modifiedBy: entity.modifiedBy,
    isLatestVersion: true,
  };
}

// GET /userProfile
const getMyProfile: Handler = (_model, { caller }) => userProfile(caller.user);

// GET /user/bundle?mask=: bits 0x1 profile, 0x8 isCertified, 0x10 isVerified, 0x20 isACTMember, 0x40 isARReviewer.
const getMyBundle: Handler = (_model, { caller, query }) => {
  const maskText = requiredParam(query, 'mask', 'int');
  if (!/^\d+$/.test(maskText))
    throw badRequest(`Failed to convert value of type 'java.lang.String' to required type 'int'; For input string: "${maskText}"`);
  const mask = Number(maskText);
  const bundle: Record<string, unknown> = { userId: caller.userId };
  if (mask & 0x1) bundle.userProfile = userProfile(caller.user);
  if (mask & 0x8) bundle.isCertified = caller.user?.certified ?? false;
  if (mask & 0x10) bundle.isVerified = false;
  if (mask & 0x20) bundle.isACTMember = false;
  if (mask & 0x40) bundle.isARReviewer = false;
  return bundle;
};

// GET /user/{id}/certifiedUserPassingRecord: 404 for users who never passed the quiz.
const getPassingRecord: Handler = (model, _request, [id]) => {
  const user = model.users.get(id);
  if (!user || !user.certified) throw notFound(`No quiz results for user ${id}`);
  return {
    userId: user.ownerId,
    quizId: 1,
    responseId: Number(user.ownerId) + 1_000_000,
    score: 10,
    passed: true,
    passedOn: isoDate(user.certifiedOn),
    revoked: false,
    certified: true,
    corrections: [],
  };
};

// GET /projects: projects shared with the caller (or their teams) through the project ACL.
const PROJECT_LIST_TYPES = ['ALL', 'CREATED', 'PARTICIPATED', 'TEAM'] as const;
const PROJECT_SORT_COLUMNS = ['LAST_ACTIVITY', 'PROJECT_NAME'] as const;
const listProjects: Handler = (model, { caller, query }) => {
  const filter = enumParam(query, 'filter', PROJECT_LIST_TYPES, 'org.sagebionetworks.repo.model.ProjectListType', 'ALL');
  const sort = enumParam(
    query,
    'sort',
    PROJECT_SORT_COLUMNS,
    'org.sagebionetworks.repo.model.entity.query.ProjectListSortColumn',
    'LAST_ACTIVITY',
  );
  const direction = enumParam(query, 'sortDirection', SORT_DIRECTIONS, SORT_DIRECTION_CLASS, 'DESC');
  const teamId = query.get('teamId');
  if (teamId !== null && !/^\d+$/.test(teamId))
    throw badRequest(`Failed to convert value of type 'java.lang.String' to required type 'java.lang.Long'; For input string: "${teamId}"`);
  if (filter !== 'TEAM' && teamId !== null) throw badRequest("Cannot specify 'teamId' when filter is not TEAM.");

  // The caller's principals minus PUBLIC, AUTHENTICATED_USERS and CERTIFIED_USERS (and self for TEAM).
  const groups = model.groupsOf(caller.user);
  for (const publicGroup of [PUBLIC_GROUP_ID, AUTHENTICATED_USERS_GROUP_ID, CERTIFIED_USERS_GROUP_ID]) groups.delete(publicGroup);
  if (filter === 'TEAM') {
    groups.delete(caller.userId);
    if (teamId !== null) {
      if (!groups.has(teamId)) throw badRequest(`User ${caller.userId} is not a member of team ${teamId}`);
      groups.clear();
      groups.add(teamId);
    }
  }
  if (!caller.user) groups.clear(); // the anonymous user shares in no project

  const visible = model.projects().filter((project) => {
    if (model.isInTrash(project) || !project.acl) return false;
    if (!SandboxModel.granted(project.acl, groups).has('READ')) return false;
    if (filter === 'CREATED') return project.createdBy === caller.userId;
    if (filter === 'PARTICIPATED') return project.createdBy !== caller.userId;
    return true;
  });
  const sorted =
    sort === 'PROJECT_NAME'
      ? sortEntities(visible, (p) => p.name.toLowerCase(), direction)
      : sortEntities(visible, (p) => p.lastActivity ?? p.createdOn, direction); // coalesce(lastAccessed, createdOn)
  const page = pageByToken(sorted, query.get('nextPageToken'));
  return {
    results: page.items.map((project) => ({
      id: project.id,
      name: project.name,
      ...(project.lastActivity !== undefined ? { lastActivity: isoDate(project.lastActivity) } : {}),
      modifiedOn: isoDate(project.modifiedOn),
      modifiedBy: Number(project.modifiedBy),
    })),
    ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}),
  };
};

// POST /entity/children
const CHILDREN_SORT = ['NAME', 'CREATED_ON', 'MODIFIED_ON'] as const;
const listChildren: Handler = (model, { caller, body }) => {
  const request = parseJsonObject(body);
  const optionalString = (name: string): string | null => {
    const value = request[name];
    if (value === undefined || value === null) return null;
    if (typeof value !== 'string') throw badRequest(`EntityChildrenRequest.${name} must be a string`);
    return value;
  };
  const rawParent = optionalString('parentId');
  let includeTypes: string[];
  if (rawParent === null) {
    includeTypes = ['project']; // a null parentId lists the projects the caller can read
  } else {
    const types = request.includeTypes;
    if (types === undefined || types === null) throw badRequest('EntityChildrenRequest.includeTypes is required.');
    if (!Array.isArray(types)) throw badRequest('EntityChildrenRequest.includeTypes must be an array');
    includeTypes = types.map((type) => parseEnum(String(type), ENTITY_TYPES, 'org.sagebionetworks.repo.model.EntityType'));
    if (includeTypes.length === 0) throw badRequest('EntityChildrenRequest.includeTypes must include at least one type');
  }
  const sortBy = parseEnum(optionalString('sortBy') ?? 'NAME', CHILDREN_SORT, 'org.sagebionetworks.repo.model.entity.SortBy');
  const direction = parseEnum(optionalString('sortDirection') ?? 'ASC', SORT_DIRECTIONS, SORT_DIRECTION_CLASS);

  const parentId = rawParent === null ? ROOT_ENTITY_ID : requireEntityId(rawParent);
  const candidates =
    parentId === ROOT_ENTITY_ID
      ? model.projects().filter((project) => !model.isInTrash(project)) // no READ check on the root
      : model.children(entityWithAccess(model, caller, parentId, 'READ').id);
  // Children the caller cannot read are left out (trashed ones were moved out of the parent).
  const visible = candidates.filter(
    (child) => includeTypes.includes(child.kind) && allowed(caller, permissionState(model, caller, child), 'READ'),
  );
  const key =
    sortBy === 'NAME'
      ? (e: EntityRecord) => e.name.toLowerCase()
      : sortBy === 'CREATED_ON'
        ? (e: EntityRecord) => e.createdOn
        : (e: EntityRecord) => e.modifiedOn;
  const page = pageByToken(sortEntities(visible, key, direction), optionalString('nextPageToken'));
  return {
    page: page.items.map((child) => entityHeader(model, child)),
    ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}),
    ...(request.includeTotalChildCount === true ? { totalChildCount: visible.length } : {}),
    ...(request.includeSumFileSizes === true ? { sumFileSizesBytes: 0 } : {}),
  };
};

// GET /entity/{id}
const getEntity: Handler = (model, { caller }, [id]) => entityJson(entityWithAccess(model, caller, requireEntityId(id), 'READ'));

// GET /entity/dockerRepo/id?repositoryName=
const getRepositoryId: Handler = (model, { caller, query }) => {
  const name = requiredParam(query, 'repositoryName');
  if (name.trim() === '') throw badRequest('repositoryName is required and must not be the empty string.');
  const id = model.managedRepositoryId(name);
  if (!id) throw notFound(`A repository named ${name} does not exist or it is not a managed repository.`);
  entityWithAccess(model, caller, id, 'READ');
  return { id };
};

// GET /entity/{id}/dockerTag: the newest commit per tag, paged by limit/offset with an estimated total.
const DOCKER_COMMIT_SORT = ['CREATED_ON', 'TAG'] as const;
const listDockerTags: Handler = (model, { caller, query }, [id]) => {
  const sort = enumParam(query, 'sort', DOCKER_COMMIT_SORT, 'org.sagebionetworks.repo.model.docker.DockerCommitSortBy', 'CREATED_ON');
  const ascending = booleanParam(query, 'ascending', false);
  const limit = integerParam(query, 'limit', 10);
  const offset = integerParam(query, 'offset', 0);
  const repository = entityWithAccess(model, caller, requireEntityId(id), 'READ');
  if (repository.kind !== 'dockerrepo') throw badRequest('Only Docker reposiory entities have commits.'); // sic
  const sign = ascending ? 1 : -1;
  const commits = SandboxModel.latestCommitPerTag(repository).sort((a, b) => {
    const [ta, tb] = [a.tag.toLowerCase(), b.tag.toLowerCase()]; // the TAG column's collation ignores case
    const byTag = ta < tb ? -1 : ta > tb ? 1 : 0;
    const byKey = sort === 'TAG' ? byTag : a.createdOn - b.createdOn;
    return sign * (byKey !== 0 ? byKey : byTag);
  });
  const page = commits.slice(offset, offset + limit);
  return {
    // An estimate, as in Synapse: one more than seen when the page is full.
    totalNumberOfResults: offset + page.length + (page.length === limit ? 1 : 0),
    results: page.map((commit) => ({ tag: commit.tag, digest: commit.digest, createdOn: isoDate(commit.createdOn) })),
  };
};

// GET /entity/{id}/permissions: 200 even for an id that does not exist (every decision is then denied).
const getPermissions: Handler = (model, { caller }, [id]) => {
  const entity = model.entities.get(requireEntityId(id));
  if (!entity) return missingEntityPermissions(caller);
  return userEntityPermissions(caller, permissionState(model, caller, entity));
};

// POST /restrictionInformation {restrictableObjectType: ENTITY, objectId}: the caller's access requirements on it.
const RESTRICTABLE_TYPES = ['ENTITY', 'EVALUATION', 'TEAM'] as const;
const getRestrictionInformation: Handler = (model, { caller, body }) => {
  const request = parseJsonObject(body);
  if (typeof request.objectId !== 'string' || request.objectId === '') throw badRequest('The objectId is required.');
  if (typeof request.restrictableObjectType !== 'string') throw badRequest('The restrictableObjectType is required.');
  const type = parseEnum(request.restrictableObjectType, RESTRICTABLE_TYPES, 'org.sagebionetworks.repo.model.RestrictableObjectType');
  if (type !== 'ENTITY') throw badRequest(`Unsupported type: ${type}`);
  const id = requireEntityId(request.objectId);
  const entity = model.entities.get(id);
  if (!entity) throw notFound(doesNotExist(id));
  const state = permissionState(model, caller, entity);
  const requirements = model.accessRequirementsOf(entity);
  const unmet = new Set(state.unmetRequirements);
  return {
    objectId: Number(id.slice(3)),
    restrictionLevel: requirements.length ? 'CONTROLLED_BY_ACT' : 'OPEN',
    hasUnmetAccessRequirement: unmet.size > 0,
    userEntityPermissions: userEntityPermissions(caller, state),
    restrictionDetails: requirements.map((ar) => ({
      accessRequirementId: ar.id,
      isApproved: !unmet.has(ar.id),
      isMet: !unmet.has(ar.id),
      isExempt: false,
    })),
  };
};

// GET /accessRequirement/{id}: the sandbox's requirements are all managed ACT ones restricting DOWNLOAD.
const getAccessRequirement: Handler = (model, _request, [rawId]) => {
  const requirement = /^\d+$/.test(rawId) ? model.accessRequirements.get(Number(rawId)) : undefined;
  if (!requirement) throw notFound(`Access requirement with id ${rawId} does not exist`);
  const owner = model.entities.get(requirement.subjectIds[0]);
  const when = isoDate(owner?.createdOn ?? 0);
  return {
    id: requirement.id,
    etag: `ar-${requirement.id}`,
    createdOn: when,
    modifiedOn: when,
    createdBy: owner?.createdBy ?? ANONYMOUS_USER_ID,
    modifiedBy: owner?.createdBy ?? ANONYMOUS_USER_ID,
    versionNumber: 1,
    subjectIds: requirement.subjectIds.map((id) => ({ id, type: 'ENTITY' })),
    concreteType: 'org.sagebionetworks.repo.model.ManagedACTAccessRequirement',
    accessType: 'DOWNLOAD',
    isTwoFaRequired: requirement.twoFaRequired,
  };
};

const ENTITY_ID = '([^/]+)';
const ROUTES: Route[] = [
  { method: 'GET', pattern: /^\/userProfile$/, scopes: ['view'], handler: getMyProfile },
  { method: 'GET', pattern: /^\/user\/bundle$/, scopes: ['view'], handler: getMyBundle },
  { method: 'GET', pattern: /^\/user\/(\d+)\/certifiedUserPassingRecord$/, scopes: ['view'], handler: getPassingRecord },
  { method: 'GET', pattern: /^\/projects$/, scopes: ['view'], handler: listProjects },
  { method: 'POST', pattern: /^\/entity\/children$/, scopes: ['view'], handler: listChildren },
  { method: 'GET', pattern: /^\/entity\/dockerRepo\/id$/, scopes: ['view'], handler: getRepositoryId },
  { method: 'GET', pattern: new RegExp(`^/entity/${ENTITY_ID}$`), scopes: ['view'], handler: getEntity },
  { method: 'GET', pattern: new RegExp(`^/entity/${ENTITY_ID}/dockerTag$`), scopes: ['view'], handler: listDockerTags },
  { method: 'GET', pattern: new RegExp(`^/entity/${ENTITY_ID}/permissions$`), scopes: ['view'], handler: getPermissions },
  { method: 'POST', pattern: /^\/restrictionInformation$/, scopes: ['view'], handler: getRestrictionInformation },
  // Sharing settings (aclApi.ts): the scopes of EntityController's RequiredScope annotations.
  { method: 'GET', pattern: new RegExp(`^/entity/${ENTITY_ID}/acl$`), scopes: ['view'], handler: getAcl },
  { method: 'POST', pattern: new RegExp(`^/entity/${ENTITY_ID}/acl$`), scopes: ['view', 'modify'], handler: createAcl },
  { method: 'PUT', pattern: new RegExp(`^/entity/${ENTITY_ID}/acl$`), scopes: ['view', 'modify'], handler: updateAcl },
  { method: 'DELETE', pattern: new RegExp(`^/entity/${ENTITY_ID}/acl$`), scopes: ['modify'], handler: deleteAcl },
  { method: 'GET', pattern: new RegExp(`^/entity/${ENTITY_ID}/benefactor$`), scopes: ['view'], handler: benefactorHandler(entityHeader) },
  { method: 'GET', pattern: /^\/userGroupHeaders$/, scopes: ['view'], handler: principalHeadersByPrefix },
  { method: 'GET', pattern: /^\/userGroupHeaders\/batch$/, scopes: ['view'], handler: principalHeadersByIds },
  { method: 'GET', pattern: /^\/accessRequirement\/([^/]+)$/, scopes: ['view'], handler: getAccessRequirement },
  ...EVALUATION_ROUTES,
];

/** Routes a /repo/v1 request; the caller is already authenticated (or anonymous). */
export function handleRepoRequest(model: SandboxModel, request: RepoRequest): unknown {
  const matching = ROUTES.filter((route) => route.pattern.test(request.path));
  if (matching.length === 0) throw notFound(`No API found for: ${request.path}`);
  const route = matching.find((candidate) => candidate.method === request.method);
  if (!route) throw new ApiError(405, `Request method '${request.method}' not supported`);
  // Anonymous calls carry no token and need no scope (OAuthScopeInterceptor).
  if (request.caller.user) {
    const missing = route.scopes.filter((scope) => !request.caller.scopes.has(scope)).sort();
    if (missing.length > 0) {
      throw new ApiError(403, `Request lacks scope(s) required by this service: ${missing.join(', ')}`, 'insufficient_scope');
    }
  }
  const params = route.pattern
    .exec(request.path)!
    .slice(1)
    .map((param) => {
      try {
        return decodeURIComponent(param);
      } catch {
        throw badRequest(`Malformed path parameter: ${param}`);
      }
    });
  return route.handler(model, request, params);
}
