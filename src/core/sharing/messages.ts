// Every sentence about sharing, in one place: level names, principals, what a change does, and why Synapse
// would refuse it (its own text quoted after the explanation).
import * as l10n from '@vscode/l10n';
import { Capability, LevelId, levelOf as levelFor, OwnAccess, sortAccessTypes } from './levels';
import { Principal, RowChange, RuleCode, RuleProblem, SharingPlan, SharingRow, SharingSettings } from './settings';

export function levelLabel(level: LevelId): string {
  switch (level) {
    case 'view':
      return l10n.t({ message: 'Can view', comment: ['A sharing level of the Synapse web site: READ.'] });
    case 'download':
      return l10n.t({ message: 'Can download', comment: ['A sharing level: READ and DOWNLOAD (enough to pull a Docker image).'] });
    case 'edit':
      return l10n.t({ message: 'Can edit', comment: ['A sharing level: download plus CREATE and UPDATE (enough to push).'] });
    case 'editDelete':
      return l10n.t({ message: 'Can edit & delete', comment: ['A sharing level: edit plus DELETE.'] });
    case 'admin':
      return l10n.t({ message: 'Administrator', comment: ['A sharing level: everything, including changing the sharing settings.'] });
  }
}

/** A row's access: its level's name, or the exact access types when they fit no level. */
export function accessLabel(accessTypes: readonly string[], level?: LevelId): string {
  return level ? levelLabel(level) : sortAccessTypes(accessTypes).join(', ');
}

export function principalLabel(principal: Principal): string {
  switch (principal.kind) {
    case 'public':
      return l10n.t('Anyone on the web (public)');
    case 'authenticated':
      return l10n.t('All signed-in Synapse users');
    case 'certified':
      return l10n.t('All certified Synapse users');
    case 'anonymous':
      return l10n.t('Anonymous');
    case 'team':
      return l10n.t({ message: 'Team {0}', args: [principal.userName ?? principal.id], comment: ['{0}: a Synapse team name.'] });
    case 'user': {
      const full = [principal.firstName, principal.lastName].filter(Boolean).join(' ');
      const name = principal.userName ?? principal.id;
      return full && full !== name
        ? l10n.t({ message: '{0} ({1})', args: [full, name], comment: ["{0}: a person's full name. {1}: their Synapse user name."] })
        : name;
    }
    case 'unknown':
      return l10n.t({
        message: 'Principal {0}',
        args: [principal.id],
        comment: ['{0}: a Synapse user or team id Synapse gave no name for.'],
      });
  }
}

export function capabilityLabel(capability: Capability): string {
  switch (capability) {
    case 'pull':
      return l10n.t({ message: 'pull', comment: ['What a principal may do with a Docker repository.'] });
    case 'push':
      return l10n.t({ message: 'push', comment: ['What a principal may do with a Docker repository.'] });
    case 'addRepositories':
      return l10n.t({
        message: 'push new repositories',
        comment: ['What a principal may do with a project: create repositories in it by pushing.'],
      });
  }
}

/** "pull, push, share" for the tree: what the signed-in user may do; a dash when nothing. */
export function ownAccessSummary(own: OwnAccess): string {
  const parts: string[] = [];
  if (own.pull) parts.push(capabilityLabel('pull'));
  if (own.push) parts.push(capabilityLabel('push'));
  if (own.share) parts.push(l10n.t({ message: 'share', comment: ['The user may change the sharing settings.'] }));
  return parts.length > 0
    ? parts.join(' · ')
    : l10n.t({ message: 'view only', comment: ['The user may only see the project or repository.'] });
}

