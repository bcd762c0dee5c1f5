// The "Sharing" view: the sharing settings of one project or repository, read at a glance. A header row says
// where they come from (inherited from a project — click to open its sharing — or local); one row per
// principal with its level, your own row marked; read-only (the view's message names the administrators)
// when you may not change them.
import * as vscode from 'vscode';
import {
  administratorsSentence,
  principalLabel,
  rowDescription,
  settingsOrigin,
  SharingRow,
  SharingSettings,
  SharingSubject,
} from '../core/sharing';
import { accessLabel, capabilityLabel, levelLabel } from '../core/sharing/messages';
import { capabilitiesOf } from '../core/sharing/levels';
import type { SharingElement } from '../core/sharing/elements';
import { BuiltinCommandId, CommandId, CONTEXT_KEYS, CONTEXT_VALUES } from '../commands/ids';

export type { SharingElement } from '../core/sharing/elements';

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
    this.state = {
      subject,
      settings: subject && this.state.subject?.id === subject.id ? this.state.settings : undefined,
      message: { text, severity },
    };
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
    const setContext = (key: string, value: boolean) =>
      void vscode.commands.executeCommand('setContext' satisfies BuiltinCommandId, key, value);
    setContext(CONTEXT_KEYS.sharingEditable, settings?.own.share === true);
    setContext(CONTEXT_KEYS.sharingShown, subject !== undefined);
    setContext(CONTEXT_KEYS.sharingInherited, settings?.inherited === true);
    setContext(CONTEXT_KEYS.sharingRepository, settings?.subject.kind === 'repository');
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
            command: 'synapseDocker.openSharing' satisfies CommandId,
            title: vscode.l10n.t('Open the sharing settings of {0}', settings.benefactor.name),
            arguments: [{ id: settings.benefactor.id, name: settings.benefactor.name, kind: 'project' } satisfies SharingSubject],
          };
          item.tooltip = vscode.l10n.t(
            '{0} has no sharing settings of its own: those of {1} ({2}) apply. Click to open them.',
            settings.subject.name,
            settings.benefactor.name,
            settings.benefactor.id,
          );
          item.contextValue = settings.own.share ? CONTEXT_VALUES.sharingOriginInheritedEditable : CONTEXT_VALUES.sharingOriginInherited;
        } else {
          item.iconPath = new vscode.ThemeIcon('lock');
          item.description = settings.subject.id;
          item.tooltip =
            settings.subject.kind === 'project'
              ? vscode.l10n.t(
                  'The sharing settings of {0}; its repositories inherit them unless they have their own.',
                  settings.subject.name,
                )
              : vscode.l10n.t("{0} has its own sharing settings: changes to the project's do not reach it.", settings.subject.name);
          // A project has no inheritance to restore: its header offers nothing.
          item.contextValue =
            settings.own.share && settings.subject.kind === 'repository'
              ? CONTEXT_VALUES.sharingOriginLocalEditable
              : CONTEXT_VALUES.sharingOriginLocal;
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
        item.tooltip = new vscode.MarkdownString(
          [
            `**${principalLabel(row.principal)}**${row.isYou ? ` — ${vscode.l10n.t('you')}` : ''}`,
            row.level ? levelLabel(row.level) : vscode.l10n.t('Exact permissions (no level fits them)'),
            `\`${row.accessTypes.join(', ')}\``,
            capabilities.length > 0 ? vscode.l10n.t('May {0}.', capabilities.join(', ')) : vscode.l10n.t('May neither pull nor push.'),
          ].join('\n\n'),
        );
        item.accessibilityInformation = {
          label: `${principalLabel(row.principal)}, ${accessLabel(row.accessTypes, row.level)}${row.isYou ? `, ${vscode.l10n.t('you')}` : ''}`,
        };
        item.contextValue = settings.own.share
          ? row.isYou
            ? CONTEXT_VALUES.sharingRowEditableYou
            : CONTEXT_VALUES.sharingRowEditable
          : row.isYou
            ? CONTEXT_VALUES.sharingRowYou
            : CONTEXT_VALUES.sharingRow;
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
    case 'team':
      return new vscode.ThemeIcon('organization', color);
    case 'public':
      return new vscode.ThemeIcon('globe', color);
    case 'authenticated':
    case 'certified':
      return new vscode.ThemeIcon('people', color);
    default:
      return new vscode.ThemeIcon(row.isYou ? 'account' : 'person', color);
  }
}
