// The sentences of a permission check (permissions.ts decides; this file only says it): what
// is wrong, naming the entity, what to do about it, and the page that helps. Every sentence is
// built here once, whole, for translators.
import * as l10n from '@vscode/l10n';
import type { ImageReference } from '../naming';
import { portalBase } from './endpoint';
import { termsOfUseFix, termsOfUseProblem } from './errors';
import { missingScopesSentence } from './pat';
import type { Entity } from './types';
import type { PreflightOptions, PreflightRefusal } from './permissions';

function portal(options: PreflightOptions, place: string): string {
  return `${portalBase(options.portalUrl)}/${place}`;
}

export function repositoryName(reference: ImageReference): string {
  return `${reference.registry}/${reference.path}`;
}

/** The translated names of the entity types a user may mistake for a project (called lazily: l10n is configured at activation). */
const TYPE_NAMES: Record<string, () => string> = {
  FileEntity: () => l10n.t({ message: 'File', comment: ['A Synapse entity type, as in "syn123 is a File, not a project."'] }),
  DockerRepository: () =>
    l10n.t({ message: 'Docker repository', comment: ['A Synapse entity type, as in "syn123 is a Docker repository, not a project."'] }),
  EntityView: () =>
    l10n.t({ message: 'View', comment: ['A Synapse entity type (a table view), as in "syn123 is a View, not a project."'] }),
  Folder: () => l10n.t({ message: 'Folder', comment: ['A Synapse entity type, as in "syn123 is a Folder, not a project."'] }),
  Link: () => l10n.t({ message: 'Link', comment: ['A Synapse entity type, as in "syn123 is a Link, not a project."'] }),
  Dataset: () => l10n.t({ message: 'Dataset', comment: ['A Synapse entity type, as in "syn123 is a Dataset, not a project."'] }),
};

export function typeName(entity: Entity): string {
  const simple = entity.concreteType.split('.').pop() ?? entity.concreteType;
  const known = Object.prototype.hasOwnProperty.call(TYPE_NAMES, simple) ? TYPE_NAMES[simple] : undefined;
  return known ? known() : simple;
}

/** What to do about a token without the scopes a push or pull needs. */
export function newTokenFix(): string {
  return l10n.t('Create a personal access token with the view, download and modify scopes and sign in with it.');
}

/** 403 "Terms of use have not been signed.": every call answers it; the fix is on the web site. */
export function termsRefusal(options: PreflightOptions): PreflightRefusal {
  return { code: 'terms-of-use', message: termsOfUseProblem(), fix: termsOfUseFix(options.portalUrl), link: portalBase(options.portalUrl) };
}

export function notSignedInRefusal(options: PreflightOptions): PreflightRefusal {
  return {
    code: 'not-signed-in',
    message: l10n.t('You are not signed in to Synapse; the registry gives anonymous users no access.'),
    fix: l10n.t('Sign in with a personal access token that has the view, download and modify scopes.'),
    link: portal(options, 'PersonalAccessTokens:0'),
  };
}

export function certificationRefusal(options: PreflightOptions): PreflightRefusal {
  return {
    code: 'not-certified',
    message: l10n.t('You are not a certified Synapse user; only certified users can push Docker images.'),
    fix: l10n.t('Pass the Synapse certification quiz, then push again.'),
    link: portal(options, 'Quiz:Certification'),
  };
}

/** The repository is in the trash can: the pusher can restore it; a puller must ask its owner. */
export function trashedRepositoryRefusal(
  options: PreflightOptions,
  action: 'push' | 'pull',
  repositoryId: string | undefined,
): PreflightRefusal {
  const name = repositoryName(options.reference);
  if (action === 'push') {
    return {
      code: 'repository-in-trash',
      message: repositoryId
        ? l10n.t({
            message: 'The repository {0} ({1}) is in the trash can; the registry refuses pushes to it.',
            args: [name, repositoryId],
            comment: ['{0} is the repository name (registry/synID/name); {1} is its Synapse ID (syn123).'],
          })
        : l10n.t('The repository {0} is in the trash can; the registry refuses pushes to it.', name),
      fix: l10n.t('Restore the repository from your trash can on Synapse, or push under another name.'),
      link: portal(options, 'Trash:0'),
    };
  }
  return {
    code: 'repository-in-trash',
    message: repositoryId
      ? l10n.t({
          message: 'The repository {0} ({1}) is in the trash can.',
          args: [name, repositoryId],
          comment: ['{0} is the repository name (registry/synID/name); {1} is its Synapse ID (syn123).'],
        })
      : l10n.t('The repository {0} is in the trash can.', name),
    fix: l10n.t('Ask its owner to restore it from the trash can on Synapse.'),
  };
}

