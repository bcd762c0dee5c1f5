// Sharing settings, seen and changed: opens them in the Sharing view, and every change goes the same way —
// plan it (who gains or loses pull or push; Synapse's rules checked first), ask in a modal dialog, send it,
// show what Synapse has now (a concurrent change: reloaded, never overwritten), and tell the projects tree.
import * as vscode from 'vscode';
import {
  accessTypesOf,
  appliedSentence,
  applyPlan,
  concurrentChangeSentence,
  LevelId,
  levelLabel,
  loadSharing,
  OwnAccessCache,
  planChange,
  planDetail,
  planHeadline,
  Principal,
  principalLabel,
  principalOf,
  problemSentence,
  ruleExplanation,
  ruleOfRefusal,
  SharingChange,
  SharingRow,
  SharingSettings,
  SharingSubject,
} from '../core/sharing';
import { AUTHENTICATED_USERS_GROUP_ID, PUBLIC_GROUP_ID } from '../core/synapse/acl';
import { SynapseClient } from '../core/synapse/client';
import { SynapseError } from '../core/synapse/errors';
import { Logger } from '../core/util/log';
import { BuiltinCommandId } from '../commands/ids';
import type { SharingActions } from '../services';
import { notify } from '../ui/notify';
import { SharingElement, SharingTreeProvider } from '../tree/sharingView';

export interface SharingFlowDependencies {
  /** A client for the signed-in user (throws when signed out). */
  client(): Promise<SynapseClient>;
  /** The signed-in user's principal id, or undefined when signed out. */
  you(): string | undefined;
  view: SharingTreeProvider;
  treeView: vscode.TreeView<SharingElement>;
  /** What the projects tree shows about the user's own rights. */
  access: OwnAccessCache;
  /** The projects tree re-renders the rows of these entities (after their access was reloaded). */
  onDidChangeSharing(subject: SharingSubject): void;
  logger: Logger;
}

/** How long typing pauses before the principal search asks Synapse. */
const SEARCH_DEBOUNCE_MS = 250;

export class SharingFlow implements SharingActions {
  constructor(private readonly deps: SharingFlowDependencies) {}

  /** Loads and shows the settings of a project or repository in the Sharing view. */
  async open(subject: SharingSubject): Promise<SharingSettings | undefined> {
    const you = this.deps.you();
    if (!you) {
      void notify('warning', vscode.l10n.t('Sign in to Synapse to see sharing settings.'));
      return undefined;
    }
    this.deps.view.showMessage(subject, vscode.l10n.t('Loading the sharing settings of {0}…', subject.name), 'info');
    this.deps.view.describe(this.deps.treeView);
    await this.reveal();
    try {
      const settings = await loadSharing(await this.deps.client(), subject, you);
      this.show(settings);
      return settings;
    } catch (error) {
      const text = vscode.l10n.t("Couldn't load the sharing settings of {0}: {1}", subject.name, errorText(error));
      this.deps.view.showMessage(subject, text, 'error');
      this.deps.view.describe(this.deps.treeView);
      this.deps.logger.warn(text);
      return undefined;
    }
  }

  /** Loads the shown settings again. */
  async reload(): Promise<SharingSettings | undefined> {
    const subject = this.deps.view.subject;
    return subject ? this.open(subject) : undefined;
  }

  /**
   * Add a user or team: search by name as you type, then pick a level. `given` (scripts, tests) names the
   * user or team to search for and the level, in place of the two pickers; the confirmation still asks.
   */
  async addPrincipal(given?: { name?: string; level?: LevelId }): Promise<boolean> {
    const settings = this.current();
    if (!settings) return false;
    const principal = given?.name ? await this.findPrincipal(given.name) : await this.pickPrincipal(settings);
    if (!principal) return false;
    const existing = settings.rows.find((row) => row.principal.id === principal.id);
    const level = given?.level ?? (await this.pickLevel(principal, existing?.level));
    if (!level) return false;
    return this.change(settings, { kind: 'set', principal, accessTypes: accessTypesOf(level) });
  }

  async changeLevel(element: unknown, given?: LevelId): Promise<boolean> {
    const settings = this.current();
    const row = this.rowOf(element);
    if (!settings || !row) return false;
    const level = given ?? (await this.pickLevel(row.principal, row.level));
    if (!level) return false;
    return this.change(settings, { kind: 'set', principal: row.principal, accessTypes: accessTypesOf(level) });
  }

  async removePrincipal(element: unknown): Promise<boolean> {
    const settings = this.current();
    const row = this.rowOf(element);
    if (!settings || !row) return false;
    return this.change(settings, { kind: 'remove', principalId: row.principal.id });
  }

