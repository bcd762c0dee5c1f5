// Before any byte moves: would Synapse let this user push (or pull) this image? The registry only
// ever says "denied"; these checks say why, and what to do about it (synapse-api.md §2.7, §3.4, §3.6).
// This file decides (which refusals, from Synapse's answers); permissionMessages.ts words them.
// Only Synapse is involved: no Docker engine or registry connection is needed.
// Only Synapse's REST API is asked (never the registry), with the few requests needed, in parallel
// where they are independent (the client keeps Synapse at 3 in flight).
import type { ImageReference } from '../naming';
import type { SynapseClient } from './client';
import { SynapseError } from './errors';
import { REQUIRED_SCOPES } from './pat';
import { Entity, PROJECT_TYPE, UserEntityPermissions } from './types';
import {
  accessRequirementRefusal,
  cannotCreateRepositoryRefusal,
  certificationRefusal,
  editRefusal,
  existingRepositoryScopeRefusal,
  missingScopesRefusal,
  notAProjectRefusal,
  notSignedInRefusal,
  plainDownloadRefusal,
  projectInTrashRefusal,
  projectNotFoundRefusal,
  projectNotVisibleRefusal,
  repositoryName,
  repositoryNotFoundRefusal,
  termsRefusal,
  tokenInvalidRefusal,
  tokenScopeRefusal,
  trashedRepositoryRefusal,
  twoFactorRequiredRefusal,
} from './permissionMessages';

export type PreflightCode =
  | 'not-signed-in'
  | 'token-invalid'
  | 'token-scope'
  | 'not-certified'
  | 'project-not-found'
  | 'project-in-trash'
  | 'project-not-visible'
  | 'not-a-project'
  | 'cannot-create-repository'
  | 'cannot-edit-repository'
  | 'repository-not-found'
  | 'repository-in-trash'
  | 'cannot-download'
  | 'access-requirement'
  | 'two-factor-required'
  | 'terms-of-use';

export interface PreflightRefusal {
  code: PreflightCode;
  /** What is wrong, naming the entity ("syn123 is a Folder, not a project."). */
  message: string;
  /** What the user can do about it. */
  fix: string;
  /** A page that helps (certification quiz, token page, the entity on Synapse). */
  link?: string;
  /**
   * Synapse's answers predict a refusal, but the registry decides and may still allow it (pull is also granted
   * through an evaluation queue's READ_PRIVATE_SUBMISSION): warn, go on, and use this to explain a denial.
   */
  advisory?: boolean;
}

export interface PreflightOptions {
  /** The signed-in user's client; undefined when nobody is signed in. */
  client?: SynapseClient;
  /** The parsed image reference (naming.ts). */
  reference: ImageReference;
  /** The token's scopes (pat.ts readTokenClaims); undefined when they cannot be read (not a JWT). */
  scopes?: readonly string[];
  /** The Synapse web portal, e.g. https://www.synapse.org (for links in fixes). */
  portalUrl: string;
  signal?: AbortSignal;
}

export interface PreflightResult {
  /** True when no refusal is certain (advisory ones may remain; the registry may still refuse). */
  allowed: boolean;
  refusals: PreflightRefusal[];
  /** The repository's entity id when it already exists. */
  repositoryId?: string;
  /** Push only: the push will create a new repository in the project. */
  createsRepository?: boolean;
}

/**
 * Scopes each direction needs before anything is known about the repository (the one table in pat.ts,
 * synapse-api.md §3.4): a push needs at least what creating the repository needs; a push to an existing
 * repository also needs `download` (checked once it is found).
 */
const NEEDED_SCOPES = { push: REQUIRED_SCOPES.createRepository, pull: REQUIRED_SCOPES.pull } as const;

type Settled<T> = { ok: true; value: T } | { ok: false; error: SynapseError };

async function settle<T>(promise: Promise<T>): Promise<Settled<T>> {
  try {
    return { ok: true, value: await promise };
  } catch (error) {
    if (error instanceof SynapseError) return { ok: false, error };
    throw error;
  }
}

