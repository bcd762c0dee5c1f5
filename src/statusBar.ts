// Shows who is signed in; a click opens the account menu (sign out, switch account).
import * as vscode from 'vscode';
import { Account, SynapseSession } from './auth/session';

export class AccountStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('synapseDocker.account', vscode.StatusBarAlignment.Left, 10);
  private readonly subscription: vscode.Disposable;

  constructor(session: SynapseSession) {
    this.item.name = vscode.l10n.t('Synapse Account');
    this.item.command = 'synapseDocker.showAccount';
    this.subscription = session.onDidChange((account) => this.render(account));
    this.render(session.account);
  }

  private render(account: Account | undefined): void {
    if (!account) {
      this.item.hide();
      return;
    }
    this.item.text = `$(account) ${account.userName}`;
    this.item.tooltip = vscode.l10n.t('Synapse: signed in as {0} ({1}) at {2}', account.userName, account.ownerId, account.endpoint);
    this.item.show();
  }

  dispose(): void {
    this.subscription.dispose();
    this.item.dispose();
  }
}
