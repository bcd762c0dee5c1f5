// Before any byte moves: would Synapse let this user push (or pull) this image? The registry only
// ever says "denied"; these checks say why, and what to do about it (synapse-api.md §2.7, §3.4, §3.6).
// Only Synapse's REST API is asked (never the registry), with the few requests needed, in parallel
// where they are independent (the client keeps Synapse at 3 in flight).
import * as l10n from '@vscode/l10n';
import type { ImageReference } from '../naming';
import type { SynapseClient } from '../synapse/client';
import { SynapseError } from '../synapse/errors';
import { missingScopesSentence } from '../synapse/pat';
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

/** The translated names of the entity types a user may mistake for a project (called lazily: l10n is configured at activation). */
const TYPE_NAMES: Record<string, () => string> = {
  FileEntity: () => l10n.t({ message: 'File', comment: ['A Synapse entity type, as in "syn123 is a File, not a project."'] }),
  DockerRepository: () =>
    l10n.t({ message: 'Docker repository', comment: ['A Synapse entity type, as in "syn123 is a Docker repository, not a project."'] }),
  EntityView: () => l10n.t({ message: 'View', comment: ['A Synapse entity type (a table view), as in "syn123 is a View, not a project."'] }),
  Folder: () => l10n.t({ message: 'Folder', comment: ['A Synapse entity type, as in "syn123 is a Folder, not a project."'] }),
  Link: () => l10n.t({ message: 'Link', comment: ['A Synapse entity type, as in "syn123 is a Link, not a project."'] }),
  Dataset: () => l10n.t({ message: 'Dataset', comment: ['A Synapse entity type, as in "syn123 is a Dataset, not a project."'] }),
};

function typeName(entity: Entity): string {
  const simple = entity.concreteType.split('.').pop() ?? entity.concreteType;
  const known = Object.prototype.hasOwnProperty.call(TYPE_NAMES, simple) ? TYPE_NAMES[simple] : undefined;
  return known ? known() : simple;
}