/** The terms-of-use refusal when any of these answers is one (then nothing else Synapse said means anything). */
function termsOfUseIn(options: PreflightOptions, ...answers: Array<Settled<unknown>>): PreflightResult | undefined {
  return answers.some((answer) => !answer.ok && answer.error.termsOfUseNotSigned)
    ? { allowed: false, refusals: [termsRefusal(options)] }
    : undefined;
}

/** A 401 or a missing-scope 403 means the token itself is the problem: say so, once. */
function tokenRefusal(error: SynapseError, options: PreflightOptions): PreflightRefusal | undefined {
  if (error.termsOfUseNotSigned) return termsRefusal(options);
  if (error.kind === 'unauthenticated') return tokenInvalidRefusal(options, error.reason);
  if (error.missingScope) return tokenScopeRefusal(options, error.reason ?? error.message);
  return undefined;
}

function fail(error: SynapseError, options: PreflightOptions): PreflightRefusal {
  const refusal = tokenRefusal(error, options);
  if (refusal) return refusal;
  throw error; // network trouble, 5xx, cancellation: not a refusal, the caller reports it
}

function scopeRefusal(action: 'push' | 'pull', options: PreflightOptions): PreflightRefusal | undefined {
  if (!options.scopes) return undefined;
  const missing = NEEDED_SCOPES[action].filter((scope) => !options.scopes!.includes(scope));
  if (!missing.length) return undefined;
  return missingScopesRefusal(options, missing, action);
}

function notSignedIn(options: PreflightOptions): PreflightResult {
  return { allowed: false, refusals: [notSignedInRefusal(options)] };
}

/**
 * The project refusals for a project lookup: not found, in the trash, not visible, not a project.
 * Returns the project entity when it is a usable project.
 */
function projectRefusals(lookup: Settled<Entity>, options: PreflightOptions): { refusals: PreflightRefusal[]; project?: Entity } {
  if (!lookup.ok) {
    const error = lookup.error;
    if (error.inTrash) return { refusals: [projectInTrashRefusal(options)] };
    if (error.kind === 'notFound') return { refusals: [projectNotFoundRefusal(options)] };
    if (error.kind === 'forbidden' && !error.missingScope) return { refusals: [projectNotVisibleRefusal(options)] };
    return { refusals: [fail(error, options)] };
  }
  const entity = lookup.value;
  if (entity.concreteType !== PROJECT_TYPE) return { refusals: [notAProjectRefusal(options, entity)] };
  return { refusals: [], project: entity };
}

/**
 * Predicts a push: scopes (modify), the project (exists, is a project, not in the trash), then
 * either CREATE in the project (new repository) or UPDATE on the repository (existing one),
 * both of which need certification.
 */
