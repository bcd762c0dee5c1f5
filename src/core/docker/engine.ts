// One place that turns a resolved endpoint into a dockerode client and explains, in words a
// user can act on, why the engine cannot be reached.
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
      throw new Error(`Unsupported Docker host "${endpoint.host}" (expected unix://, npipe://, tcp:// or ssh://).`);
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
  const where = `${endpoint.host} (${endpoint.source}${endpoint.contextName ? ` "${endpoint.contextName}"` : ''})`;
  switch (code) {
    case 'ENOENT':
      return new DockerUnreachableError(`Docker is not running: there is no socket at ${where}. Start Docker, or set synapseDocker.dockerHost.`, code);
    case 'ECONNREFUSED':
      return new DockerUnreachableError(`Nothing is listening at ${where}. Is the Docker engine running there?`, code);
    case 'EACCES':
      return new DockerUnreachableError(
        `No permission to use the Docker socket ${where}. Add your user to the docker group (sudo usermod -aG docker $USER) and log in again.`,
        code,
      );
    case 'ETIMEDOUT':
    case 'ESOCKETTIMEDOUT':
      return new DockerUnreachableError(`The Docker engine at ${where} did not answer in time.`, code);
    default:
      return new DockerUnreachableError(`Couldn't reach the Docker engine at ${where}: ${(error as Error)?.message ?? String(error)}`, code);
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
