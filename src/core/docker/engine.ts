// One place that turns a resolved endpoint into a dockerode client and explains, in words a
// user can act on, why the engine cannot be reached.
import * as l10n from '@vscode/l10n';
import Docker from 'dockerode';
import { DockerEndpoint } from './endpoint';

export function createDockerClient(endpoint: DockerEndpoint, timeoutMs = 15_000): Docker {
  const url = new URL(endpoint.host);
  const tls = endpoint.tls;
  switch (url.protocol) {
    case 'unix:':
      return new Docker({ socketPath: url.pathname, timeout: timeoutMs });
    case 'npipe:':
      return new Docker({ socketPath: endpoint.host.replace(/^npipe:\/\//, ''), timeout: timeoutMs });
    case 'tcp:':
    case 'http:':
    case 'https:': {
      const secure = url.protocol === 'https:' || tls !== undefined;
      return new Docker({
        protocol: secure ? 'https' : 'http',
        host: url.hostname,
        port: Number(url.port || (secure ? 2376 : 2375)),
        ca: tls?.ca,
        cert: tls?.cert,
        key: tls?.key,
        timeout: timeoutMs,
      });
    }
    case 'ssh:':
      return new Docker({
        protocol: 'ssh',
        host: url.hostname,
        port: Number(url.port || 22),
        username: url.username || undefined,
        timeout: timeoutMs,
      });
    default:
      throw new Error(l10n.t('Unsupported Docker host "{0}" (expected unix://, npipe://, tcp:// or ssh://).', endpoint.host));
  }
}

export class DockerUnreachableError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
    this.name = 'DockerUnreachableError';
  }
}

/** Translates a connection failure into a message that says what to do. */
export function explainConnectionError(error: unknown, endpoint: DockerEndpoint): DockerUnreachableError {
  const code = (error as NodeJS.ErrnoException)?.code;
  // Where the engine was looked for, "<host> (<source>)" or "<host> (<source> "<context>")": an
  // address and English keywords, so a value in each sentence rather than words to translate.
  const { host, source, contextName } = endpoint;
  const where = contextName ? `${host} (${source} "${contextName}")` : `${host} (${source})`;
  switch (code) {
    case 'ENOENT':
      return new DockerUnreachableError(
        l10n.t({
          message: 'Docker is not running: there is no socket at {0}. Start Docker, or set synapseDocker.dockerHost.',
          args: [where],
          comment: ['{0}: the Docker host address and how it was found, e.g. unix:///var/run/docker.sock (default).'],
        }),
        code,
      );
    case 'ECONNREFUSED':
      return new DockerUnreachableError(
        l10n.t({ message: 'Nothing is listening at {0}. Is the Docker engine running there?', args: [where], comment: ['{0}: the Docker host address and how it was found, e.g. unix:///var/run/docker.sock (default).'] }),
        code,
      );
    case 'EACCES':
      return new DockerUnreachableError(
        l10n.t({
          message: 'No permission to use the Docker socket {0}. Add your user to the docker group (sudo usermod -aG docker $USER) and log in again.',
          args: [where],
          comment: ['{0}: the Docker host address and how it was found, e.g. unix:///var/run/docker.sock (default).'],
        }),
        code,
      );
    case 'ETIMEDOUT':
    case 'ESOCKETTIMEDOUT':
      return new DockerUnreachableError(l10n.t({ message: 'The Docker engine at {0} did not answer in time.', args: [where], comment: ['{0}: the Docker host address and how it was found, e.g. unix:///var/run/docker.sock (default).'] }), code);
    default:
      return new DockerUnreachableError(
        l10n.t({
          message: 'Couldn\'t reach the Docker engine at {0}: {1}',
          args: [where, (error as Error)?.message ?? String(error)],
          comment: ['{0}: the Docker host address and how it was found, e.g. unix:///var/run/docker.sock (default). {1}: the error message from the system.'],
        }),
        code,
      );
  }
}

/** Pings the engine; resolves with its version or rejects with a DockerUnreachableError. */
export async function pingDocker(docker: Docker, endpoint: DockerEndpoint): Promise<{ version: string; apiVersion: string }> {
  try {
    const version = await docker.version();
    return { version: version.Version, apiVersion: version.ApiVersion };
  } catch (error) {
    throw explainConnectionError(error, endpoint);
  }
}