export async function inspectPush(options: PreflightOptions): Promise<PreflightResult> {
  const { client, reference, signal } = options;
  if (!client) return notSignedIn(options);
  const refusals: PreflightRefusal[] = [];
  const scope = scopeRefusal('push', options);
  if (scope) refusals.push(scope);
  if (scope && !options.scopes?.includes('view')) return { allowed: false, refusals }; // Synapse would answer nothing

  const [repositoryLookup, projectLookup, projectPermissions] = await Promise.all([
    settle(client.findDockerRepositoryId(repositoryName(reference), signal)),
    settle(client.getEntity(reference.projectId, signal)),
    settle(client.getPermissions(reference.projectId, signal)),
  ]);
  const terms = termsOfUseIn(options, repositoryLookup, projectLookup, projectPermissions);
  if (terms) return terms;

  const project = projectRefusals(projectLookup, options);
  if (project.refusals.length) {
    for (const refusal of project.refusals) if (!refusals.some((r) => r.code === refusal.code)) refusals.push(refusal);
    return { allowed: false, refusals };
  }

  if (!repositoryLookup.ok) {
    const error = repositoryLookup.error;
    if (error.inTrash) {
      refusals.push(trashedRepositoryRefusal(options, 'push', undefined));
      return { allowed: false, refusals };
    }
    if (error.kind === 'forbidden' && !error.missingScope) {
      // It exists, but the user cannot even read it: certainly no edit access.
      refusals.push(editRefusal(options, undefined));
      return { allowed: false, refusals };
    }
    refusals.push(fail(error, options));
    return { allowed: false, refusals };
  }

  const repositoryId = repositoryLookup.value;
  if (repositoryId) {
    // The registry asks for pull with every push (distribution's appendAccessRecords), and Synapse grants pull
    // on an existing repository only with the download scope: a view+modify token is refused on it.
    const scopeForExisting = existingRepositoryScope(options);
    if (scopeForExisting) {
      const at = refusals.findIndex((r) => r.code === 'token-scope');
      if (at >= 0) refusals.splice(at, 1, scopeForExisting);
      else refusals.push(scopeForExisting);
    }
    const permissions = await settle(client.getPermissions(repositoryId, signal));
    if (!permissions.ok) {
      refusals.push(permissions.error.inTrash ? trashedRepositoryRefusal(options, 'push', repositoryId) : fail(permissions.error, options));
      return { allowed: false, refusals, repositoryId };
    }
    const p = permissions.value;
    if (!p.canEdit) {
      if (!p.isCertifiedUser) refusals.push(certificationRefusal(options));
      if (!p.canCertifiedUserEdit || p.isCertifiedUser) refusals.push(editRefusal(options, repositoryId));
    }
    // Only worth asking why when nothing certain stands in the way already.
    if (p.canEdit && !p.canDownload && !scopeForExisting) refusals.push(await downloadRefusal(options, repositoryId, 'push'));
    return { allowed: refusals.every((r) => r.advisory), refusals, repositoryId, createsRepository: false };
  }

  if (!projectPermissions.ok) {
    refusals.push(fail(projectPermissions.error, options));
    return { allowed: false, refusals };
  }
  const p: UserEntityPermissions = projectPermissions.value;
  if (!p.canAddChild) {
    if (!p.isCertifiedUser) refusals.push(certificationRefusal(options));
    if (!p.canCertifiedUserAddChild || p.isCertifiedUser) {
      refusals.push(cannotCreateRepositoryRefusal(options, project.project?.name));
    }
  }
  return { allowed: refusals.length === 0, refusals, createsRepository: true };
}

/** The token-scope refusal for a push to an existing repository (which needs download as well), if any. */
function existingRepositoryScope(options: PreflightOptions): PreflightRefusal | undefined {
  if (!options.scopes || options.scopes.includes('download')) return undefined;
  return existingRepositoryScopeRefusal(
    options,
    REQUIRED_SCOPES.push.filter((scope) => !options.scopes!.includes(scope)),
  );
}

/**
 * Predicts a pull: scopes (download) are certain; everything else Synapse says is advisory, because the
 * registry may grant a pull Synapse's REST answers do not show (a challenge organiser pulls a submitted image
 * through READ_PRIVATE_SUBMISSION, synapse-api.md §3.4): the refusals are kept to warn and to explain a denial.
 */
export async function inspectPull(options: PreflightOptions): Promise<PreflightResult> {
  const { client } = options;
  if (!client) return notSignedIn(options);
  const refusals: PreflightRefusal[] = [];
  const scope = scopeRefusal('pull', options);
  if (scope) refusals.push(scope);
  if (scope && !options.scopes?.includes('view')) return { allowed: false, refusals };

  const found = await predictPull(options, client);
  if (found.terms) return found.terms;
  for (const refusal of found.refusals) {
    if (refusal.code === 'token-invalid' || refusal.code === 'token-scope' || refusal.code === 'terms-of-use') refusals.push(refusal);
    else if (!refusals.some((r) => r.code === refusal.code)) refusals.push({ ...refusal, advisory: true });
  }
  return { allowed: refusals.every((r) => r.advisory), refusals, repositoryId: found.repositoryId };
}

