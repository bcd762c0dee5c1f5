// The one permission evaluator: Synapse's EntityAuthorizationUtils decision chains, over the sandbox's ACLs.
import { ApiError, forbidden, notFound } from './http';
import { ANONYMOUS_USER_ID, AccessType, EntityRecord, OAuthScope, PUBLIC_GROUP_ID, SandboxModel, UserRecord } from './model';

/** Who is calling: a seeded user with the scopes of the token used, or the anonymous user. */
export interface Caller {
  userId: string;
  user?: UserRecord;
  scopes: Set<OAuthScope>;
}

export const anonymousCaller = (): Caller => ({ userId: ANONYMOUS_USER_ID, scopes: new Set() });

const isAnonymous = (caller: Caller): boolean => caller.user === undefined;
const isCertified = (caller: Caller): boolean => caller.user?.certified === true;

/** What the decision chains look at for one entity and one caller. */
export interface PermissionState {
  entity: EntityRecord;
  inTrash: boolean;
  benefactor: EntityRecord;
  /** Access types the benefactor's ACL grants to the caller's principals. */
  granted: Set<AccessType>;
  publicRead: boolean;
  /** Ids of the access requirements on the entity (or above it) the caller has no approval for. */
  unmetRequirements: number[];
  /** A requirement on the entity asks for two-factor authentication and the caller has none. */
  twoFaRequirementNotMet: boolean;
}

export function permissionState(model: SandboxModel, caller: Caller, entity: EntityRecord): PermissionState {
  const benefactor = model.benefactorOf(entity);
  const acl = benefactor.acl ?? new Map();
  const requirements = model.accessRequirementsOf(entity);
  return {
    entity,
    inTrash: model.isInTrash(entity),
    benefactor,
    granted: SandboxModel.granted(acl, model.groupsOf(caller.user)),
    publicRead: acl.get(PUBLIC_GROUP_ID)?.has('READ') ?? false,
    unmetRequirements: requirements.filter((ar) => !ar.approved.has(caller.userId)).map((ar) => ar.id),
    twoFaRequirementNotMet: caller.user?.twoFactorAuthEnabled !== true && requirements.some((ar) => ar.twoFaRequired),
  };
}

// Messages of AuthorizationConstants.
const ANONYMOUS_ONLY_READ = 'Anonymous users have only READ access permission.';
const CERTIFIED_ONLY = 'Only certified users may create or update content in Synapse.';
const lackAccess = (type: string): string => `You lack ${type} access to the requested entity.`;
const cannotRemoveProjectAcl = 'Cannot remove the ACL of a project';
const UNMET_REQUIREMENTS = 'There are unmet access requirements that must be met to read content in the requested container.';
const NEED_TWO_FA = 'You need to enable two factor authentication to access the requested entity.';
/** EntityDeciderFunctions.DENY_IF_DOES_NOT_EXIST (a NotFoundException, so 404). */
export const doesNotExist = (id: string): string => `Resource: '${id}' does not exist`;

/** A step of a decision chain: a final answer (undefined = allowed, ApiError = denied) or no opinion. */
type Rule = (caller: Caller, state: PermissionState) => { denied?: ApiError } | undefined;
const ALLOW = {};
const deny = (error: ApiError) => ({ denied: error });

const denyIfInTrash: Rule = (_c, s) => (s.inTrash ? deny(notFound(`Entity ${s.entity.id} is in trash can.`)) : undefined);
const denyIfAnonymous: Rule = (c) => (isAnonymous(c) ? deny(forbidden(ANONYMOUS_ONLY_READ)) : undefined);
const denyIfNotCertified: Rule = (c) => (isCertified(c) ? undefined : deny(forbidden(CERTIFIED_ONLY)));
const denyIfNotProjectAndNotCertified: Rule = (c, s) =>
  s.entity.kind === 'project' || isCertified(c) ? undefined : deny(forbidden(CERTIFIED_ONLY));
const denyIfParentIsRoot: Rule = (_c, s) => (s.entity.parentId === null ? deny(forbidden(cannotRemoveProjectAcl)) : undefined);
const grantIfCreator: Rule = (c, s) => (c.userId === s.entity.createdBy ? ALLOW : undefined);
const grantIf =
  (type: AccessType): Rule =>
  (_c, s) =>
    s.granted.has(type) ? ALLOW : undefined;
const denyLacking =
  (type: string): Rule =>
  () =>
    deny(forbidden(lackAccess(type)));
const denyIfUnmetRequirements: Rule = (_c, s) => (s.unmetRequirements.length > 0 ? deny(forbidden(UNMET_REQUIREMENTS)) : undefined);
const denyIfTwoFaRequirementNotMet: Rule = (_c, s) => (s.twoFaRequirementNotMet ? deny(forbidden(NEED_TWO_FA)) : undefined);

/**
 * The chains of EntityAuthorizationUtils (no admins, exemptions or open data in the sandbox).
 * CREATE is checked with a non-project child type (permissions endpoint and docker push), so it needs certification.
 */
