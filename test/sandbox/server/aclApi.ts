// Sharing settings (synapse-api.md §9): GET/POST/PUT/DELETE /entity/{id}/acl, GET /entity/{id}/benefactor,
// and the principal lookups GET /userGroupHeaders?prefix= and /userGroupHeaders/batch?ids=. Rules and texts
// from EntityAclManagerImpl, PermissionsManagerUtils.validateACLContent, DBOAccessControlListDaoImpl and
// UserProfileServiceImpl; statuses from BaseControllerExceptionHandlerAdvice. Every change lands in the one
// model the permission evaluator reads, so the next /permissions or bearerToken call sees it.
import { ApiError, Reply, badRequest, enumParam, forbidden, isoDate, notFound, parseEnum, parseJsonObject, requiredParam } from './http';
import {
  ACCESS_TYPE_ENUM,
  ANONYMOUS_USER_ID,
  AUTHENTICATED_USERS_GROUP_ID,
  AccessType,
  Acl,
  EntityRecord,
  PUBLIC_GROUP_ID,
  SandboxModel,
} from './model';
import { Caller, denial, doesNotExist, permissionState } from './permissions';

/** AccessControlListUtils.ALLOWED_ACCESS_TYPES for ObjectType.ENTITY. */
const ENTITY_ACCESS_TYPES = new Set<string>([
  'CREATE',
  'DOWNLOAD',
  'READ',
  'CHANGE_PERMISSIONS',
  'CHANGE_SETTINGS',
  'DELETE',
  'MODERATE',
  'UPDATE',
  'SEND_MESSAGE',
  'TEAM_MEMBERSHIP_UPDATE',
  'DELETE_SUBMISSION',
  'PARTICIPATE',
  'READ_PRIVATE_SUBMISSION',
  'SUBMIT',
  'UPDATE_SUBMISSION',
  'UPLOAD',
]);
/** Written in this order (the server's set has none; a fixed one keeps answers comparable). */
const ORDER = new Map<string, number>(ACCESS_TYPE_ENUM.map((type, index) => [type, index]));

// Texts of the server.
/** ACLInheritanceException.DEFAULT_MSG_PREFIX + UrlHelpers.createACLRedirectURL (context /repo, servlet /v1). */
export const inheritsFrom = (benefactorId: string): string =>
  `The requested ACL does not exist. This entity inherits its permissions from: /repo/v1/entity/${benefactorId}/acl`;
export const benefactorNotFound = (id: string): string => `Benefactor not found for: ${id}`;
export const ALREADY_HAS_ACL = 'Resource already has an ACL.';
export const ALREADY_INHERITS = 'Resource already inherits its permissions.';
export const UPDATE_INHERITING = 'Cannot update ACL for a resource which inherits its permissions.';
export const NO_PARENT = 'Cannot restore inheritance for resource which has no parent.';
export const REVOKE_OWN = 'Caller is trying to revoke their own ACL editing permissions.';
export const PUBLIC_READ_ONLY = 'Only READ permissions can be assigned to the public group';
export const ANONYMOUS_NOTHING = `Cannot assign permissions to anonymous. To share resources with anonymous users, use the PUBLIC group id (${PUBLIC_GROUP_ID})`;
export const CERTIFIED_TO_LET_AUTHENTICATED_DOWNLOAD = 'Only certified users can allow authenticated users to download.';
export const NO_ACCESS_TYPES = 'No access types specified.';
export const ETAGS_DO_NOT_MATCH = 'E-tags do not match.';

type Handler = (model: SandboxModel, request: { caller: Caller; query: URLSearchParams; body: string }, params: string[]) => unknown;

function entityId(raw: string): string {
  const match = /^(?:syn)?(\d+)$/i.exec(raw.trim());
  if (!match) throw badRequest(`Invalid Entity ID: ${raw}`);
  return `syn${match[1].replace(/^0+(?=\d)/, '')}`;
}

/** NodeDAO.getBenefactor: a missing node has none. */
function nodeAndBenefactor(model: SandboxModel, raw: string): { entity: EntityRecord; benefactor: EntityRecord } {
  const entity = model.entities.get(entityId(raw));
  if (!entity) throw notFound(benefactorNotFound(raw));
  return { entity, benefactor: model.benefactorOf(entity) };
}

