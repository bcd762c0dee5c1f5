// The registry login check (POST /auth) with the Synapse credentials.
import type Docker from 'dockerode';
import { DockerEndpoint } from './endpoint';
import { RegistryDeniedError, DockerCancelledError, registryDenialKind, engineMessage, translateError } from './errors';
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
    const result = (await answerWithin('login', options.answerTimeoutMs ?? REGISTRY_ANSWER_TIMEOUT_MS, signal, options.endpoint, (request) =>
      docker.checkAuth(withSignal(authConfig(auth), request)),
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