export function editRefusal(options: PreflightOptions, repositoryId: string | undefined): PreflightRefusal {
  const name = repositoryName(options.reference);
  return {
    code: 'cannot-edit-repository',
    message: repositoryId
      ? l10n.t({
          message: "You can't push to {0} ({1}): it exists and you don't have edit access to it.",
          args: [name, repositoryId],
          comment: ['{0} is the repository name (registry/synID/name); {1} is its Synapse ID (syn123).'],
        })
      : l10n.t("You can't push to {0}: it exists and you don't have edit access to it.", name),
    fix: l10n.t('Ask a project admin of {0} for edit access to the repository, or push under a new name.', options.reference.projectId),
    link: portal(options, `Synapse:${repositoryId ?? options.reference.projectId}`),
  };
}

/** No DOWNLOAD in the sharing settings (or no way to tell more). */
export function plainDownloadRefusal(
  options: PreflightOptions,
  repositoryId: string | undefined,
  action: 'push' | 'pull',
): PreflightRefusal {
  const name = repositoryName(options.reference);
  let message: string;
  if (action === 'push') {
    message = repositoryId
      ? l10n.t({
          message: "You can't push to {0} ({1}) without download access to it: the registry asks for pull access with every push.",
          args: [name, repositoryId],
          comment: ['{0} is the repository name (registry/synID/name); {1} is its Synapse ID (syn123).'],
        })
      : l10n.t("You can't push to {0} without download access to it: the registry asks for pull access with every push.", name);
  } else {
    message = repositoryId
      ? l10n.t({
          message: "You don't have download access to {0} ({1}).",
          args: [name, repositoryId],
          comment: ['{0} is the repository name (registry/synID/name); {1} is its Synapse ID (syn123).'],
        })
      : l10n.t("You don't have download access to {0}.", name);
  }
  return {
    code: 'cannot-download',
    advisory: true,
    message,
    fix: l10n.t('Ask an administrator of {0} for download access to the repository.', options.reference.projectId),
    link: portal(options, `Synapse:${repositoryId ?? options.reference.projectId}`),
  };
}

export function tokenInvalidRefusal(options: PreflightOptions, reason: string | undefined): PreflightRefusal {
  return {
    code: 'token-invalid',
    message: reason
      ? l10n.t({
          message: 'Synapse rejected your personal access token ({0}).',
          args: [reason],
          comment: ['{0} is the reason Synapse gave, in English.'],
        })
      : l10n.t('Synapse rejected your personal access token.'),
    fix: l10n.t('Sign in again with a valid personal access token.'),
    link: portal(options, 'PersonalAccessTokens:0'),
  };
}

/** Synapse answered 403 for a scope the token lacks (`reason`: its words). */
export function tokenScopeRefusal(options: PreflightOptions, reason: string): PreflightRefusal {
  return {
    code: 'token-scope',
    message: l10n.t({
      message: 'Your personal access token lacks a scope Synapse needs: {0}',
      args: [reason],
      comment: ['{0} is the reason Synapse gave, in English.'],
    }),
    fix: newTokenFix(),
    link: portal(options, 'PersonalAccessTokens:0'),
  };
}

/** The token's own claims lack scopes the action needs (known before asking Synapse). */
export function missingScopesRefusal(options: PreflightOptions, missing: readonly string[], action: 'push' | 'pull'): PreflightRefusal {
  return {
    code: 'token-scope',
    message: missingScopesSentence(missing, action),
    fix: newTokenFix(),
    link: portal(options, 'PersonalAccessTokens:0'),
  };
}

/** A push to an existing repository, with a token without download (which it needs as well). */
export function existingRepositoryScopeRefusal(options: PreflightOptions, missing: readonly string[]): PreflightRefusal {
  return {
    code: 'token-scope',
    message:
      missing.length === 1
        ? l10n.t(
            'This personal access token lacks the download scope, which a push to an existing repository needs: the registry asks for pull access with every push.',
          )
        : missingScopesSentence(missing, 'push'),
    fix: newTokenFix(),
    link: portal(options, 'PersonalAccessTokens:0'),
  };
}

export function projectInTrashRefusal(options: PreflightOptions): PreflightRefusal {
  const id = options.reference.projectId;
  return {
    code: 'project-in-trash',
    message: l10n.t('The project {0} is in the trash can.', id),
    fix: l10n.t('Restore {0} from your trash can on Synapse, or use another project.', id),
    link: portal(options, 'Trash:0'),
  };
}

