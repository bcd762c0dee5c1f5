// Shows who is signed in; a click opens the account menu (sign out, switch account). When Synapse
// has stopped accepting the token, it says so instead of showing the user as if all were well.
import * as vscode from 'vscode';
import { SynapseSession } from './session';
import type { CommandId } from '../commands/ids';

export class AccountStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('synapseDocker.account', vscode.StatusBarAlignment.Left, 10);
  private readonly subscriptions: vscode.Disposable[];

  constructor(private readonly session: SynapseSession) {
    this.item.name = vscode.l10n.t('Synapse Account');
    this.item.command = 'synapseDocker.showAccount' satisfies CommandId;
    this.subscriptions = [session.onDidChange(() => this.render()), session.onDidChangeTokenAccepted(() => this.render())];
    this.render();
  }

  /** What the item shows now (for the API tests read), undefined when hidden. */
  get shown(): { text: string; tooltip: string } | undefined {
    return this.session.account ? { text: this.item.text, tooltip: String(this.item.tooltip ?? '') } : undefined;
  }

  private render(): void {
    const account = this.session.account;
    if (!account) {
      this.item.hide();
      return;
    }
    if (this.session.tokenAccepted) {
      this.item.text = `$(account) ${account.userName}`;
      this.item.tooltip = vscode.l10n.t('Synapse: signed in as {0} ({1}) at {2}', account.userName, account.ownerId, account.endpoint);
      this.item.backgroundColor = undefined;
    } else {
      this.item.text = `$(warning) ${vscode.l10n.t('Synapse: sign in again')}`;
      this.item.tooltip = vscode.l10n.t(
        'Synapse at {1} no longer accepts the token of {0}. Click to sign in again.',
        account.userName,
        account.endpoint,
      );
      this.item.backgroundColor = new vscode.ThemeColor('statusBarItem.warningBackground');
    }
    this.item.show();
  }

  dispose(): void {
    for (const subscription of this.subscriptions) subscription.dispose();
    this.item.dispose();
  }
}
