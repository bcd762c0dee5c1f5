// Sign in with a personal access token: a discovered one (~/.synapseConfig or
// SYNAPSE_AUTH_TOKEN) or one pasted into a password box. The token is verified before it is
// stored. Automation may pass the token as the first argument.
import * as vscode from 'vscode';
import { commandStep, notify, withNotificationProgress } from '../ui/notify';
import { discoverToken, DiscoveredToken } from '../core/credentials';
import { SignInError } from '../core/synapse/signIn';
import {
  describeMissingScopes,
  findTokenCharacterProblem,
  missingScopes,
  readTokenClaims,
  tokenCharacterRefusal,
} from '../core/synapse/pat';
import { CommandDefinition } from './command';
import type { Services } from '../services';
import { abortSignalFor, showError } from '../ui/errors';
import { verifyRegistryLogin } from '../flows/registryLogin';

export const signInCommand: CommandDefinition = {
  id: 'synapseDocker.signIn',
  run: async (services: Services, tokenArgument?: unknown) => {
    // Nothing is asked for or sent while the endpoint setting is unusable: say what is wrong with it.
    const problem = services.session.endpointProblem;
    if (problem !== undefined) {
      services.logger.warn(`Sign-in refused: ${problem}`);
      void notify('error', problem, commandStep(vscode.l10n.t('Open Settings'), 'workbench.action.openSettings', 'synapseDocker.endpoint'));
      return false;
    }
    const automated = typeof tokenArgument === 'string';
    const token = automated ? tokenArgument : await askForToken(services);
    if (token === undefined) return false;
    return signInWith(services, token, automated);
  },
};

/** `automated`: the token came as an argument, so nobody waits on the notification's buttons. */
async function signInWith(services: Services, token: string, automated: boolean): Promise<boolean> {
  try {
    const verified = await withNotificationProgress(
      { title: vscode.l10n.t('Checking the token with Synapse…'), cancellable: true },
      (_progress, cancellation) => services.session.signIn(token, abortSignalFor(cancellation)),
    );
    void verifyRegistryLogin(services);
    const limitation = verified.limitations.at(-1);
    if (limitation) {
      void notify('warning', vscode.l10n.t('Signed in to Synapse as {0}. {1}', verified.profile.userName, limitation.message), {
        title: vscode.l10n.t('Create a Token'),
        run: () => openTokenPage(services),
      });
    } else {
      void notify(
        'info',
        vscode.l10n.t('Signed in to Synapse as {0}.', verified.profile.userName),
        commandStep(vscode.l10n.t('Build Image…'), 'synapseDocker.buildImage'),
      );
    }
    return true;
  } catch (error) {
    if (error instanceof SignInError) {
      services.logger.warn(`Sign-in refused: ${error.message}`);
      const answered = notify('error', error.message, commandStep(vscode.l10n.t('Try Another Token'), signInCommand.id), {
        title: vscode.l10n.t('Create a Token'),
        run: () => openTokenPage(services),
      });
      if (!automated) await answered;
      return false;
    }
    showError(services, vscode.l10n.t('Sign-in failed'), error);
    return false;
  }
}

async function askForToken(services: Services): Promise<string | undefined> {
  // The user's own endpoint (a workspace cannot set it): the token is sent nowhere else.
  const endpoint = services.session.endpoint;
  const discovery = await discoverToken();
  // A token found but refused (a continuation line, a stray character) is said, not silently skipped.
  for (const problem of discovery.problems) {
    services.logger.warn(problem);
    void notify('warning', problem);
  }
  if (discovery.found) {
    const choice = await pickTokenSource(discovery.found, endpoint);
    if (choice === undefined) return undefined;
    if (choice === 'discovered') return discovery.found.token;
  }
  return vscode.window.showInputBox({
    title: vscode.l10n.t('Sign in to Synapse'),
    prompt: vscode.l10n.t({
      message:
        'Paste a Synapse personal access token with the view, download and modify scopes (Account Settings → Personal Access Tokens). It will be sent to {0}.',
      args: [endpoint],
      comment: ['{0}: the Synapse endpoint URL from the user settings, e.g. https://repo-prod.prod.sagebase.org.'],
    }),
    placeHolder: 'eyJ…',
    password: true,
    ignoreFocusOut: true,
    validateInput: validateTokenInput,
  });
}

async function pickTokenSource(found: DiscoveredToken, endpoint: string): Promise<'discovered' | 'enter' | undefined> {
  const items: Array<vscode.QuickPickItem & { value: 'discovered' | 'enter' }> = [
    {
      label: `$(key) ${vscode.l10n.t({
        message: 'Use the token from {0} — sent to {1}',
        args: [found.description, endpoint],
        comment: ['{0}: where the token was found, e.g. ~/.synapseConfig [default]; {1}: the Synapse endpoint URL it will be sent to.'],
      })}`,
      description: found.userName,
      value: 'discovered',
    },
    { label: `$(edit) ${vscode.l10n.t('Enter a personal access token…')}`, value: 'enter' },
  ];
  const picked = await vscode.window.showQuickPick(items, { title: vscode.l10n.t('Sign in to Synapse'), ignoreFocusOut: true });
  return picked?.value;
}

/** Inline feedback while typing: shape and scopes are checked locally, the server check follows. */
function validateTokenInput(value: string): vscode.InputBoxValidationMessage | undefined {
  const trimmed = value.trim();
  if (!trimmed) return undefined;
  const badCharacter = findTokenCharacterProblem(trimmed);
  if (badCharacter) return { message: tokenCharacterRefusal(badCharacter), severity: vscode.InputBoxValidationSeverity.Error };
  const claims = readTokenClaims(trimmed);
  if (!claims) {
    return {
      message: vscode.l10n.t('Not a Synapse personal access token: expected three dot-separated parts, like eyJ…'),
      severity: vscode.InputBoxValidationSeverity.Error,
    };
  }
  const missingView = missingScopes(claims, 'browse');
  if (missingView.length > 0)
    return { message: describeMissingScopes(missingView, 'browse'), severity: vscode.InputBoxValidationSeverity.Error };
  const missingPush = missingScopes(claims, 'push');
  if (missingPush.length > 0)
    return { message: describeMissingScopes(missingPush, 'push'), severity: vscode.InputBoxValidationSeverity.Warning };
  return undefined;
}

export function openTokenPage(services: Services): Thenable<boolean> {
  return vscode.env.openExternal(vscode.Uri.parse(`${services.settings().portalUrl}/PersonalAccessTokens:0`));
}
