// The stack's Docker registry: Debian's Distribution 2.8 (`docker-registry serve`) configured like
// docker.synapse.org: bearer tokens from the sandbox's realm, push notifications to its listener.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { ProcessRecord, findExecutable, localRequest, runCommand, spawnDetached, waitUntil } from './processes';

const REGISTRY_START_TIMEOUT_MS = 20_000;

export interface RegistryRecord {
  process: ProcessRecord;
  port: number;
  /** host:port, also the token `service` and the prefix of repository names. */
  address: string;
  configFile: string;
  storageDir: string;
}

export interface RegistryOptions {
  port: number;
  sandboxUrl: string;
  issuer: string;
  certFile: string;
  listener: { user: string; password: string };
  storageDir: string;
  configFile: string;
  log: string;
}

/** ES256 (P-256) key and self-signed certificate: the sandbox signs tokens, the registry trusts the cert. */
export async function generateTokenKeyPair(dir: string): Promise<{ keyFile: string; certFile: string }> {
  const keyFile = path.join(dir, 'token-key.pem');
  const certFile = path.join(dir, 'token-cert.pem');
  const openssl = findExecutable('openssl');
  if (!openssl) throw new Error('openssl not found: install the Debian package openssl (as root: bash scripts/ensure-system.sh).');
  await runCommand(openssl, [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    keyFile,
    '-out',
    certFile,
    '-days',
    '3650',
    '-subj',
    '/CN=synapse-sandbox-docker-token',
  ]);
  fs.chmodSync(keyFile, 0o600);
  return { keyFile, certFile };
}

/** A fresh random secret the registry uses to authenticate to the sandbox's listener. */
export function newListenerSecret(): { user: string; password: string } {
  return { user: 'docker-registry', password: randomBytes(18).toString('base64url') };
}

function registryConfig(options: RegistryOptions, address: string): string {
  const q = (value: string): string => JSON.stringify(value); // JSON strings are valid YAML scalars
  const basic = Buffer.from(`${options.listener.user}:${options.listener.password}`).toString('base64');
  return [
    'version: 0.1',
    'log:',
    '  level: info',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${q(options.storageDir)}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: ${q(address)}`,
    `  secret: ${q(randomBytes(16).toString('hex'))}`,
    'auth:',
    '  token:',
    `    realm: ${q(`${options.sandboxUrl}/docker/v1/bearerToken`)}`,
    // In the sandbox the token service is the registry's own host:port, so repository names are
    // "<host:port>/<path>" exactly as the sandbox stores them.
    `    service: ${q(address)}`,
    `    issuer: ${q(options.issuer)}`,
    `    rootcertbundle: ${q(options.certFile)}`,
    'notifications:',
    '  endpoints:',
    '    - name: synapse',
    `      url: ${q(`${options.sandboxUrl}/dockerRegistryListener/v1/events`)}`,
    '      headers:',
    `        Authorization: [${q(`Basic ${basic}`)}]`,
    '      timeout: 5s',
    '      threshold: 1',
    '      backoff: 1s',
    '',
  ].join('\n');
}

/** The registry's challenge when `/v2/` answers 401 with a Bearer challenge, else undefined. */
export async function registryChallenge(address: string): Promise<string | undefined> {
  const response = await localRequest({ url: `http://${address}/v2/` }, { timeoutMs: 1500 });
  const challenge = response.headers['www-authenticate'];
  if (response.status === 401 && typeof challenge === 'string' && challenge.startsWith('Bearer ')) return challenge;
  throw new Error(`GET /v2/ answered ${response.status} ${challenge ?? ''}`.trim());
}

/** Starts `docker-registry serve` with fresh storage and waits for its Bearer challenge. */
export async function startRegistry(options: RegistryOptions): Promise<RegistryRecord> {
  const binary = findExecutable('docker-registry', ['/usr/bin']);
  if (!binary)
    throw new Error('docker-registry not found: install the Debian package docker-registry (as root: bash scripts/ensure-system.sh).');
  const address = `127.0.0.1:${options.port}`;
  fs.rmSync(options.storageDir, { recursive: true, force: true });
  fs.mkdirSync(options.storageDir, { recursive: true });
  fs.writeFileSync(options.configFile, registryConfig(options, address), { mode: 0o600 });
  const record = spawnDetached(binary, ['serve', options.configFile], options.log);
  await waitUntil(() => registryChallenge(address), {
    service: `Docker registry (${address})`,
    timeoutMs: REGISTRY_START_TIMEOUT_MS,
    process: record,
  });
  return { process: record, port: options.port, address, configFile: options.configFile, storageDir: options.storageDir };
}
