// Before any byte moves: would Synapse let this user push (or pull) this image? The registry only
// ever says "denied"; these checks say why, and what to do about it (synapse-api.md §2.7, §3.4, §3.6).
// Only Synapse's REST API is asked (never the registry), with the few requests needed, in parallel
// where they are independent (the client keeps Synapse at 3 in flight).
import type { ImageReference } from '../naming';
import type { SynapseClient } from '../synapse/client';
import { SynapseError } from '../synapse/errors';
import { Entity, PROJECT_TYPE, UserEntityPermissions } from '../synapse/types';

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
  | 'cannot-download';

export interface PreflightRefusal {
  code: PreflightCode;
  /** What is wrong, naming the entity ("syn123 is a Folder, not a project."). */
  message: string;
  /** What the user can do about it. */
  fix: string;
  /** A page that helps (certification quiz, token page, the entity on Synapse). */
  link?: string;
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
  /** True when no refusal was found (the registry may still refuse for reasons Synapse cannot tell). */
  allowed: boolean;
  refusals: PreflightRefusal[];
  /** The repository's entity id when it already exists. */
  repositoryId?: string;
  /** Push only: the push will create a new repository in the project. */
  createsRepository?: boolean;
}

/** Scopes each direction needs (synapse-api.md §3.4; `view` for Synapse's own answers). */
const NEEDED_SCOPES = { push: ['view', 'modify'], pull: ['view', 'download'] } as const;

function portal(options: PreflightOptions, place: string): string {
  return `${options.portalUrl.replace(/\/+$/, '')}/${place}`;
}

function repositoryName(reference: ImageReference): string {
  return `${reference.registry}/${reference.path}`;
}

function typeName(entity: Entity): string {
  const simple = entity.concreteType.split('.').pop() ?? entity.concreteType;
  if (simple === 'FileEntity') return 'File';
  if (simple === 'DockerRepository') return 'Docker repository';
  if (simple === 'EntityView') return 'View';
  return simple;
}

type Settled<T> = { ok: true; value: T } | { ok: false; error: SynapseError };

async function settle<T>(promise: Promise<T>): Promise<Settled<T>> {
  try {
    return { ok: true, value: await promise };
  } catch (error) {
    if (error instanceof SynapseError) return { ok: false, error };
    throw error;
  }
}

/** A 401 or a missing-scope 403 means the token itself is the problem: say so, once. */
function tokenRefusal(error: SynapseError, options: PreflightOptions): PreflightRefusal | undefined {
  if (error.kind === 'unauthenticated') {
    return {
      code: 'token-invalid',
      message: `Synapse rejected your personal access token${error.reason ? ` (${error.reason})` : ''}.`,
      fix: 'Sign in again with a valid personal access token.',
      link: portal(options, 'PersonalAccessTokens:0'),
    };
  }
  if (error.missingScope) {
    return {
      code: 'token-scope',
      message: `Your personal access token lacks a scope Synapse needs: ${error.reason ?? error.message}`,
      fix: 'Create a personal access token with the view, download and modify scopes and sign in with it.',
      link: portal(options, 'PersonalAccessTokens:0'),
    };
  }
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
  const list = missing.join(' and ');
  return {
    code: 'token-scope',
    message: `Your personal access token lacks the ${list} scope${missing.length > 1 ? 's' : ''}, which a ${action} needs.`,
    fix: 'Create a personal access token with the view, download and modify scopes and sign in with it.',
    link: portal(options, 'PersonalAccessTokens:0'),
  };
}

function notSignedIn(options: PreflightOptions): PreflightResult {
  return {
    allowed: false,
    refusals: [
      {
        code: 'not-signed-in',
        message: 'You are not signed in to Synapse; the registry gives anonymous users no access.',
        fix: 'Sign in with a personal access token that has the view, download and modify scopes.',
        link: portal(options, 'PersonalAccessTokens:0'),
      },
    ],
  };
}

function certificationRefusal(options: PreflightOptions): PreflightRefusal {
  return {
    code: 'not-certified',
    message: 'You are not a certified Synapse user; only certified users can push Docker images.',
    fix: 'Pass the Synapse certification quiz, then push again.',
    link: portal(options, 'Quiz:Certification'),
  };
}

