// Registry credentials reach the engine in the X-Registry-Auth header (push, pull, the login
// check). Over plain tcp:// to another machine anyone on the way can read them, so the user is
// asked once per engine host; the answer (the host, never a credential) is kept in globalState.
// Local sockets, loopback and TLS need no question.
import * as vscode from 'vscode';
import type { Logger } from '../core/util/log';
import type { DockerAccess, DockerConnection } from './dockerAccess';

/** globalState key: the engine hosts (host:port) the user accepted sending credentials to unencrypted. */
export const PLAIN_ENGINES_ACCEPTED_KEY = 'synapseDocker.plainTcpEnginesAccepted';

/**
 * Resolves true when credentials may go to this connection's engine: at once for a local socket,
 * loopback or TLS; for plain tcp:// to another host, after the user accepted a modal warning
 * (once per host). Resolves false when the user declined.
 */
export async function confirmCredentialsToEngine(
  services: { docker: DockerAccess; logger: Logger },
  connection: DockerConnection,
): Promise<boolean> {
  const { transport, host } = connection.module.engineTransport(connection.endpoint);
  if (transport !== 'plain') return true;
  const memory = services.docker.trustMemory;
  const accepted = memory?.get<string[]>(PLAIN_ENGINES_ACCEPTED_KEY, []) ?? [];
  if (accepted.includes(host)) return true;
  const send = vscode.l10n.t('Send Without Encryption');
  const answer = await vscode.window.showWarningMessage(
    vscode.l10n.t('Send your Synapse token to the Docker engine at {0} without encryption?', host),
    {
      modal: true,
      detail: vscode.l10n.t(
        'The engine is reached over plain tcp:// without TLS, so the token would cross the network unencrypted and anyone on the way could read it. Use a Docker context with TLS (or DOCKER_TLS_VERIFY) or a local socket instead. If you send it, you will not be asked again for {0}.',
        host,
      ),
    },
    send,
  );
  if (answer !== send) {
    services.logger.info(`Not sending registry credentials to the Docker engine at ${host} over plain tcp:// (declined)`);
    return false;
  }
  await memory?.update(PLAIN_ENGINES_ACCEPTED_KEY, [...accepted.filter((known) => known !== host), host]);
  services.logger.warn(`Sending registry credentials to the Docker engine at ${host} over plain tcp:// (accepted)`);
  return true;
}
