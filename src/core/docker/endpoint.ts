// Where the Docker engine is, resolved like the docker CLI does, without touching process.env:
// the extension's setting, then DOCKER_HOST, then DOCKER_CONTEXT, then the config file's
// currentContext, then the platform default.
import * as l10n from '@vscode/l10n';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface DockerEndpoint {
  /** unix:///path, npipe:////./pipe/x, tcp://host:port or ssh://... — never a secret. */
  host: string;
  /** How it was found, for the log and error messages. */
  source: 'setting' | 'DOCKER_HOST' | 'DOCKER_CONTEXT' | 'config currentContext' | 'default';
  contextName?: string;
  tls?: { ca?: string; cert?: string; key?: string; verify: boolean };
}

export interface EndpointInputs {
  setting?: string;
  env?: NodeJS.ProcessEnv;
  homeDir?: string;
  platform?: NodeJS.Platform;
}

interface ContextMeta {
  Name?: string;
  Endpoints?: { docker?: { Host?: string; SkipTLSVerify?: boolean } };
}

export async function resolveDockerEndpoint(inputs: EndpointInputs = {}): Promise<DockerEndpoint> {
  const env = inputs.env ?? process.env;
  const platform = inputs.platform ?? process.platform;
  if (inputs.setting?.trim()) return { host: inputs.setting.trim(), source: 'setting' };
  const configDir = env.DOCKER_CONFIG?.trim() || join(inputs.homeDir ?? homedir(), '.docker');
  if (env.DOCKER_HOST?.trim()) {
    // As the CLI: any non-empty DOCKER_TLS_VERIFY (or DOCKER_TLS) means TLS, with the certificates
    // from DOCKER_CERT_PATH, else the config folder; never a silent fall back to plain tcp.
    const verify = !!env.DOCKER_TLS_VERIFY?.trim();
    const wantsTls = verify || !!env.DOCKER_TLS?.trim();
    const certPath = env.DOCKER_CERT_PATH?.trim();
    let tls = certPath || wantsTls ? await readTlsFiles(certPath || configDir, verify) : undefined;
    if (!tls && wantsTls) tls = { verify };
    return { host: env.DOCKER_HOST.trim(), source: 'DOCKER_HOST', tls };
  }

  let contextName = env.DOCKER_CONTEXT?.trim();
  let source: DockerEndpoint['source'] = 'DOCKER_CONTEXT';
  if (!contextName) {
    contextName = await readCurrentContext(configDir);
    source = 'config currentContext';
  }
  if (contextName && contextName !== 'default') {
    return readContext(configDir, contextName, source);
  }
  return { host: platform === 'win32' ? 'npipe:////./pipe/docker_engine' : 'unix:///var/run/docker.sock', source: 'default' };
}

async function readCurrentContext(configDir: string): Promise<string | undefined> {
  try {
    const config = JSON.parse(await readFile(join(configDir, 'config.json'), 'utf8')) as { currentContext?: unknown };
    return typeof config.currentContext === 'string' ? config.currentContext : undefined;
  } catch {
    return undefined; // no config file, or unreadable: the CLI falls back to the default too
  }
}

async function readContext(configDir: string, name: string, source: DockerEndpoint['source']): Promise<DockerEndpoint> {
  // The CLI stores each context under the SHA-256 of its name.
  const id = createHash('sha256').update(name).digest('hex');
  const metaPath = join(configDir, 'contexts', 'meta', id, 'meta.json');
  let meta: ContextMeta;
  try {
    meta = JSON.parse(await readFile(metaPath, 'utf8')) as ContextMeta;
  } catch (error) {
    throw new Error(
      l10n.t({
        message: 'Docker context "{0}" (from {1}) was not found at {2}: {3}',
        args: [name, source, metaPath, (error as Error).message],
        comment: [
          '{0}: the Docker context name. {1}: where the name came from, a keyword kept in English (DOCKER_CONTEXT or config currentContext). {2}: a file path. {3}: the error message from the system.',
        ],
      }),
    );
  }
  const host = meta.Endpoints?.docker?.Host;
  if (!host) throw new Error(l10n.t('Docker context "{0}" has no docker endpoint in {1}.', name, metaPath));
  const tlsDir = join(configDir, 'contexts', 'tls', id, 'docker');
  const tls = await readTlsFiles(tlsDir, !meta.Endpoints?.docker?.SkipTLSVerify);
  return { host, source, contextName: name, tls };
}

async function readTlsFiles(dir: string, verify: boolean): Promise<DockerEndpoint['tls']> {
  const read = (file: string) => readFile(join(dir, file), 'utf8').catch(() => undefined);
  const [ca, cert, key] = await Promise.all([read('ca.pem'), read('cert.pem'), read('key.pem')]);
  return ca || cert || key ? { ca, cert, key, verify } : undefined;
}