const CHAINS: Record<AccessType | 'ENABLE_INHERITANCE', Rule[]> = {
  READ: [denyIfInTrash, grantIf('READ'), denyLacking('READ')],
  DOWNLOAD: [
    denyIfInTrash,
    denyIfUnmetRequirements,
    denyIfTwoFaRequirementNotMet,
    denyIfAnonymous,
    grantIf('DOWNLOAD'),
    denyLacking('DOWNLOAD'),
  ],
  UPDATE: [denyIfInTrash, denyIfAnonymous, denyIfNotProjectAndNotCertified, grantIf('UPDATE'), denyLacking('UPDATE')],
  CREATE: [denyIfInTrash, denyIfAnonymous, denyIfNotCertified, grantIf('CREATE'), denyLacking('CREATE')],
  DELETE: [denyIfInTrash, denyIfAnonymous, grantIf('DELETE'), denyLacking('DELETE')],
  MODERATE: [denyIfInTrash, denyIfAnonymous, grantIf('MODERATE'), denyLacking('MODERATE')],
  CHANGE_SETTINGS: [
    denyIfInTrash,
    denyIfAnonymous,
    denyIfNotCertified,
    grantIfCreator,
    grantIf('CHANGE_SETTINGS'),
    denyLacking('CHANGE_SETTINGS'),
  ],
  CHANGE_PERMISSIONS: [denyIfInTrash, denyIfAnonymous, grantIf('CHANGE_PERMISSIONS'), denyLacking('CHANGE_PERMISSIONS')],
  ENABLE_INHERITANCE: [
    denyIfInTrash,
    denyIfParentIsRoot,
    denyIfAnonymous,
    grantIf('CHANGE_PERMISSIONS'),
    denyLacking('CHANGE_PERMISSIONS'),
  ],
};

/** undefined when allowed, else the error Synapse would answer with. */
export function denial(caller: Caller, state: PermissionState, type: AccessType | 'ENABLE_INHERITANCE'): ApiError | undefined {
  for (const rule of CHAINS[type]) {
    const outcome = rule(caller, state);
    if (outcome) return outcome.denied;
  }
  return forbidden(lackAccess(type));
}

export const allowed = (caller: Caller, state: PermissionState, type: AccessType | 'ENABLE_INHERITANCE'): boolean =>
  denial(caller, state, type) === undefined;

/** Finds an entity the caller must have `type` access to, throwing 400/404/403 as Synapse does. */
export function entityWithAccess(model: SandboxModel, caller: Caller, rawId: string, type: AccessType): EntityRecord {
  const entity = existingEntity(model, rawId);
  const error = denial(caller, permissionState(model, caller, entity), type);
  if (error) throw error;
  return entity;
}

export function existingEntity(model: SandboxModel, id: string): EntityRecord {
  const entity = model.entities.get(id);
  if (!entity) throw notFound(doesNotExist(id));
  return entity;
}

/**
 * getUserPermissionsForEntity on an id that does not exist: every decision is denied, but the flags that do not
 * come from the entity (canUpload, isCertificationRequired, isCertifiedUser) are still the caller's, and there is
 * no owner.
 */
export function missingEntityPermissions(caller: Caller): Record<string, unknown> {
  return {
    canView: false,
    canEdit: false,
    canCertifiedUserEdit: false,
    canMove: false,
    canAddChild: false,
    canCertifiedUserAddChild: false,
    canChangePermissions: false,
    canChangeSettings: false,
    canDelete: false,
    canDownload: false,
    canUpload: !isAnonymous(caller),
    canModerate: false,
    canEnableInheritance: false,
    canPublicRead: false,
    isCertifiedUser: isCertified(caller),
    isCertificationRequired: true,
    isEntityOpenData: false,
    isDataContributor: false,
  };
}

/** UserEntityPermissions as EntityAuthorizationUtils.getUserPermissionsForEntity computes it. */
export function userEntityPermissions(caller: Caller, state: PermissionState): Record<string, unknown> {
  const can = (type: AccessType | 'ENABLE_INHERITANCE'): boolean => allowed(caller, state, type);
  const canEdit = can('UPDATE');
  const canChangePermissions = can('CHANGE_PERMISSIONS');
  return {
    canView: can('READ'),
    canEdit,
    canCertifiedUserEdit: !state.inTrash && state.granted.has('UPDATE'),
    canMove: canEdit && canChangePermissions,
    canAddChild: can('CREATE'),
    canCertifiedUserAddChild: !state.inTrash && state.granted.has('CREATE'),
    canChangePermissions,
    canChangeSettings: can('CHANGE_SETTINGS'),
    canDelete: can('DELETE'),
    canDownload: can('DOWNLOAD'),
    canUpload: !isAnonymous(caller),
    canModerate: can('MODERATE'),
    canEnableInheritance: can('ENABLE_INHERITANCE'),
    canPublicRead: state.publicRead,
    isCertifiedUser: isCertified(caller),
    isCertificationRequired: true,
    isEntityOpenData: false,
    isDataContributor: state.granted.has('UPDATE') && state.granted.has('DELETE'),
    ownerPrincipalId: Number(state.entity.createdBy),
  };
}