export function projectNotFoundRefusal(options: PreflightOptions): PreflightRefusal {
  return {
    code: 'project-not-found',
    message: l10n.t('There is no Synapse project {0}.', options.reference.projectId),
    fix: l10n.t('Check the project ID: the image name must start with the synID of an existing project (registry/synID/name).'),
  };
}

export function projectNotVisibleRefusal(options: PreflightOptions): PreflightRefusal {
  const id = options.reference.projectId;
  return {
    code: 'project-not-visible',
    message: l10n.t("You don't have access to the project {0}.", id),
    fix: l10n.t('Ask an administrator of {0} to share it with you, or use a project of your own.', id),
    link: portal(options, `Synapse:${id}`),
  };
}

export function notAProjectRefusal(options: PreflightOptions, entity: Entity): PreflightRefusal {
  const id = options.reference.projectId;
  return {
    code: 'not-a-project',
    message: l10n.t({
      message: '{0} is a {1}, not a project.',
      args: [id, typeName(entity)],
      comment: ['{0} is a Synapse ID (syn123); {1} is an entity type name such as File, Folder or Docker repository.'],
    }),
    fix: entity.parentId
      ? l10n.t({
          message:
            "Docker repositories belong directly to a project: the image name must start with a project's synID (registry/synID/name). It is inside {0}; use the project's synID instead.",
          args: [entity.parentId],
          comment: ["{0} is the Synapse ID (syn123) of the entity's parent."],
        })
      : l10n.t("Docker repositories belong directly to a project: the image name must start with a project's synID (registry/synID/name)."),
    link: portal(options, `Synapse:${id}`),
  };
}

export function cannotCreateRepositoryRefusal(options: PreflightOptions, projectName: string | undefined): PreflightRefusal {
  const { reference } = options;
  return {
    code: 'cannot-create-repository',
    message: projectName
      ? l10n.t({
          message: "You can't create a repository in {0} ({1}): pushing a new repository needs permission to add content to the project.",
          args: [reference.projectId, projectName],
          comment: ["{0} is the project's Synapse ID (syn123); {1} is the project's name."],
        })
      : l10n.t(
          "You can't create a repository in {0}: pushing a new repository needs permission to add content to the project.",
          reference.projectId,
        ),
    fix: l10n.t('Ask an administrator of {0} for edit access (or push to a project you can edit).', reference.projectId),
    link: portal(options, `Synapse:${reference.projectId}`),
  };
}

export function repositoryNotFoundRefusal(options: PreflightOptions): PreflightRefusal {
  const { reference } = options;
  return {
    code: 'repository-not-found',
    message: l10n.t('There is no repository {0} on Synapse.', repositoryName(reference)),
    fix: l10n.t({
      message: "Check the name (and the tag list in {0}'s Docker tab): a repository appears after its first push.",
      args: [reference.projectId],
      comment: ["{0} is the project's Synapse ID (syn123); the Docker tab is the project's tab on the Synapse website."],
    }),
    link: portal(options, `Synapse:${reference.projectId}`),
  };
}

export function accessRequirementRefusal(options: PreflightOptions, repositoryId: string, action: 'push' | 'pull'): PreflightRefusal {
  return {
    code: 'access-requirement',
    advisory: true,
    message: l10n.t({
      message: '{0} ({1}) has an access requirement you have not met, so Synapse does not let you download it.',
      args: [repositoryName(options.reference), repositoryId],
      comment: ['{0} is the repository name (registry/synID/name); {1} is its Synapse ID (syn123).'],
    }),
    fix:
      action === 'push'
        ? l10n.t("Request access on the repository's page on Synapse, then push again: the registry asks for pull access with every push.")
        : l10n.t("Request access on the repository's page on Synapse, then pull again."),
    link: portal(options, `Synapse:${repositoryId}`),
  };
}

export function twoFactorRequiredRefusal(options: PreflightOptions, repositoryId: string, action: 'push' | 'pull'): PreflightRefusal {
  return {
    code: 'two-factor-required',
    advisory: true,
    message: l10n.t({
      message:
        '{0} ({1}) has an access requirement that needs two-factor authentication, which your Synapse account does not have enabled.',
      args: [repositoryName(options.reference), repositoryId],
      comment: ['{0} is the repository name (registry/synID/name); {1} is its Synapse ID (syn123).'],
    }),
    fix:
      action === 'push'
        ? l10n.t(
            'Enable two-factor authentication in your Synapse account settings, then push again: the registry asks for pull access with every push.',
          )
        : l10n.t('Enable two-factor authentication in your Synapse account settings, then pull again.'),
    link: portal(options, 'Profile:v/settings'),
  };
}
