// "Log in with the stored token": once signed in and the engine is reachable, the engine checks
// the token against the registry (POST /auth), so a refusal shows up now, not mid-push.
import * as vscode from 'vscode';
import type { Services } from '../services';
import { isCancellation } from '../ui/errors';
import { commandStep, notify } from '../ui/notify';
import { confirmCredentialsToEngine } from '../host/engineTrust';
import { dockerErrors } from '../host/dockerAccess';

export async function verifyRegistryLogin(services: Services): Promise<boolean> {
  const { docker, session, logger, settings, localImages } = services;
  if (!session.account) return false;
  const registry = settings().registry;
  let connection;
  try {
    connection = await docker.connect();
  } catch (error) {
    // The tree shows the reason with Retry; nothing else to do until the engine is back.
    logger.warn(`Docker engine unreachable: ${(error as Error).message}`);
    return false;
  }
  try {
    await localImages.refresh(connection, registry);
    if (!(await confirmCredentialsToEngine(services, connection))) return false;
    const result = await connection.module.checkRegistryAuth(connection.docker, await session.registryAuth(registry), undefined, {
      endpoint: connection.endpoint,
    });
    logger.info(`Registry ${registry} accepted the token of ${session.account.userName}: ${result.status}`);
    return true;
  } catch (error) {
    if (isCancellation(error)) return false;
    // The engine could not ask the registry (it spoke HTTPS to a plain-HTTP one): no verdict on the
    // token, so never "refused your Synapse token". Podman's login check always does this there,
    // while its pushes and pulls follow registries.conf: skip the check, with a log line.
    if (dockerErrors.isRegistryPlainHttp(error)) {
      if (error.podman) {
        logger.info(`Registry check skipped: ${error.message}`);
        return true;
      }
      logger.warn(`Registry ${registry} could not be checked: ${error.raw}`);
      void notify('warning', error.message, commandStep(vscode.l10n.t('Retry'), 'synapseDocker.retryDocker'));
      return false;
    }
    const reason = dockerErrors.isOperationError(error)
      ? (error.raw ?? error.message)
      : error instanceof Error
        ? error.message
        : String(error);
    logger.error(`Registry ${registry} refused the token: ${reason}`);
    void notify(
      'warning',
      vscode.l10n.t(
        'The Docker registry {0} refused your Synapse token ({1}). Pushes and pulls will fail until you sign in with a valid token.',
        registry,
        reason,
      ),
      commandStep(vscode.l10n.t('Sign In Again'), 'synapseDocker.signIn'),
    );
    return false;
  }
}
