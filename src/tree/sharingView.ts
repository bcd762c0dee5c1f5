// The "Sharing" view: the sharing settings of one project or repository, read at a glance. A header row says
// where they come from (inherited from a project — click to open its sharing — or local); one row per
// principal with its level, your own row marked; read-only (the view's message names the administrators)
// when you may not change them.
import * as vscode from 'vscode';
import {
  administratorsSentence, principalLabel, rowDescription, settingsOrigin, SharingRow, SharingSettings, SharingSubject,
} from '../core/sharing';
import { accessLabel, capabilityLabel, levelLabel } from '../core/sharing/messages';
import { capabilitiesOf } from '../core/sharing/levels';

export type SharingElement =
  | { kind: 'origin'; id: string; settings: SharingSettings }
  | { kind: 'row'; id: string; settings: SharingSettings; row: SharingRow }
  | { kind: 'message'; id: string; text: string; severity: 'info' | 'error' };

/** Context values (menus in package.json match them). */
export const SHARING_CONTEXT = {
  originInherited: 'synapse:sharingOrigin+inherited',
  originLocal: 'synapse:sharingOrigin+local',
  row: 'synapse:sharingRow',
} as const;

export class SharingTreeProvider implements vscode.TreeDataProvider<SharingElement>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<SharingElement | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private state: { subject?: SharingSubject; settings?: SharingSettings; message?: { text: string; severity: 'info' | 'error' } } = {};

  get subject(): SharingSubject | undefined {
    return this.state.subject;
  }

  get settings(): SharingSettings | undefined {
    return this.state.settings;
  }

  show(settings: SharingSettings): void {
    this.state = { subject: settings.subject, settings };
    this.changed.fire(undefined);
  }

  showMessage(subject: SharingSubject | undefined, text: string, severity: 'info' | 'error'): void {
    this.state = { subject, settings: subject && this.state.subject?.id === subject.id ? this.state.settings : undefined, message: { text, severity } };
    this.changed.fire(undefined);
  }

  clear(): void {
    this.state = {};
    this.changed.fire(undefined);
  }

  /** The view's title line and message (read-only note) for the shown settings. */
  describe(view: vscode.TreeView<SharingElement>): void {
    const { subject, settings } = this.state;
    view.description = subject?.name ?? '';
    view.message = settings && !settings.own.share ? administratorsSentence(settings) : undefined;
    void vscode.commands.executeCommand('setContext', 'synapseDocker.sharing.editable', settings?.own.share === true);
    void vscode.commands.executeCommand('setContext', 'synapseDocker.sharing.shown', subject !== undefined);
    void vscode.commands.executeCommand('setContext', 'synapseDocker.sharing.inherited', settings?.inherited === true);
    void vscode.commands.executeCommand('setContext', 'synapseDocker.sharing.repository', settings?.subject.kind === 'repository');
  }

  getChildren(element?: SharingElement): SharingElement[] {
    if (element) return [];
    const { settings, message } = this.state;
    const elements: SharingElement[] = [];
    if (message) elements.push({ kind: 'message', id: `message:${message.severity}`, text: message.text, severity: message.severity });
    if (!settings) return elements;
    elements.push({ kind: 'origin', id: `origin:${settings.subject.id}`, settings });
    for (const row of settings.rows) elements.push({ kind: 'row', id: `row:${settings.subject.id}:${row.principal.id}`, settings, row });
    return elements;
  }

  getTreeItem(element: SharingElement): vscode.TreeItem {
    switch (element.kind) {
      case 'message': {
        const item = new vscode.TreeItem(element.text, vscode.TreeItemCollapsibleState.None);
        item.id = element.id;
        item.iconPath = new vscode.ThemeIcon(element.severity === 'error' ? 'error' : 'info');
        item.tooltip = element.text;
        return item;
      }
      case 'origin': {
        const { settings } = element;
        const item = new vscode.TreeItem(settingsOrigin(settings), vscode.TreeItemCollapsibleState.None);
        item.id = element.id;
        if (settings.inherited) {
          item.iconPath = new vscode.ThemeIcon('references');
          item.description = vscode.l10n.t('open its sharing settings');
          item.command = {
            command: 'synapseDocker.openSharing',
            title: vscode.l10n.t('Open the sharing settings of {0}', settings.benefactor.name),
            arguments: [{ id: settings.benefactor.id, name: settings.benefactor.name, kind: 'project' } satisfies SharingSubject],
          };
          item.tooltip = vscode.l10n.t('{0} has no sharing settings of its own: those of {1} ({2}) apply. Click to open them.', settings.subject.name, settings.benefactor.name, settings.benefactor.id);
          item.contextValue = `${SHARING_CONTEXT.originInherited}${settings.own.share && settings.subject.kind === 'repository' ? '+editable' : ''}`;
        } else {
          item.iconPath = new vscode.ThemeIcon('lock');
          item.description = settings.subject.id;
          item.tooltip = settings.subject.kind === 'project'
            ? vscode.l10n.t('The sharing settings of {0}; its repositories inherit them unless they have their own.', settings.subject.name)
            : vscode.l10n.t('{0} has its own sharing settings: changes to the project\'s do not reach it.', settings.subject.name);
          item.contextValue = `${SHARING_CONTEXT.originLocal}${settings.own.share && settings.subject.kind === 'repository' ? '+editable' : ''}`;
        }
        return item;
      }
      case 'row': {
        const { row, settings } = element;
        const item = new vscode.TreeItem(principalLabel(row.principal), vscode.TreeItemCollapsibleState.None);
        item.id = element.id;
        item.description = rowDescription(row);
        item.iconPath = rowIcon(row);
        const capabilities = [...capabilitiesOf(row.accessTypes, settings.subject.kind)].map(capabilityLabel);
        item.tooltip = new vscode.MarkdownString([
          `**${principalLabel(row.principal)}**${row.isYou ? ` — ${vscode.l10n.t('you')}` : ''}`,
          row.level ? levelLabel(row.level) : vscode.l10n.t('Exact permissions (no level fits them)'),
          `\`${row.accessTypes.join(', ')}\``,
          capabilities.length > 0 ? vscode.l10n.t('May {0}.', capabilities.join(', ')) : vscode.l10n.t('May neither pull nor push.'),
        ].join('\n\n'));
        item.accessibilityInformation = { label: `${principalLabel(row.principal)}, ${accessLabel(row.accessTypes, row.level)}${row.isYou ? `, ${vscode.l10n.t('you')}` : ''}` };
        item.contextValue = `${SHARING_CONTEXT.row}${settings.own.share ? '+editable' : ''}${row.isYou ? '+you' : ''}`;
        return item;
      }
    }
  }

  dispose(): void {
    this.changed.dispose();
  }
}

function rowIcon(row: SharingRow): vscode.ThemeIcon {
  const color = row.isYou ? new vscode.ThemeColor('charts.blue') : undefined;
  switch (row.principal.kind) {
    case 'team': return new vscode.ThemeIcon('organization', color);
    case 'public': return new vscode.ThemeIcon('globe', color);
    case 'authenticated':
    case 'certified': return new vscode.ThemeIcon('people', color);
    default: return new vscode.ThemeIcon(row.isYou ? 'account' : 'person', color);
  }
}