/** The tooltip's sentence about the user's own rights. */
export function ownAccessSentence(own: OwnAccess, kind: 'project' | 'repository'): string {
  const lines: string[] = [];
  if (kind === 'repository') {
    lines.push(own.pull ? l10n.t('You may pull this repository.') : l10n.t('You may not pull this repository (no download permission).'));
    lines.push(
      own.push
        ? l10n.t('You may push to it.')
        : own.pushNeedsCertification
          ? l10n.t('You could push to it once you are a certified Synapse user.')
          : l10n.t('You may not push to it (no edit permission).'),
    );
  } else {
    lines.push(
      own.pull
        ? l10n.t("You may pull the repositories that inherit this project's sharing settings.")
        : l10n.t("You may not pull the repositories that inherit this project's sharing settings."),
    );
    lines.push(
      own.push
        ? l10n.t('You may push new repositories into it.')
        : own.pushNeedsCertification
          ? l10n.t('You could push new repositories into it once you are a certified Synapse user.')
          : l10n.t('You may not push new repositories into it.'),
    );
  }
  lines.push(own.share ? l10n.t('You may change its sharing settings.') : l10n.t('You may not change its sharing settings.'));
  return lines.join(' ');
}

export function settingsOrigin(settings: SharingSettings): string {
  return settings.inherited
    ? l10n.t({
        message: 'Inherited from {0}',
        args: [settings.benefactor.name],
        comment: ['{0}: the project whose sharing settings a repository inherits.'],
      })
    : l10n.t('Local sharing settings');
}

export function administratorsSentence(settings: SharingSettings): string {
  const names = settings.administrators.map((row) => principalLabel(row.principal));
  return names.length > 0
    ? l10n.t({
        message: 'You may not change these settings. Ask an administrator: {0}.',
        args: [names.join(', ')],
        comment: ['{0}: names of users or teams, comma separated.'],
      })
    : l10n.t('You may not change these settings, and nobody in them is an administrator.');
}

export function rowDescription(row: SharingRow): string {
  const access = accessLabel(row.accessTypes, row.level);
  return row.isYou
    ? l10n.t({ message: '{0} (you)', args: [access], comment: ['{0}: a sharing level, on the row of the signed-in user.'] })
    : access;
}

/** Why Synapse would refuse, in plain words. */
export function ruleExplanation(code: RuleCode, settings?: SharingSettings): string {
  switch (code) {
    case 'keepOwnChangePermissions':
      return l10n.t('You must keep your own right to change these sharing settings (Administrator), unless you created the entity.');
    case 'publicViewOnly':
      return l10n.t('Anyone on the web (public) may only view: Synapse gives the public no download or edit rights.');
    case 'anonymousNothing':
      return l10n.t('Anonymous users cannot be given anything; share with the public instead.');
    case 'authenticatedDownloadNeedsCertified':
      return l10n.t('Only a certified Synapse user may let all signed-in users download (and so pull).');
    case 'noAccessTypes':
      return l10n.t('Every principal needs at least one permission; remove the principal instead.');
    case 'projectCannotInherit':
      return l10n.t('A project always has its own sharing settings: there is nothing to inherit from.');
    case 'alreadyLocal':
      return l10n.t('This already has local sharing settings.');
    case 'alreadyInherits':
      return l10n.t('This already inherits its sharing settings.');
    case 'mayNotChange':
      return settings ? administratorsSentence(settings) : l10n.t('You may not change these sharing settings.');
  }
}

export function problemSentence(problem: RuleProblem, settings?: SharingSettings): string {
  return l10n.t({
    message: '{0} (Synapse: "{1}")',
    args: [ruleExplanation(problem.code, settings), problem.serverText],
    comment: ['{0}: the rule in plain words. {1}: the text Synapse answers with, in English.'],
  });
}

function capabilityList(capabilities: Capability[]): string {
  return capabilities.map(capabilityLabel).join(', ');
}

