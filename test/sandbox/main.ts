// CLI: node out/test/sandbox/main.js --seed <file> --registry <host:port> [--port N] [--token-key <pem>]
//   [--token-cert <pem>] [--listener-secret user:pass] [--ready-file <path>] [--issuer <iss>] [--throttle]
//   [--manifest-policy strict|wide]   (default: $SYNAPSE_SANDBOX_MANIFEST_POLICY, else strict)
// Writes { url, port, issuer, users, projects, tokenCertPem } to the ready file once listening; stops on SIGTERM.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { DEFAULT_SEED_FILE, ManifestPolicy, RunningSandbox, loadSeed, startSandbox } from './server';
import { DEFAULT_MANIFEST_POLICY, MANIFEST_POLICIES } from './server/listener';

interface CliOptions {
  seed: string;
  registry: string;
  port: number;
  tokenKey?: string;
  tokenCert?: string;
  listenerSecret?: { user: string; password: string };
  readyFile?: string;
  issuer?: string;
  throttle: boolean;
  manifestPolicy: ManifestPolicy;
}

const USAGE =
  'usage: main.js --seed <file> --registry <host:port> [--port N] [--token-key <pem file>] ' +
  '[--token-cert <pem file>] [--listener-secret user:pass] [--ready-file <path>] [--issuer <iss>] [--throttle] [--manifest-policy strict|wide]';

function parseArgs(argv: string[]): CliOptions {
  const values = new Map<string, string>();
  const flags = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i];
    if (name === '--throttle') {
      flags.add(name);
    } else if (name.startsWith('--') && i + 1 < argv.length) {
      values.set(name, argv[++i]);
    } else {
      throw new Error(`unexpected argument "${name}"\n${USAGE}`);
    }
  }
  const registry = values.get('--registry');
  if (!registry) throw new Error(`--registry is required\n${USAGE}`);
  const port = Number(values.get('--port') ?? '0');
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error('--port must be a port number');
  const secret = values.get('--listener-secret');
  let listenerSecret: CliOptions['listenerSecret'];
  if (secret !== undefined) {
    const colon = secret.indexOf(':');
    if (colon <= 0) throw new Error('--listener-secret must be user:password');
    listenerSecret = { user: secret.slice(0, colon), password: secret.slice(colon + 1) };
  }
  const manifestPolicy = values.get('--manifest-policy') ?? (process.env.SYNAPSE_SANDBOX_MANIFEST_POLICY || DEFAULT_MANIFEST_POLICY);
  if (!(MANIFEST_POLICIES as readonly string[]).includes(manifestPolicy)) {
    throw new Error(`--manifest-policy (or SYNAPSE_SANDBOX_MANIFEST_POLICY) must be one of: ${MANIFEST_POLICIES.join(', ')}`);
  }
  return {
    seed: values.get('--seed') ?? DEFAULT_SEED_FILE,
    registry,
    port,
    tokenKey: values.get('--token-key'),
    tokenCert: values.get('--token-cert'),
    listenerSecret,
    readyFile: values.get('--ready-file'),
    issuer: values.get('--issuer'),
    throttle: flags.has('--throttle'),
    manifestPolicy: manifestPolicy as ManifestPolicy,
  };
}

/** Written atomically so a poller never reads half a file. */
function writeReadyFile(file: string, sandbox: RunningSandbox): void {
  const ready = {
    url: sandbox.url,
    port: sandbox.port,
    issuer: sandbox.issuer,
    users: sandbox.users(),
    projects: sandbox.projects(),
    tokenCertPem: sandbox.tokenCertPem,
  };
  writeFileSync(`${file}.tmp`, `${JSON.stringify(ready, null, 2)}\n`, { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const sandbox = await startSandbox({
    port: options.port,
    seed: loadSeed(options.seed),
    registryHost: options.registry,
    tokenKeyPem: options.tokenKey ? readFileSync(options.tokenKey, 'utf8') : undefined,
    tokenCertPem: options.tokenCert ? readFileSync(options.tokenCert, 'utf8') : undefined,
    listenerCredentials: options.listenerSecret,
    issuer: options.issuer,
    throttle: options.throttle,
    manifestPolicy: options.manifestPolicy,
    log: (line) => console.log(`[sandbox] ${line}`),
  });
  if (options.readyFile) writeReadyFile(options.readyFile, sandbox);
  console.log(
    `[sandbox] Synapse sandbox listening on ${sandbox.url} (registry ${options.registry}, manifest policy ${options.manifestPolicy})`,
  );

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    console.log(`[sandbox] ${signal}: stopping`);
    sandbox.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => {
  console.error(`[sandbox] ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
