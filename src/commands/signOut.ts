import * as vscode from 'vscode';
import { commandStep, notify } from '../ui/notify';
import { CommandDefinition } from './command';

export const signOutCommand: CommandDefinition = {
  id: 'synapseDocker.signOut',
  run: async ({ session }) => {
    const user = session.account?.userName;
    await session.signOut();
    if (user) {
      void notify(
        'info',
        vscode.l10n.t('Signed out {0} from Synapse. The token was removed from this machine.', user),
        commandStep(vscode.l10n.t('Sign In'), 'synapseDocker.signIn'),
      );
    }
  },
};
