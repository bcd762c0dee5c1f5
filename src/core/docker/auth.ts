// The registry login check (POST /auth) with the Synapse credentials.
import type Docker from 'dockerode';
import { DockerEndpoint } from './endpoint';
import * as l10n from '@vscode/l10n';
import {
  RegistryDeniedError,
  DockerCancelledError,
  DockerOperationError,
  registryDenialKind,
  engineMessage,
  translateError,
} from './errors';
import { BuildEngine, describeEngine, inspectBuildEngine } from './engineInfo';
import { REGISTRY_ANSWER_TIMEOUT_MS, withSignal, answerWithin } from './requests';
import { registerSecret } from '../util/redact';

/** Registry credentials; they only ever travel in the X-Registry-Auth header (`authconfig`). */
export interface RegistryAuth {
  username: string;
  /** For Synapse: a personal access token. */
  password: string;
  /** The registry host, e.g. docker.synapse.org or 127.0.0.1:5000. */
  serveraddress: string;
}

export interface RegistryAuthResult {
  /** "Login Succeeded" */
  status: string;
  identityToken?: string;
}

/** What an engine says when it spoke HTTPS to a registry that answers plain HTTP. */
const PLAIN_HTTP_ANSWER = /server gave HTTP response to HTTPS client/i;

/**
 * The engine could not check the credentials (POST /auth) because it spoke HTTPS to a registry
 * that answers plain HTTP: nothing was said about the token. On Podman (`podman`) this is its
 * login check's limit (4.x pings https:// only, ignoring registries.conf's `insecure`, which its
 * pushes and pulls honour); on dockerd the registry is missing from its insecure registries.
 */
export class RegistryPlainHttpError extends DockerOperationError {
  readonly podman: boolean;

  constructor(
    readonly registry: string,
    engine: BuildEngine | undefined,
    raw: string,
    statusCode?: number,
  ) {
    super(
      'login',
      engine?.podman
        ? l10n.t({
            message:
              '{0} cannot check the token against the registry {1}: its login check speaks only HTTPS, and {1} answers plain HTTP. Nothing was said about the token; pushes and pulls work if registries.conf marks {1} insecure.',
            args: [describeEngine(engine), registry],
            comment: ['{0}: the engine, e.g. "Podman 4.3.1". {1}: a registry host[:port].'],
          })
        : l10n.t({
            message:
              'The Docker engine spoke HTTPS to the registry {0}, which answers plain HTTP, so the token could not be checked, and pushes and pulls will fail the same way. Add {0} to the engine\'s "insecure-registries" (daemon.json), or serve the registry over HTTPS.',
            args: [registry],
            comment: ['{0}: a registry host[:port].'],
          }),
      raw,
      statusCode,
    );
    this.podman = engine?.podman ?? false;
    this.name = 'RegistryPlainHttpError';
  }
}

/**
 * Asks the engine to log in to the registry with these credentials (POST /auth). For Synapse,
 * this proves the token works with the registry's token service; it says nothing about push or
 * pull rights on a particular repository. Rejects with RegistryDeniedError when refused.
 */
export async function checkRegistryAuth(
  docker: Docker,
  auth: RegistryAuth,
  signal?: AbortSignal,
  options: { endpoint?: DockerEndpoint; answerTimeoutMs?: number } = {},
): Promise<RegistryAuthResult> {
  if (signal?.aborted) throw new DockerCancelledError('login');
  try {
    // dockerode takes the body and the signal from one object; docker-modem removes the signal
    // before writing the body, which is exactly the authconfig.
    const result = (await answerWithin(
      'login',
      options.answerTimeoutMs ?? REGISTRY_ANSWER_TIMEOUT_MS,
      signal,
      options.endpoint,
      (request) => docker.checkAuth(withSignal(authConfig(auth), request)),
    )) as {
      Status?: string;
      IdentityToken?: string;
    };
    return { status: result?.Status ?? 'Login Succeeded', identityToken: result?.IdentityToken || undefined };
  } catch (error) {
    if (signal?.aborted) throw new DockerCancelledError('login');
    const statusCode = (error as { statusCode?: number }).statusCode;
    if (statusCode !== undefined) {
      const raw = engineMessage(error);
      // Not a refusal: the engine never reached the registry's token check (Podman's /auth does
      // this to every plain-HTTP registry). Which engine it is decides what to tell the user.
      if (PLAIN_HTTP_ANSWER.test(raw)) {
        const engine = await inspectBuildEngine(docker, { signal, endpoint: options.endpoint }).catch(() => undefined);
        if (signal?.aborted) throw new DockerCancelledError('login');
        throw new RegistryPlainHttpError(auth.serveraddress, engine, raw, statusCode);
      }
      const kind = registryDenialKind(raw) ?? (statusCode === 401 ? 'unauthorized' : undefined);
      if (kind) throw new RegistryDeniedError('login', auth.serveraddress, kind, raw, statusCode);
    }
    throw translateError(error, 'login', { signal, reference: auth.serveraddress, endpoint: options.endpoint });
  }
}

export function authConfig(auth: RegistryAuth): Docker.AuthConfig {
  // Whatever comes back from this call is redacted with these credentials.
  registerSecret(auth.password);
  return { username: auth.username, password: auth.password, serveraddress: auth.serveraddress };
}