export function aclJson(model: SandboxModel, entity: EntityRecord): Record<string, unknown> {
  const { etag, createdOn } = model.aclMetadata(entity);
  return {
    id: entity.id,
    creationDate: isoDate(createdOn),
    etag,
    resourceAccess: [...(entity.acl ?? new Map())].map(([principalId, types]) => ({
      principalId: Number(principalId),
      accessType: [...types].sort((a, b) => (ORDER.get(a) ?? 99) - (ORDER.get(b) ?? 99)),
    })),
  };
}

interface AclBody {
  id?: string;
  etag?: string;
  creationDate?: number;
  /** In the body's order; a principal may appear on several rows, as in the server's set. */
  rows: Array<{ principalId: string; accessType: string[] }>;
}

/** Reads an AccessControlList body the way its JSON adapter does: wrong types are 400s. */
function parseAcl(text: string): AclBody {
  const body = parseJsonObject(text);
  const optionalString = (name: string): string | undefined => {
    const value = body[name];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string') throw badRequest(`AccessControlList.${name} must be a string`);
    return value;
  };
  const created = optionalString('creationDate');
  let creationDate: number | undefined;
  if (created !== undefined) {
    creationDate = Date.parse(created);
    if (Number.isNaN(creationDate)) throw badRequest(`Unparseable date: "${created}"`);
  }
  const rowsValue = body.resourceAccess;
  if (rowsValue !== undefined && rowsValue !== null && !Array.isArray(rowsValue))
    throw badRequest('AccessControlList.resourceAccess must be an array');
  const rows = ((rowsValue ?? []) as unknown[]).map((row) => {
    if (row === null) throw badRequest('ACL row is null.');
    if (typeof row !== 'object' || Array.isArray(row)) throw badRequest('ResourceAccess must be an object');
    const { principalId, accessType } = row as Record<string, unknown>;
    if (principalId === undefined || principalId === null) throw badRequest('Group ID is null');
    if (typeof principalId !== 'number' || !Number.isInteger(principalId))
      throw badRequest('ResourceAccess.principalId must be an integer');
    if (accessType !== undefined && accessType !== null && !Array.isArray(accessType))
      throw badRequest('ResourceAccess.accessType must be an array');
    const types = ((accessType ?? []) as unknown[]).map((type) =>
      parseEnum(String(type), ACCESS_TYPE_ENUM, 'org.sagebionetworks.repo.model.ACCESS_TYPE'),
    );
    return { principalId: String(principalId), accessType: [...new Set(types)] };
  });
  return { id: optionalString('id'), etag: optionalString('etag'), creationDate, rows };
}

/** PermissionsManagerUtils.validateACLContent (no admins in the sandbox). */
function validateAclContent(model: SandboxModel, caller: Caller, acl: AclBody, ownerId: string): void {
  const groups = model.groupsOf(caller.user);
  let callerKeepsChangePermissions = false;
  for (const row of acl.rows) {
    if (row.accessType.length === 0) throw badRequest(NO_ACCESS_TYPES);
    if (groups.has(row.principalId) && row.accessType.includes('CHANGE_PERMISSIONS')) callerKeepsChangePermissions = true;
    if (row.principalId === ANONYMOUS_USER_ID) throw badRequest(ANONYMOUS_NOTHING);
    if (row.principalId === PUBLIC_GROUP_ID && row.accessType.some((type) => type !== 'READ')) throw badRequest(PUBLIC_READ_ONLY);
    if (row.principalId === AUTHENTICATED_USERS_GROUP_ID && row.accessType.includes('DOWNLOAD') && caller.user?.certified !== true) {
      throw new ApiError(403, CERTIFIED_TO_LET_AUTHENTICATED_DOWNLOAD, undefined, 'USER_CERTIFICATION_REQUIRED');
    }
  }
  if (!callerKeepsChangePermissions && caller.userId !== ownerId) throw badRequest(REVOKE_OWN);
}

/** AccessControlListUtils.validateACL and the resource-access rows' foreign key to USER_GROUP. */
function toStoredAcl(model: SandboxModel, acl: AclBody): Acl {
  const stored: Acl = new Map();
  for (const row of acl.rows) {
    for (const type of row.accessType) {
      if (!ENTITY_ACCESS_TYPES.has(type)) throw badRequest(`The access type ${type} is not allowed for ENTITY.`);
    }
    if (!principalExists(model, row.principalId)) {
      // ACL_RESOURCE_ACCESS.GROUP_ID references USER_GROUP: the insert fails, and nothing maps that exception.
      throw new ApiError(
        500,
        `Cannot add or update a child row: a foreign key constraint fails (RESOURCE_ACCESS_GROUP_ID_FK, GROUP_ID ${row.principalId})`,
      );
    }
    const types = stored.get(row.principalId) ?? new Set<AccessType>();
    // The model keeps every entity access type; the evaluator only ever asks about the eight it knows.
    for (const type of row.accessType) types.add(type as AccessType);
    stored.set(row.principalId, types);
  }
  return stored;
}

