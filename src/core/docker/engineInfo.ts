// Who the engine is, for builds and for messages: its product and version, whether it offers
// BuildKit, its platform (GET /_ping and /version). Apart from build.ts so that auth.ts can ask too.
import * as l10n from '@vscode/l10n';
import type Docker from 'dockerode';
import type { IncomingMessage } from 'node:http';
import { DockerEndpoint } from './endpoint';
import { DockerOperationError, translateError } from './errors';
import { QUICK_ANSWER_TIMEOUT_MS, answerWithin } from './requests';

/** What a build needs to know about the engine: who it is, its builder, what it builds for. */
export interface BuildEngine {
  /** "Docker Engine" or "Podman". */
  product: string;
  version: string;
  apiVersion: string;
  /** `/_ping`'s Builder-Version header: "2" BuildKit, "1" classic, "" none (Podman, Docker 20.10). */
  builderVersion: string;
  /** The engine's own platform (`/version` Os/Arch), e.g. linux and amd64. */
  os: string;
  arch: string;
  podman: boolean;
}

/** "Docker Engine 20.10.24" — for messages. */
export function describeEngine(engine: BuildEngine): string {
  return `${engine.product} ${engine.version}`;
}

/** GET with the answer's headers kept (docker-modem gives the raw response for a stream). */
export function getWithHeaders(
  docker: Docker,
  route: string,
  signal: AbortSignal,
): Promise<{ headers: IncomingMessage['headers']; body: string }> {
  return new Promise((resolve, reject) => {
    docker.modem.dial(
      {
        path: route,
        method: 'GET',
        isStream: true,
        abortSignal: signal,
        statusCodes: { 200: true, 404: 'not found', 500: 'server error' },
      } as Parameters<Docker['modem']['dial']>[0],
      (error: unknown, response: unknown) => {
        if (error) return reject(error);
        const stream = response as IncomingMessage;
        let body = '';
        stream.setEncoding('utf8');
        stream.on('data', (chunk: string) => {
          if (body.length < 64 * 1024) body += chunk;
        });
        stream.on('end', () => resolve({ headers: stream.headers, body }));
        stream.on('error', reject);
      },
    );
  });
}

/**
 * Asks the engine (`/_ping` and `/version`) what a build there will be: which product and
 * version, whether it offers BuildKit, and its platform. Rejects with DockerUnreachableError when
 * the engine cannot be reached.
 */
export async function inspectBuildEngine(
  docker: Docker,
  options: { signal?: AbortSignal; endpoint?: DockerEndpoint; answerTimeoutMs?: number } = {},
): Promise<BuildEngine> {
  try {
    return await answerWithin(
      'build',
      options.answerTimeoutMs ?? QUICK_ANSWER_TIMEOUT_MS,
      options.signal,
      options.endpoint,
      async (request) => {
        const ping = await getWithHeaders(docker, '/_ping', request);
        const version = JSON.parse((await getWithHeaders(docker, '/version', request)).body) as {
          Version?: unknown;
          ApiVersion?: unknown;
          Os?: unknown;
          Arch?: unknown;
          Components?: Array<{ Name?: unknown }>;
        };
        const header = (name: string) => {
          const value = ping.headers[name];
          return (Array.isArray(value) ? value[0] : (value ?? '')).trim();
        };
        const podman =
          header('libpod-buildah-version') !== '' ||
          (version.Components ?? []).some((c) => typeof c?.Name === 'string' && /podman/i.test(c.Name));
        const text = (value: unknown) => (typeof value === 'string' ? value : '');
        return {
          product: podman ? 'Podman' : 'Docker Engine',
          version: text(version.Version) || '?',
          apiVersion: text(version.ApiVersion),
          builderVersion: header('builder-version'),
          os: text(version.Os) || 'linux',
          arch: text(version.Arch),
          podman,
        };
      },
    );
  } catch (error) {
    if (error instanceof SyntaxError) {
      throw new DockerOperationError(
        'build',
        l10n.t('The Docker engine answered /version with something that is not JSON.'),
        error.message,
      );
    }
    throw translateError(error, 'build', { signal: options.signal, endpoint: options.endpoint });
  }
}
