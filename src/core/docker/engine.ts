// One place that turns a resolved endpoint into a dockerode client and explains, in words a
// user can act on, why the engine cannot be reached.
import * as l10n from '@vscode/l10n';
import Docker from 'dockerode';
import { DockerEndpoint } from './endpoint';

/**
 * The client's idle-socket timeout: a backstop for a connection that goes silent. Each operation
 * has its own, shorter deadline for the engine's first answer, which names the cause.
 */
export const IDLE_SOCKET_TIMEOUT_MS = 60_000;

/** How long a ping may take. */
export const PING_TIMEOUT_MS = 15_000;

const EXPECTED_HOSTS = 'unix:///path, npipe:////./pipe/name, tcp://host:port';

/** The address parts of a DOCKER_HOST value, or a clear error saying what is wrong with it. */
export function parseDockerHost(host: string): URL {
  let url: URL;
  try {
    url = new URL(host);
  } catch {
    throw new Error(l10n.t('The Docker host "{0}" is not a URL (expected {1}).', host, EXPECTED_HOSTS));
  }
  switch (url.protocol) {
    case 'unix:':
      // unix://docker.sock puts "docker.sock" in the host part: the CLI wants an absolute path.
      if (url.host || !url.pathname.startsWith('/') || url.pathname === '/') {
        throw new Error(l10n.t('The Docker host "{0}" names no absolute socket path (expected unix:///path/to/docker.sock).', host));
      }
      return url;
    case 'npipe:':
      return url;
    case 'tcp:':
    case 'http:':
    case 'https:':
      if (!url.hostname) throw new Error(l10n.t('The Docker host "{0}" names no host (expected tcp://host:port).', host));
      return url;
    case 'ssh:':
      // dockerode's ssh transport does not check the host key against known_hosts: refuse rather
      // than hand registry credentials to whoever answers.
      throw new Error(
        l10n.t({
          message:
            'Docker engines over ssh:// ({0}) are not supported yet: the extension cannot check the host key against your known_hosts. Forward the engine to a local socket instead (ssh -NL /tmp/docker-remote.sock:/var/run/docker.sock {1}) and set synapseDocker.dockerHost to unix:///tmp/docker-remote.sock, or use a Docker context with TLS.',
          args: [host, url.host ? `${url.username ? `${url.username}@` : ''}${url.hostname}${url.port ? ` -p ${url.port}` : ''}` : 'host'],
          comment: [
            '{0}: the ssh:// Docker host. {1}: the ssh destination, e.g. user@host. Commands, paths and the setting name stay as they are.',
          ],
        }),
      );
    default:
      throw new Error(l10n.t('Unsupported Docker host "{0}" (expected {1}).', host, EXPECTED_HOSTS));
  }
}

export function createDockerClient(endpoint: DockerEndpoint, timeoutMs = IDLE_SOCKET_TIMEOUT_MS): Docker {
  const url = parseDockerHost(endpoint.host);
  const tls = endpoint.tls;
  switch (url.protocol) {
    case 'unix:':
      return new Docker({ socketPath: decodeURIComponent(url.pathname), timeout: timeoutMs });
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
    default:
      throw new Error(l10n.t('Unsupported Docker host "{0}" (expected {1}).', endpoint.host, EXPECTED_HOSTS));
  }
}

/**
 * How registry credentials would travel to this engine: `local` (a socket on this machine),
 * `tls`, `loopback` (plain tcp to this machine) or `plain` (unencrypted over the network).
 */
export type EngineTransport = 'local' | 'tls' | 'loopback' | 'plain';

export function engineTransport(endpoint: DockerEndpoint): { transport: EngineTransport; host: string } {
  const url = parseDockerHost(endpoint.host);
  if (url.protocol === 'unix:' || url.protocol === 'npipe:') return { transport: 'local', host: endpoint.host };
  const host = url.port ? `${url.hostname}:${url.port}` : url.hostname;
  if (url.protocol === 'https:' || endpoint.tls !== undefined) return { transport: 'tls', host };
  return { transport: isLoopbackHost(url.hostname) ? 'loopback' : 'plain', host };
}

/** localhost, 127.0.0.0/8 and ::1 (URL hostnames keep IPv6 in brackets). */
export function isLoopbackHost(hostname: string): boolean {
  const name = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (name === 'localhost' || name === '::1' || name === '0:0:0:0:0:0:0:1') return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name);
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
        l10n.t({
          message: 'Nothing is listening at {0}. Is the Docker engine running there?',
          args: [where],
          comment: ['{0}: the Docker host address and how it was found, e.g. unix:///var/run/docker.sock (default).'],
        }),
        code,
      );
    case 'EACCES':
      return new DockerUnreachableError(
        l10n.t({
          message:
            'No permission to use the Docker socket {0}. Add your user to the docker group (sudo usermod -aG docker $USER) and log in again.',
          args: [where],
          comment: ['{0}: the Docker host address and how it was found, e.g. unix:///var/run/docker.sock (default).'],
        }),
        code,
      );
    case 'ETIMEDOUT':
    case 'ESOCKETTIMEDOUT':
      return new DockerUnreachableError(
        l10n.t({
          message: 'The Docker engine at {0} did not answer in time.',
          args: [where],
          comment: ['{0}: the Docker host address and how it was found, e.g. unix:///var/run/docker.sock (default).'],
        }),
        code,
      );
    default:
      return new DockerUnreachableError(
        l10n.t({
          message: "Couldn't reach the Docker engine at {0}: {1}",
          args: [where, (error as Error)?.message ?? String(error)],
          comment: [
            '{0}: the Docker host address and how it was found, e.g. unix:///var/run/docker.sock (default). {1}: the error message from the system.',
          ],
        }),
        code,
      );
  }
}

/** Pings the engine; resolves with its version or rejects with a DockerUnreachableError. */
export async function pingDocker(docker: Docker, endpoint: DockerEndpoint): Promise<{ version: string; apiVersion: string }> {
  // A plain timer keeps the deadline (AbortSignal.timeout can be lost to garbage collection).
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), PING_TIMEOUT_MS);
  try {
    // dockerode's types lack the options argument its version() takes.
    const version = (await (docker.version as (options: { abortSignal: AbortSignal }) => Promise<unknown>).call(docker, {
      abortSignal: controller.signal,
    })) as { Version?: unknown; ApiVersion?: unknown } | undefined;
    if (!version || typeof version.Version !== 'string' || typeof version.ApiVersion !== 'string') {
      throw new DockerUnreachableError(l10n.t('Something answers at {0}, but not as a Docker engine does.', endpoint.host), undefined);
    }
    return { version: version.Version as string, apiVersion: version.ApiVersion as string };
  } catch (error) {
    if (error instanceof DockerUnreachableError) throw error;
    if (controller.signal.aborted) throw explainConnectionError(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' }), endpoint);
    throw explainConnectionError(error, endpoint);
  } finally {
    clearTimeout(timer);
  }
}