function principalExists(model: SandboxModel, id: string): boolean {
  return model.users.has(id) || model.teams.has(id) || [PUBLIC_GROUP_ID, AUTHENTICATED_USERS_GROUP_ID, ANONYMOUS_USER_ID, '3'].includes(id);
}

/** The caller must have CHANGE_PERMISSIONS on `entity` (trash and anonymous as the evaluator says). */
function requireChangePermissions(model: SandboxModel, caller: Caller, entity: EntityRecord): void {
  const error = denial(caller, permissionState(model, caller, entity), 'CHANGE_PERMISSIONS');
  if (error) throw error;
}

// GET /entity/{id}/acl: no access check at all (EntityAclManagerImpl.getACL ignores the caller).
export const getAcl: Handler = (model, _request, [raw]) => {
  const { entity, benefactor } = nodeAndBenefactor(model, raw);
  if (benefactor.id !== entity.id) throw notFound(inheritsFrom(benefactor.id));
  return aclJson(model, entity);
};

// POST /entity/{id}/acl: overrideInheritance.
export const createAcl: Handler = (model, { caller, body }, [raw]) => {
  const acl = parseAcl(body);
  const id = entityId(raw); // the controller sets the path's id on the ACL
  const entity = model.entities.get(id);
  if (!entity) throw notFound(doesNotExist(id));
  const benefactor = model.benefactorOf(entity);
  if (benefactor.id === entity.id) throw forbidden(ALREADY_HAS_ACL);
  requireChangePermissions(model, caller, benefactor);
  validateAclContent(model, caller, acl, entity.createdBy);
  const stored = toStoredAcl(model, acl);
  model.touch(entity, caller.userId);
  model.setAcl(entity, stored, acl.creationDate ?? model.clock.now());
  return new Reply(201, aclJson(model, entity));
};

// PUT /entity/{id}/acl: updateACL, the etag deciding a concurrent change (412).
export const updateAcl: Handler = (model, { caller, body }, [raw]) => {
  const acl = parseAcl(body);
  if (raw !== acl.id) throw badRequest(`The path ID: ${raw} does not match the ACL's ID: ${acl.id ?? 'null'}`);
  const { entity, benefactor } = nodeAndBenefactor(model, raw);
  if (benefactor.id !== entity.id) throw forbidden(UPDATE_INHERITING);
  requireChangePermissions(model, caller, entity);
  validateAclContent(model, caller, acl, entity.createdBy);
  // The DAO: required fields and allowed types first, then the etag.
  if (acl.etag === undefined) throw badRequest('acl.etag is required.');
  const stored = toStoredAcl(model, acl);
  if (acl.etag !== model.aclMetadata(entity).etag) throw new ApiError(412, ETAGS_DO_NOT_MATCH);
  model.touch(entity, caller.userId);
  model.setAcl(entity, stored, acl.creationDate ?? model.aclMetadata(entity).createdOn);
  return aclJson(model, entity);
};

// DELETE /entity/{id}/acl: restoreInheritance (204).
export const deleteAcl: Handler = (model, { caller }, [raw]) => {
  const { entity, benefactor } = nodeAndBenefactor(model, raw);
  requireChangePermissions(model, caller, entity);
  if (benefactor.id !== entity.id) throw forbidden(ALREADY_INHERITS);
  if (entity.parentId === null) throw forbidden(NO_PARENT);
  model.touch(entity, caller.userId);
  model.setAcl(entity, null);
  return new Reply(204);
};

// GET /entity/{id}/benefactor: the benefactor's header, which the caller must be able to read.
export function benefactorHandler(entityHeader: (model: SandboxModel, entity: EntityRecord) => Record<string, unknown>): Handler {
  return (model, { caller }, [raw]) => {
    const { benefactor } = nodeAndBenefactor(model, raw);
    const error = denial(caller, permissionState(model, caller, benefactor), 'READ');
    if (error) throw error;
    return entityHeader(model, benefactor);
  };
}

// ---- principals ----

interface PrincipalHeader {
  ownerId: string;
  userName: string;
  firstName?: string;
  lastName?: string;
  isIndividual: boolean;
}