/** What Synapse's answers say about a pull (before the refusals are marked advisory). */
async function predictPull(
  options: PreflightOptions,
  client: SynapseClient,
): Promise<{ refusals: PreflightRefusal[]; repositoryId?: string; terms?: PreflightResult }> {
  const { reference, signal } = options;
  const name = repositoryName(reference);
  const lookup = await settle(client.findDockerRepositoryId(name, signal));
  const terms = termsOfUseIn(options, lookup);
  if (terms) return { refusals: [], terms };
  if (!lookup.ok) {
    const error = lookup.error;
    if (error.inTrash) return { refusals: [trashedRepositoryRefusal(options, 'pull', undefined)] };
    if (error.kind === 'forbidden' && !error.missingScope) return { refusals: [plainDownloadRefusal(options, undefined, 'pull')] };
    return { refusals: [fail(error, options)] };
  }
  const repositoryId = lookup.value;
  if (!repositoryId) {
    // Say why it is missing: the project may be the problem.
    const projectLookup = await settle(client.getEntity(reference.projectId, signal));
    const projectTerms = termsOfUseIn(options, projectLookup);
    if (projectTerms) return { refusals: [], terms: projectTerms };
    const project = projectRefusals(projectLookup, options);
    if (project.refusals.length) return { refusals: project.refusals };
    return { refusals: [repositoryNotFoundRefusal(options)] };
  }
  const permissions = await settle(client.getPermissions(repositoryId, signal));
  const permissionTerms = termsOfUseIn(options, permissions);
  if (permissionTerms) return { refusals: [], terms: permissionTerms };
  if (!permissions.ok) {
    return {
      refusals: [permissions.error.inTrash ? trashedRepositoryRefusal(options, 'pull', repositoryId) : fail(permissions.error, options)],
      repositoryId,
    };
  }
  if (permissions.value.canDownload) return { refusals: [], repositoryId };
  return { refusals: [await downloadRefusal(options, repositoryId, 'pull')], repositoryId };
}

/** At most this many access requirements are read to find one that asks for two-factor authentication. */
const MAX_REQUIREMENTS_READ = 3;

/**
 * DOWNLOAD is refused: say why, as Synapse decides it (EntityAuthorizationUtils.determineDownloadAccess): an
 * unmet access requirement, then a requirement that needs two-factor authentication the user has not enabled,
 * then the sharing settings. Advisory: the registry may still grant the pull (see PreflightRefusal.advisory).
 */
async function downloadRefusal(options: PreflightOptions, repositoryId: string, action: 'push' | 'pull'): Promise<PreflightRefusal> {
  const { client, signal } = options;
  const restrictions = await settle(client!.getRestrictionInformation(repositoryId, signal));
  if (restrictions.ok && restrictions.value.hasUnmetAccessRequirement) {
    return accessRequirementRefusal(options, repositoryId, action);
  }
  if (restrictions.ok && restrictions.value.restrictionDetails.length > 0) {
    const ids = restrictions.value.restrictionDetails.map((detail) => detail.accessRequirementId).slice(0, MAX_REQUIREMENTS_READ);
    const [profile, ...requirements] = await Promise.all([
      settle(client!.getUserProfile(signal)),
      ...ids.map((id) => settle(client!.getAccessRequirement(id, signal))),
    ]);
    const twoFactorEnabled = profile.ok && (profile.value as { twoFactorAuthEnabled?: unknown }).twoFactorAuthEnabled === true;
    const needsTwoFactor = requirements.some((requirement) => requirement.ok && requirement.value.isTwoFaRequired === true);
    if (profile.ok && !twoFactorEnabled && needsTwoFactor) {
      return twoFactorRequiredRefusal(options, repositoryId, action);
    }
  }
  return plainDownloadRefusal(options, repositoryId, action);
}

/**
 * The reasons Synapse would refuse this push (empty: nothing Synapse can see stands in the way). Refusals
 * marked `advisory` are warnings: go on and let the registry decide.
 */
export async function checkPushAllowed(options: PreflightOptions): Promise<PreflightRefusal[]> {
  return (await inspectPush(options)).refusals;
}

/**
 * The reasons Synapse would refuse this pull (empty: nothing Synapse can see stands in the way). Refusals
 * marked `advisory` are warnings: go on and let the registry decide.
 */
export async function checkPullAllowed(options: PreflightOptions): Promise<PreflightRefusal[]> {
  return (await inspectPull(options)).refusals;
}