/** What to do about a token without the scopes a push or pull needs. */
function newTokenFix(): string {
  return l10n.t('Create a personal access token with the view, download and modify scopes and sign in with it.');
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
      message: error.reason
        ? l10n.t({
            message: 'Synapse rejected your personal access token ({0}).',
            args: [error.reason],
            comment: ['{0} is the reason Synapse gave, in English.'],
          })
        : l10n.t('Synapse rejected your personal access token.'),
      fix: l10n.t('Sign in again with a valid personal access token.'),
      link: portal(options, 'PersonalAccessTokens:0'),
    };
  }
  if (error.missingScope) {
    return {
      code: 'token-scope',
      message: l10n.t({
        message: 'Your personal access token lacks a scope Synapse needs: {0}',
        args: [error.reason ?? error.message],
        comment: ['{0} is the reason Synapse gave, in English.'],
      }),
      fix: newTokenFix(),
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
  return {
    code: 'token-scope',
    message: missingScopesSentence(missing, action),
    fix: newTokenFix(),
    link: portal(options, 'PersonalAccessTokens:0'),
  };
}

function notSignedIn(options: PreflightOptions): PreflightResult {
  return {
    allowed: false,
    refusals: [
      {
        code: 'not-signed-in',
        message: l10n.t('You are not signed in to Synapse; the registry gives anonymous users no access.'),
        fix: l10n.t('Sign in with a personal access token that has the view, download and modify scopes.'),
        link: portal(options, 'PersonalAccessTokens:0'),
      },
    ],
  };
}

function certificationRefusal(options: PreflightOptions): PreflightRefusal {
  return {
    code: 'not-certified',
    message: l10n.t('You are not a certified Synapse user; only certified users can push Docker images.'),
    fix: l10n.t('Pass the Synapse certification quiz, then push again.'),
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
            message: l10n.t('The project {0} is in the trash can.', id),
            fix: l10n.t('Restore {0} from your trash can on Synapse, or use another project.', id),
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
            message: l10n.t('There is no Synapse project {0}.', id),
            fix: l10n.t('Check the project ID: the image name must start with the synID of an existing project (registry/synID/name).'),
          },
        ],
      };
    }
    if (error.kind === 'forbidden' && !error.missingScope) {
      return {
        refusals: [
          {
            code: 'project-not-visible',
            message: l10n.t('You don\'t have access to the project {0}.', id),
            fix: l10n.t('Ask an administrator of {0} to share it with you, or use a project of your own.', id),
            link: portal(options, `Synapse:${id}`),
          },
        ],
      };
    }
    return { refusals: [fail(error, options)] };
  }
  const entity = lookup.value;
  if (entity.concreteType !== PROJECT_TYPE) {
    return {
      refusals: [
        {
          code: 'not-a-project',
          message: l10n.t({
            message: '{0} is a {1}, not a project.',
            args: [id, typeName(entity)],
            comment: ['{0} is a Synapse ID (syn123); {1} is an entity type name such as File, Folder or Docker repository.'],
          }),
          fix: entity.parentId
            ? l10n.t({
                message:
                  'Docker repositories belong directly to a project: the image name must start with a project\'s synID (registry/synID/name). It is inside {0}; use the project\'s synID instead.',
                args: [entity.parentId],
                comment: ['{0} is the Synapse ID (syn123) of the entity\'s parent.'],
              })
            : l10n.t('Docker repositories belong directly to a project: the image name must start with a project\'s synID (registry/synID/name).'),
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
      const projectName = project.project?.name;
      refusals.push({
        code: 'cannot-create-repository',
        message: projectName
          ? l10n.t({
              message:
                'You can\'t create a repository in {0} ({1}): pushing a new repository needs permission to add content to the project.',
              args: [reference.projectId, projectName],
              comment: ['{0} is the project\'s Synapse ID (syn123); {1} is the project\'s name.'],
            })
          : l10n.t(
              'You can\'t create a repository in {0}: pushing a new repository needs permission to add content to the project.',
              reference.projectId,
            ),
        fix: l10n.t('Ask an administrator of {0} for edit access (or push to a project you can edit).', reference.projectId),
        link: portal(options, `Synapse:${reference.projectId}`),
      });
    }
  }
  return { allowed: refusals.length === 0, refusals, createsRepository: true };
}

/** The repository is in the trash can: the pusher can restore it; a puller must ask its owner. */
function trashedRepositoryRefusal(options: PreflightOptions, action: 'push' | 'pull', repositoryId: string | undefined): PreflightRefusal {
  const name = repositoryName(options.reference);
  if (action === 'push') {
    return {
      code: 'repository-in-trash',
      message: repositoryId
        ? l10n.t({ message: 'The repository {0} ({1}) is in the trash can; the registry refuses pushes to it.', args: [name, repositoryId], comment: ['{0} is the repository name (registry/synID/name); {1} is its Synapse ID (syn123).'] })
        : l10n.t('The repository {0} is in the trash can; the registry refuses pushes to it.', name),
      fix: l10n.t('Restore the repository from your trash can on Synapse, or push under another name.'),
      link: portal(options, 'Trash:0'),
    };
  }
  return {
    code: 'repository-in-trash',
    message: repositoryId
      ? l10n.t({ message: 'The repository {0} ({1}) is in the trash can.', args: [name, repositoryId], comment: ['{0} is the repository name (registry/synID/name); {1} is its Synapse ID (syn123).'] })
      : l10n.t('The repository {0} is in the trash can.', name),
    fix: l10n.t('Ask its owner to restore it from the trash can on Synapse.'),
  };
}

function editRefusal(options: PreflightOptions, repositoryId: string | undefined): PreflightRefusal {
  const name = repositoryName(options.reference);
  return {
    code: 'cannot-edit-repository',
    message: repositoryId
      ? l10n.t({
          message: 'You can\'t push to {0} ({1}): it exists and you don\'t have edit access to it.',
          args: [name, repositoryId],
          comment: ['{0} is the repository name (registry/synID/name); {1} is its Synapse ID (syn123).'],
        })
      : l10n.t('You can\'t push to {0}: it exists and you don\'t have edit access to it.', name),
    fix: l10n.t(
      'Ask a project admin of {0} for edit access to the repository, or push under a new name.',
      options.reference.projectId,
    ),
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
      refusals.push(trashedRepositoryRefusal(options, 'pull', undefined));
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
        message: l10n.t('There is no repository {0} on Synapse.', name),
        fix: l10n.t({
          message: 'Check the name (and the tag list in {0}\'s Docker tab): a repository appears after its first push.',
          args: [reference.projectId],
          comment: ['{0} is the project\'s Synapse ID (syn123); the Docker tab is the project\'s tab on the Synapse website.'],
        }),
        link: portal(options, `Synapse:${reference.projectId}`),
      });
    }
    return { allowed: false, refusals };
  }

  const permissions = await settle(client.getPermissions(repositoryId, signal));
  if (!permissions.ok) {
    refusals.push(permissions.error.inTrash ? trashedRepositoryRefusal(options, 'pull', repositoryId) : fail(permissions.error, options));
    return { allowed: false, refusals, repositoryId };
  }
  if (!permissions.value.canDownload) refusals.push(downloadRefusal(options, repositoryId));
  return { allowed: refusals.length === 0, refusals, repositoryId };
}

function downloadRefusal(options: PreflightOptions, repositoryId: string | undefined): PreflightRefusal {
  const name = repositoryName(options.reference);
  return {
    code: 'cannot-download',
    message: repositoryId
      ? l10n.t({
          message: 'You don\'t have download access to {0} ({1}).',
          args: [name, repositoryId],
          comment: ['{0} is the repository name (registry/synID/name); {1} is its Synapse ID (syn123).'],
        })
      : l10n.t('You don\'t have download access to {0}.', name),
    fix: l10n.t('Ask an administrator of {0} for download access to the repository.', options.reference.projectId),
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