/** The USER_NAME and TEAM_NAME aliases PrincipalAliasDaoImpl.listPrincipalHeaders reads (bootstrap groups included). */
function principalHeader(model: SandboxModel, id: string): PrincipalHeader | undefined {
  const user = model.users.get(id);
  if (user) {
    return {
      ownerId: id,
      userName: user.userName,
      isIndividual: true,
      ...(user.firstName ? { firstName: user.firstName } : {}),
      ...(user.lastName ? { lastName: user.lastName } : {}),
    };
  }
  const team = model.teams.get(id);
  if (team) return { ownerId: id, userName: team.name, isIndividual: false };
  if (id === PUBLIC_GROUP_ID) return { ownerId: id, userName: 'PUBLIC', isIndividual: false };
  if (id === AUTHENTICATED_USERS_GROUP_ID) return { ownerId: id, userName: 'AUTHENTICATED_USERS', isIndividual: false };
  if (id === ANONYMOUS_USER_ID) return { ownerId: id, userName: 'anonymous', isIndividual: true };
  return undefined;
}

/** Java's String.split(","): trailing empty strings dropped, but "" stays [""] (no separator found). */
function javaSplit(text: string): string[] {
  if (!text.includes(',')) return [text];
  const parts = text.split(',');
  while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  return parts;
}

// GET /userGroupHeaders/batch?ids=1,2: the known ones, in the order asked; unknown ids are left out.
export const principalHeadersByIds: Handler = (model, { query }) => {
  const ids = javaSplit(requiredParam(query, 'ids')).map((text) => {
    if (!/^[+-]?\d+$/.test(text)) throw badRequest(`For input string: "${text}"`); // Long.parseLong's NumberFormatException
    return String(Number(text));
  });
  const children = ids.map((id) => principalHeader(model, id)).filter((header): header is PrincipalHeader => header !== undefined);
  return { children, totalNumberOfResults: children.length };
};

/** PrincipalPrefixDAOImpl.preProcessToken: trimmed, lower case, only [a-z0-9]. */
const token = (text: string | undefined): string =>
  (text ?? '')
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '');

const TYPE_FILTERS = ['USERS_ONLY', 'TEAMS_ONLY', 'ALL'] as const;

function integerQuery(query: URLSearchParams, name: string, fallback: number): number {
  const value = query.get(name);
  if (value === null) return fallback;
  if (!/^[+-]?\d+$/.test(value)) {
    throw badRequest(
      `Failed to convert value of type 'java.lang.String' to required type 'java.lang.Integer'; For input string: "${value}"`,
    );
  }
  return Number(value);
}

// GET /userGroupHeaders?prefix=&typeFilter=&offset=&limit=: users by user name, first+last or last+first; teams by name.
export const principalHeadersByPrefix: Handler = (model, { query }) => {
  const prefix = query.get('prefix');
  const filter = enumParam(query, 'typeFilter', TYPE_FILTERS, 'org.sagebionetworks.repo.model.principal.TypeFilter', 'ALL');
  const offset = integerQuery(query, 'offset', 0);
  const limit = integerQuery(query, 'limit', 10);
  const wanted = token(prefix ?? undefined);
  const tokens: Array<{ token: string; id: string; individual: boolean }> = [];
  for (const user of model.users.values()) {
    for (const text of [user.userName, `${user.firstName}${user.lastName}`, `${user.lastName}${user.firstName}`]) {
      const processed = token(text);
      if (processed) tokens.push({ token: processed, id: user.ownerId, individual: true });
    }
  }
  for (const team of model.teams.values()) {
    const processed = token(team.name);
    if (processed) tokens.push({ token: processed, id: team.id, individual: false });
  }
  const matching = tokens
    .filter((entry) => entry.token.startsWith(wanted))
    .filter((entry) => filter === 'ALL' || entry.individual === (filter === 'USERS_ONLY'))
    .sort((a, b) => (a.token < b.token ? -1 : a.token > b.token ? 1 : Number(a.id) - Number(b.id)));
  const ids = [...new Set(matching.map((entry) => entry.id))].slice(offset, offset + limit);
  const children = ids.map((id) => principalHeader(model, id)!);
  return {
    children,
    ...(prefix !== null ? { prefixFilter: prefix } : {}),
    // PaginatedResults.calculateTotalWithLimitAndOffset: an estimate.
    totalNumberOfResults: children.length >= limit ? offset + children.length + 1 : offset + children.length,
  };
};