  async createLocal(): Promise<boolean> {
    const settings = this.current();
    return settings ? this.change(settings, { kind: 'createLocal' }) : false;
  }

  async restoreInheritance(): Promise<boolean> {
    const settings = this.current();
    return settings ? this.change(settings, { kind: 'restoreInheritance' }) : false;
  }

  /** Plan → rules → modal confirmation → send → show what is there now. True when Synapse took the change. */
  private async change(settings: SharingSettings, change: SharingChange): Promise<boolean> {
    try {
      const client = await this.deps.client();
      const plan = await planChange(client, settings, change);
      if (plan.problems.length > 0) {
        await vscode.window.showErrorMessage(
          vscode.l10n.t('Synapse would refuse this change to the sharing settings of {0}.', settings.subject.name),
          { modal: true, detail: plan.problems.map((problem) => problemSentence(problem, settings)).join('\n\n') },
        );
        return false;
      }
      const confirm =
        plan.request === 'delete'
          ? vscode.l10n.t('Restore Inheritance')
          : plan.request === 'create'
            ? vscode.l10n.t('Create Local Settings')
            : vscode.l10n.t('Change Sharing');
      const answer = await vscode.window.showWarningMessage(planHeadline(plan), { modal: true, detail: planDetail(plan) }, confirm);
      if (answer !== confirm) return false;
      const outcome = await applyPlan(client, plan);
      if (outcome.kind === 'blocked') return false; // checked above
      this.show(outcome.settings);
      await this.afterChange(client, settings.subject);
      if (outcome.kind === 'conflict') {
        void notify('warning', concurrentChangeSentence(outcome.settings));
        return false;
      }
      void notify('info', appliedSentence(plan));
      this.deps.logger.info(`Sharing of ${settings.subject.id} changed (${change.kind}).`);
      return true;
    } catch (error) {
      const rule = ruleOfRefusal(error);
      const reason = rule ? `${ruleExplanation(rule, settings)} (Synapse: "${(error as SynapseError).reason}")` : errorText(error);
      void notify('error', vscode.l10n.t("Couldn't change the sharing settings of {0}: {1}", settings.subject.name, reason));
      await this.reload();
      return false;
    }
  }

  /** The projects tree and anything asking about access see the change at once: the affected access is reloaded. */
  private async afterChange(client: SynapseClient, subject: SharingSubject): Promise<void> {
    // A project's settings reach every repository inheriting them: forget everyone's, reload the subject's now.
    if (subject.kind === 'project') this.deps.access.invalidate();
    else this.deps.access.invalidate([subject.id]);
    await this.deps.access.ensure(client, subject.id, subject.kind);
    this.deps.onDidChangeSharing(subject);
  }

  private show(settings: SharingSettings): void {
    this.deps.view.show(settings);
    this.deps.view.describe(this.deps.treeView);
  }

  private current(): SharingSettings | undefined {
    const settings = this.deps.view.settings;
    if (!settings)
      void notify(
        'info',
        vscode.l10n.t('Open the sharing settings of a project or repository first (Sharing… on it in the Synapse tree).'),
      );
    return settings;
  }

  private rowOf(element: unknown): SharingRow | undefined {
    const candidate = element as SharingElement | undefined;
    if (candidate?.kind === 'row') return candidate.row;
    return undefined;
  }

  private async reveal(): Promise<void> {
    await vscode.commands.executeCommand('synapseDocker.sharing.focus' satisfies BuiltinCommandId).then(undefined, () => undefined);
  }

  /** The user or team named exactly so (user name or team name; PUBLIC, AUTHENTICATED_USERS), through the same search. */
  private async findPrincipal(name: string): Promise<Principal | undefined> {
    if (name === 'PUBLIC') return { id: PUBLIC_GROUP_ID, kind: 'public' };
    if (name === 'AUTHENTICATED_USERS') return { id: AUTHENTICATED_USERS_GROUP_ID, kind: 'authenticated' };
    const headers = await (await this.deps.client()).findPrincipals(name, { limit: 20 });
    const header = headers.find((h) => h.userName?.toLowerCase() === name.toLowerCase());
    if (!header) void notify('warning', vscode.l10n.t('No Synapse user or team is named {0}.', name));
    return header ? principalOf(header) : undefined;
  }