/** One line per principal whose access changes: "bob: none → Can download — may now pull". */
export function rowChangeSentence(change: RowChange): string {
  const name = principalLabel(change.principal);
  const from = change.before
    ? accessLabel(change.before, levelFor(change.before))
    : l10n.t({ message: 'no access', comment: ['Before/after a principal is in the sharing settings.'] });
  const to = change.after
    ? accessLabel(change.after, levelFor(change.after))
    : l10n.t({ message: 'no access', comment: ['Before/after a principal is in the sharing settings.'] });
  const parts = [
    l10n.t({
      message: '{0}: {1} → {2}',
      args: [name, from, to],
      comment: ['{0}: a user or team. {1}, {2}: sharing levels before and after.'],
    }),
  ];
  if (change.gains.length > 0)
    parts.push(l10n.t({ message: 'gains {0}', args: [capabilityList(change.gains)], comment: ['{0}: pull, push…'] }));
  if (change.loses.length > 0)
    parts.push(l10n.t({ message: 'loses {0}', args: [capabilityList(change.loses)], comment: ['{0}: pull, push…'] }));
  if (change.gains.length === 0 && change.loses.length === 0) parts.push(l10n.t('pull and push unchanged'));
  return parts.join(' — ');
}

/** The confirmation's headline: what will be sent. */
export function planHeadline(plan: SharingPlan): string {
  const { settings } = plan;
  const subject = settings.subject.name;
  switch (plan.change.kind) {
    case 'createLocal':
      return l10n.t({
        message: 'Create local sharing settings for {0}, starting from those of {1}?',
        args: [subject, settings.benefactor.name],
        comment: ['{0}: a repository. {1}: its project.'],
      });
    case 'restoreInheritance':
      return l10n.t({
        message: 'Delete the local sharing settings of {0} so that it inherits those of {1} again?',
        args: [subject, plan.inheritFrom?.name ?? ''],
        comment: ['{0}: a repository. {1}: its project.'],
      });
    default:
      return plan.request === 'create'
        ? l10n.t({
            message: 'Give {0} its own sharing settings (starting from those of {1}) with this change?',
            args: [subject, settings.benefactor.name],
            comment: ['{0}: a repository. {1}: its project, whose settings it inherits now.'],
          })
        : l10n.t({ message: 'Change the sharing settings of {0}?', args: [subject], comment: ['{0}: a project or repository.'] });
  }
}

/** The confirmation's detail: every principal that changes, with pull/push gained or lost; the project note. */
export function planDetail(plan: SharingPlan): string {
  const lines = plan.changes.map(rowChangeSentence);
  if (lines.length === 0) lines.push(l10n.t('Nobody gains or loses any permission.'));
  if (plan.settings.subject.kind === 'project' && plan.request === 'update') {
    lines.push(l10n.t('This applies to every repository of the project that inherits its sharing settings.'));
  }
  if (plan.changes.some((change) => change.gains.includes('push') || change.gains.includes('addRepositories'))) {
    lines.push(l10n.t('Pushing also needs a certified Synapse user.'));
  }
  return lines.join('\n');
}

/** After a 412: what happened, and that nothing was overwritten. */
export function concurrentChangeSentence(settings: SharingSettings): string {
  return l10n.t({
    message:
      'Someone else changed the sharing settings of {0} in the meantime. Nothing was sent over their change; the settings shown now are the current ones — make your change again if it is still needed.',
    args: [settings.subject.name],
    comment: ['{0}: a project or repository.'],
  });
}

export function appliedSentence(plan: SharingPlan): string {
  switch (plan.change.kind) {
    case 'createLocal':
      return l10n.t({
        message: '{0} now has local sharing settings.',
        args: [plan.settings.subject.name],
        comment: ['{0}: a repository.'],
      });
    case 'restoreInheritance':
      return l10n.t({
        message: '{0} inherits the sharing settings of {1} again.',
        args: [plan.settings.subject.name, plan.inheritFrom?.name ?? ''],
        comment: ['{0}: a repository. {1}: its project.'],
      });
    default:
      return l10n.t({
        message: 'The sharing settings of {0} were changed.',
        args: [plan.settings.subject.name],
        comment: ['{0}: a project or repository.'],
      });
  }
}
