// The status bar item's menu: who is signed in, and the ways to change that. When Synapse no
// longer accepts the token, signing in again comes first.
import * as vscode from 'vscode';
import { CommandDefinition } from './command';
import type { CommandId } from './ids';

export const showAccountCommand: CommandDefinition = {
  id: 'synapseDocker.showAccount',
  run: async ({ session }) => {
    const account = session.account;
    if (!account) return vscode.commands.executeCommand('synapseDocker.signIn' satisfies CommandId);
    const accepted = session.tokenAccepted;
    const action = (label: string, command: CommandId) => ({ label, command });
    const actions = [
      ...(accepted ? [] : [action(`$(sign-in) ${vscode.l10n.t('Sign In Again…')}`, 'synapseDocker.signIn')]),
      action(`$(sign-out) ${vscode.l10n.t('Sign Out')}`, 'synapseDocker.signOut'),
      ...(accepted ? [action(`$(account) ${vscode.l10n.t('Switch Account…')}`, 'synapseDocker.signIn')] : []),
      action(`$(output) ${vscode.l10n.t('Show Log')}`, 'synapseDocker.showLog'),
    ];
    const picked = await vscode.window.showQuickPick(actions, {
      title: accepted
        ? vscode.l10n.t('Synapse: {0} ({1})', account.userName, account.endpoint)
        : vscode.l10n.t('Synapse ({1}) no longer accepts the token of {0}', account.userName, account.endpoint),
      placeHolder: vscode.l10n.t('Token scopes: {0}', account.scopes.join(', ')),
    });
    if (picked) await vscode.commands.executeCommand(picked.command);
  },
};