  /** A QuickPick that searches users and teams as you type; all signed-in users and the public are always offered. */
  private async pickPrincipal(settings: SharingSettings): Promise<Principal | undefined> {
    const client = await this.deps.client();
    type Item = vscode.QuickPickItem & { principal?: Principal };
    const fixed: Item[] = [
      {
        label: `$(people) ${principalLabel({ id: AUTHENTICATED_USERS_GROUP_ID, kind: 'authenticated' })}`,
        principal: { id: AUTHENTICATED_USERS_GROUP_ID, kind: 'authenticated' },
        alwaysShow: true,
      },
      {
        label: `$(globe) ${principalLabel({ id: PUBLIC_GROUP_ID, kind: 'public' })}`,
        principal: { id: PUBLIC_GROUP_ID, kind: 'public' },
        alwaysShow: true,
      },
    ];
    const inSettings = new Map(settings.rows.map((row) => [row.principal.id, row]));
    const describe = (principal: Principal): string | undefined => {
      const row = inSettings.get(principal.id);
      return row ? vscode.l10n.t('already: {0}', row.level ? levelLabel(row.level) : row.accessTypes.join(', ')) : undefined;
    };
    for (const item of fixed) item.description = describe(item.principal!);
    const quickPick = vscode.window.createQuickPick<Item>();
    quickPick.title = vscode.l10n.t('Share {0} with…', settings.subject.name);
    quickPick.placeholder = vscode.l10n.t('Type a user or team name');
    quickPick.matchOnDescription = true;
    quickPick.items = fixed;
    let timer: NodeJS.Timeout | undefined;
    let search: AbortController | undefined;
    const runSearch = (text: string): void => {
      search?.abort();
      if (timer) clearTimeout(timer);
      if (text.trim() === '') {
        quickPick.items = fixed;
        quickPick.busy = false;
        return;
      }
      quickPick.busy = true;
      timer = setTimeout(() => {
        const controller = new AbortController();
        search = controller;
        client.findPrincipals(text.trim(), { limit: 20, signal: controller.signal }).then(
          (headers) => {
            if (controller.signal.aborted) return;
            const found: Item[] = headers.map((header) => {
              const principal = principalOf(header);
              return {
                label: `$(${principal.kind === 'team' ? 'organization' : 'person'}) ${principalLabel(principal)}`,
                description: describe(principal) ?? (principal.kind === 'team' ? vscode.l10n.t('team') : principal.userName),
                principal,
                alwaysShow: true,
              };
            });
            quickPick.items = [...found, { label: '', kind: vscode.QuickPickItemKind.Separator }, ...fixed];
            quickPick.busy = false;
          },
          (error: unknown) => {
            if (controller.signal.aborted) return;
            quickPick.items = [{ label: `$(error) ${errorText(error)}`, alwaysShow: true }, ...fixed];
            quickPick.busy = false;
          },
        );
      }, SEARCH_DEBOUNCE_MS);
    };
    return new Promise<Principal | undefined>((resolve) => {
      let picked: Principal | undefined;
      quickPick.onDidChangeValue(runSearch);
      quickPick.onDidAccept(() => {
        picked = quickPick.selectedItems[0]?.principal;
        if (picked) quickPick.hide();
      });
      quickPick.onDidHide(() => {
        search?.abort();
        if (timer) clearTimeout(timer);
        quickPick.dispose();
        resolve(picked);
      });
      quickPick.show();
    });
  }

  /** The levels a principal may be given: the public only views; all signed-in users view or download. */
  private async pickLevel(principal: Principal, current?: LevelId): Promise<LevelId | undefined> {
    const levels: LevelId[] =
      principal.kind === 'public'
        ? ['view']
        : principal.kind === 'authenticated'
          ? ['view', 'download']
          : ['view', 'download', 'edit', 'editDelete', 'admin'];
    const detail: Record<LevelId, string> = {
      view: vscode.l10n.t('See it; no pull'),
      download: vscode.l10n.t('Pull'),
      edit: vscode.l10n.t('Pull and push (certified users)'),
      editDelete: vscode.l10n.t('Pull, push and delete'),
      admin: vscode.l10n.t('Everything, including these sharing settings'),
    };
    const picked = await vscode.window.showQuickPick(
      levels.map((level) => ({
        label: levelLabel(level),
        description: level === current ? vscode.l10n.t('current') : undefined,
        detail: detail[level],
        level,
      })),
      {
        title: vscode.l10n.t('Level for {0}', principalLabel(principal)),
        placeHolder: vscode.l10n.t('What may {0} do?', principalLabel(principal)),
      },
    );
    return picked?.level;
  }
}

function errorText(error: unknown): string {
  if (error instanceof SynapseError) return error.reason ?? error.message;
  return error instanceof Error ? error.message : String(error);
}