/**
 * The project refusals for a project lookup: not found, in the trash, not visible, not a project.
 * Returns the project entity when it is a usable project.
 */
function projectRefusals(
  lookup: Settled<Entity>,
  options: PreflightOptions,
): { refusals: PreflightRefusal[]; project?: Entity } {
  const id = options.reference.projectId;
  if (!lookup.ok) {
    const error = lookup.error;
    if (error.inTrash) {
      return {
        refusals: [
          {
            code: 'project-in-trash',
            message: `The project ${id} is in the trash can.`,
            fix: `Restore ${id} from your trash can on Synapse, or use another project.`,
            link: portal(options, 'Trash:0'),
          },
        ],
      };
    }
    if (error.kind === 'notFound') {
      return {
        refusals: [
          {
            code: 'project-not-found',
            message: `There is no Synapse project ${id}.`,
            fix: 'Check the project ID: the image name must start with the synID of an existing project (registry/synID/name).',
          },
        ],
      };
    }
    if (error.kind === 'forbidden' && !error.missingScope) {
      return {
        refusals: [
          {
            code: 'project-not-visible',
            message: `You don't have access to the project ${id}.`,
            fix: `Ask an administrator of ${id} to share it with you, or use a project of your own.`,
            link: portal(options, `Synapse:${id}`),
          },
        ],
      };
    }
    return { refusals: [fail(error, options)] };
  }
  const entity = lookup.value;
  if (entity.concreteType !== PROJECT_TYPE) {
    const parent = entity.parentId ? ` It is inside ${entity.parentId}; use the project's synID instead.` : '';
    return {
      refusals: [
        {
          code: 'not-a-project',
          message: `${id} is a ${typeName(entity)}, not a project.`,
          fix: `Docker repositories belong directly to a project: the image name must start with a project's synID (registry/synID/name).${parent}`,
          link: portal(options, `Synapse:${id}`),
        },
      ],
    };
  }
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

  const project = projectRefusals(projectLookup, options);
  if (project.refusals.length) {
    for (const refusal of project.refusals) if (!refusals.some((r) => r.code === refusal.code)) refusals.push(refusal);
    return { allowed: false, refusals };
  }

  if (!repositoryLookup.ok) {
    const error = repositoryLookup.error;
    if (error.inTrash) {
      refusals.push({
        code: 'repository-in-trash',
        message: `The repository ${repositoryName(reference)} is in the trash can; the registry refuses pushes to it.`,
        fix: 'Restore the repository from your trash can on Synapse, or push under another name.',
        link: portal(options, 'Trash:0'),
      });
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
    const permissions = await settle(client.getPermissions(repositoryId, signal));
    if (!permissions.ok) {
      if (permissions.error.inTrash) {
        refusals.push({
          code: 'repository-in-trash',
          message: `The repository ${repositoryName(reference)} (${repositoryId}) is in the trash can; the registry refuses pushes to it.`,
          fix: 'Restore the repository from your trash can on Synapse, or push under another name.',
          link: portal(options, 'Trash:0'),
        });
      } else {
        refusals.push(fail(permissions.error, options));
      }
      return { allowed: false, refusals, repositoryId };
    }
    const p = permissions.value;
    if (!p.canEdit) {
      if (!p.isCertifiedUser) refusals.push(certificationRefusal(options));
      if (!p.canCertifiedUserEdit || p.isCertifiedUser) refusals.push(editRefusal(options, repositoryId));
    }
    return { allowed: refusals.length === 0, refusals, repositoryId, createsRepository: false };
  }

  if (!projectPermissions.ok) {
    refusals.push(fail(projectPermissions.error, options));
    return { allowed: false, refusals };
  }
  const p: UserEntityPermissions = projectPermissions.value;
  if (!p.canAddChild) {
    if (!p.isCertifiedUser) refusals.push(certificationRefusal(options));
    if (!p.canCertifiedUserAddChild || p.isCertifiedUser) {
      const name = project.project?.name ? ` (${project.project.name})` : '';
      refusals.push({
        code: 'cannot-create-repository',
        message: `You can't create a repository in ${reference.projectId}${name}: pushing a new repository needs permission to add content to the project.`,
        fix: `Ask an administrator of ${reference.projectId} for edit access (or push to a project you can edit).`,
        link: portal(options, `Synapse:${reference.projectId}`),
      });
    }
  }
  return { allowed: refusals.length === 0, refusals, createsRepository: true };
}

function editRefusal(options: PreflightOptions, repositoryId: string | undefined): PreflightRefusal {
  const name = repositoryName(options.reference);
  return {
    code: 'cannot-edit-repository',
    message: `You can't push to ${name}${repositoryId ? ` (${repositoryId})` : ''}: it exists and you don't have edit access to it.`,
    fix: `Ask a project admin of ${options.reference.projectId} for edit access to the repository, or push under a new name.`,
    link: portal(options, `Synapse:${repositoryId ?? options.reference.projectId}`),
  };
}

/**
 * Predicts a pull: scopes (download), the repository exists and is not in the trash, and the
 * user may download it. When the repository is missing, the project is looked up to say why.
 */
export async function inspectPull(options: PreflightOptions): Promise<PreflightResult> {
  const { client, reference, signal } = options;
  if (!client) return notSignedIn(options);
  const refusals: PreflightRefusal[] = [];
  const scope = scopeRefusal('pull', options);
  if (scope) refusals.push(scope);
  if (scope && !options.scopes?.includes('view')) return { allowed: false, refusals };

  const name = repositoryName(reference);
  const lookup = await settle(client.findDockerRepositoryId(name, signal));
  if (!lookup.ok) {
    const error = lookup.error;
    if (error.inTrash) {
      refusals.push({
        code: 'repository-in-trash',
        message: `The repository ${name} is in the trash can.`,
        fix: 'Ask its owner to restore it from the trash can on Synapse.',
      });
    } else if (error.kind === 'forbidden' && !error.missingScope) {
      refusals.push(downloadRefusal(options, undefined));
    } else {
      refusals.push(fail(error, options));
    }
    return { allowed: false, refusals };
  }

  const repositoryId = lookup.value;
  if (!repositoryId) {
    // Say why it is missing: the project may be the problem.
    const project = projectRefusals(await settle(client.getEntity(reference.projectId, signal)), options);
    if (project.refusals.length) refusals.push(...project.refusals.filter((r) => !refusals.some((e) => e.code === r.code)));
    else {
      refusals.push({
        code: 'repository-not-found',
        message: `There is no repository ${name} on Synapse.`,
        fix: `Check the name (and the tag list in ${reference.projectId}'s Docker tab): a repository appears after its first push.`,
        link: portal(options, `Synapse:${reference.projectId}`),
      });
    }
    return { allowed: false, refusals };
  }

  const permissions = await settle(client.getPermissions(repositoryId, signal));
  if (!permissions.ok) {
    if (permissions.error.inTrash) {
      refusals.push({
        code: 'repository-in-trash',
        message: `The repository ${name} (${repositoryId}) is in the trash can.`,
        fix: 'Ask its owner to restore it from the trash can on Synapse.',
      });
    } else refusals.push(fail(permissions.error, options));
    return { allowed: false, refusals, repositoryId };
  }
  if (!permissions.value.canDownload) refusals.push(downloadRefusal(options, repositoryId));
  return { allowed: refusals.length === 0, refusals, repositoryId };
}

function downloadRefusal(options: PreflightOptions, repositoryId: string | undefined): PreflightRefusal {
  const name = repositoryName(options.reference);
  return {
    code: 'cannot-download',
    message: `You don't have download access to ${name}${repositoryId ? ` (${repositoryId})` : ''}.`,
    fix: `Ask an administrator of ${options.reference.projectId} for download access to the repository.`,
    link: portal(options, `Synapse:${repositoryId ?? options.reference.projectId}`),
  };
}

/** The reasons Synapse would refuse this push (empty: nothing Synapse can see stands in the way). */
export async function checkPushAllowed(options: PreflightOptions): Promise<PreflightRefusal[]> {
  return (await inspectPush(options)).refusals;
}

/** The reasons Synapse would refuse this pull (empty: nothing Synapse can see stands in the way). */
export async function checkPullAllowed(options: PreflightOptions): Promise<PreflightRefusal[]> {
  return (await inspectPull(options)).refusals;
}
