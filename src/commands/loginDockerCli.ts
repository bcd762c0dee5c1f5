// For users who want the docker CLI logged in too: `docker login --password-stdin`, the token
// through stdin only (never the command line or the child's environment). This is the one place
// the token may reach ~/.docker/config.json, and only because the user asked.
import { spawn } from 'node:child_process';
import * as vscode from 'vscode';
import { commandStep, notify } from '../ui/notify';
import { showError } from '../ui/errors';
import { CommandDefinition } from './command';

export const loginDockerCliCommand: CommandDefinition = {
  id: 'synapseDocker.loginDockerCli',
  run: async (services) => {
    const registry = services.settings().registry;
    const proceed = vscode.l10n.t('Log In');
    const confirmed = await vscode.window.showWarningMessage(
      vscode.l10n.t(
        'Log the docker CLI in to {0}? Docker will keep your Synapse token in its credential store (or ~/.docker/config.json). The extension itself never needs this.',
        registry,
      ),
      { modal: true },
      proceed,
    );
    if (confirmed !== proceed) return false;
    try {
      const auth = await services.session.registryAuth(registry);
      const output = await runDockerLogin(auth.username, auth.password, registry);
      services.logger.info(`docker login ${registry}: ${output.trim()}`);
      void notify(
        'info',
        vscode.l10n.t('The docker CLI is logged in to {0} as {1}.', registry, auth.username),
        commandStep(vscode.l10n.t('Open a Terminal'), 'workbench.action.terminal.new'),
      );
      return true;
    } catch (error) {
      showError(services, vscode.l10n.t('docker login failed'), error);
      return false;
    }
  },
};

function runDockerLogin(username: string, token: string, registry: string): Promise<string> {
  return new Promise((resolve, reject) => {
    // The child's environment is ours: it never contains the token.
    const child = spawn('docker', ['login', '--username', username, '--password-stdin', registry], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', (error) => reject(new Error(`Couldn't run the docker CLI: ${error.message}`)));
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(out.trim() || `docker login exited with ${code}`))));
    child.stdin.end(token);
  });
}
