// Before any byte moves: would Synapse let this user push (or pull) this image? The registry only
// ever says "denied"; these checks say why, and what to do about it (synapse-api.md §2.7, §3.4, §3.6).
// Only Synapse's REST API is asked (never the registry), with the few requests needed, in parallel
// where they are independent (the client keeps Synapse at 3 in flight).
import * as l10n from '@vscode/l10n';
import type { ImageReference } from '../naming';
import type { SynapseClient } from '../synapse/client';
import { SynapseError, termsOfUseFix, termsOfUseProblem } from '../synapse/errors';
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
 * Scopes each direction needs before anything is known about the repository (synapse-api.md §3.4; `view` for
 * Synapse's own answers). A push to an existing repository also needs `download` (checked once it is found).
 */
const NEEDED_SCOPES = { push: ['view', 'modify'], pull: ['view', 'download'] } as const;
const SCOPE_ORDER = ['view', 'download', 'modify'] as const;

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

/** 403 "Terms of use have not been signed.": every call answers it; the fix is on the web site. */
function termsRefusal(options: PreflightOptions): PreflightRefusal {
  return { code: 'terms-of-use', message: termsOfUseProblem(), fix: termsOfUseFix(options.portalUrl), link: options.portalUrl.replace(/\/+$/, '') };
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
    const scopeForExisting = existingRepositoryScopeRefusal(options);
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

/** The token-scope refusal for a push to an existing repository (which needs download as well), if any. */
function existingRepositoryScopeRefusal(options: PreflightOptions): PreflightRefusal | undefined {
  if (!options.scopes || options.scopes.includes('download')) return undefined;
  const missing = SCOPE_ORDER.filter((scope) => !options.scopes!.includes(scope));
  return {
    code: 'token-scope',
    message: missing.length === 1
      ? l10n.t('This personal access token lacks the download scope, which a push to an existing repository needs: the registry asks for pull access with every push.')
      : missingScopesSentence(missing, 'push'),
    fix: newTokenFix(),
    link: portal(options, 'PersonalAccessTokens:0'),
  };
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
    return {
      refusals: [
        {
          code: 'repository-not-found',
          message: l10n.t('There is no repository {0} on Synapse.', name),
          fix: l10n.t({
            message: 'Check the name (and the tag list in {0}\'s Docker tab): a repository appears after its first push.',
            args: [reference.projectId],
            comment: ['{0} is the project\'s Synapse ID (syn123); the Docker tab is the project\'s tab on the Synapse website.'],
          }),
          link: portal(options, `Synapse:${reference.projectId}`),
        },
      ],
    };
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
  const name = repositoryName(options.reference);
  const restrictions = await settle(client!.getRestrictionInformation(repositoryId, signal));
  if (restrictions.ok && restrictions.value.hasUnmetAccessRequirement) {
    return {
      code: 'access-requirement',
      advisory: true,
      message: l10n.t({
        message: '{0} ({1}) has an access requirement you have not met, so Synapse does not let you download it.',
        args: [name, repositoryId],
        comment: ['{0} is the repository name (registry/synID/name); {1} is its Synapse ID (syn123).'],
      }),
      fix: action === 'push'
        ? l10n.t('Request access on the repository\'s page on Synapse, then push again: the registry asks for pull access with every push.')
        : l10n.t('Request access on the repository\'s page on Synapse, then pull again.'),
      link: portal(options, `Synapse:${repositoryId}`),
    };
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
      return {
        code: 'two-factor-required',
        advisory: true,
        message: l10n.t({
          message: '{0} ({1}) has an access requirement that needs two-factor authentication, which your Synapse account does not have enabled.',
          args: [name, repositoryId],
          comment: ['{0} is the repository name (registry/synID/name); {1} is its Synapse ID (syn123).'],
        }),
        fix: action === 'push'
          ? l10n.t('Enable two-factor authentication in your Synapse account settings, then push again: the registry asks for pull access with every push.')
          : l10n.t('Enable two-factor authentication in your Synapse account settings, then pull again.'),
        link: portal(options, 'Profile:v/settings'),
      };
    }
  }
  return plainDownloadRefusal(options, repositoryId, action);
}

/** No DOWNLOAD in the sharing settings (or no way to tell more). */
function plainDownloadRefusal(options: PreflightOptions, repositoryId: string | undefined, action: 'push' | 'pull'): PreflightRefusal {
  const name = repositoryName(options.reference);
  let message: string;
  if (action === 'push') {
    message = repositoryId
      ? l10n.t({ message: 'You can\'t push to {0} ({1}) without download access to it: the registry asks for pull access with every push.', args: [name, repositoryId], comment: ['{0} is the repository name (registry/synID/name); {1} is its Synapse ID (syn123).'] })
      : l10n.t('You can\'t push to {0} without download access to it: the registry asks for pull access with every push.', name);
  } else {
    message = repositoryId
      ? l10n.t({ message: 'You don\'t have download access to {0} ({1}).', args: [name, repositoryId], comment: ['{0} is the repository name (registry/synID/name); {1} is its Synapse ID (syn123).'] })
      : l10n.t('You don\'t have download access to {0}.', name);
  }
  return {
    code: 'cannot-download',
    advisory: true,
    message,
    fix: l10n.t('Ask an administrator of {0} for download access to the repository.', options.reference.projectId),
    link: portal(options, `Synapse:${repositoryId ?? options.reference.projectId}`),
  };
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
