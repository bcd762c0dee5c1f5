// Reads .synapse-sandbox/sandbox.json (written by `node out/test/sandbox/stack.js up`).
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface SandboxUser {
  userName: string;
  ownerId: string;
  token: string;
  certified?: boolean;
  scopes?: string[];
}

export interface SandboxInfo {
  synapseEndpoint: string;
  portalUrl: string;
  registry: string;
  dockerHost?: string;
  users: SandboxUser[];
  projects?: unknown[];
  codeServerUrl?: string;
}

/** The sandbox.json path: $SYNAPSE_SANDBOX_JSON, else <repo>/.synapse-sandbox/sandbox.json. */
export function sandboxJsonPath(root: string): string {
  return path.resolve(process.env.SYNAPSE_SANDBOX_JSON ?? path.join(root, '.synapse-sandbox', 'sandbox.json'));
}

export function readSandboxInfo(file: string): SandboxInfo {
  if (!fs.existsSync(file)) {
    throw new Error(
      `${file} is missing: the sandbox stack is not running.\n` +
        `  Start it with: npm run stack:up   (or: node out/test/sandbox/stack.js up)`,
    );
  }
  let info: SandboxInfo;
  try {
    info = JSON.parse(fs.readFileSync(file, 'utf8')) as SandboxInfo;
  } catch (error) {
    throw new Error(`${file} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  for (const key of ['synapseEndpoint', 'portalUrl', 'registry'] as const) {
    if (typeof info[key] !== 'string' || !info[key]) throw new Error(`${file} has no "${key}"`);
  }
  if (!Array.isArray(info.users) || info.users.length === 0) throw new Error(`${file} lists no users`);
  return info;
}

export function sandboxUser(info: SandboxInfo, userName: string): SandboxUser {
  const user = info.users.find((u) => u.userName === userName);
  if (!user) throw new Error(`sandbox.json has no user "${userName}" (users: ${info.users.map((u) => u.userName).join(', ')})`);
  return user;
}

/** Settings that point the extension at the sandbox. */
export function sandboxSettings(info: SandboxInfo): Record<string, unknown> {
  return {
    'synapseDocker.endpoint': info.synapseEndpoint,
    'synapseDocker.registry': info.registry,
    'synapseDocker.portalUrl': info.portalUrl,
  };
}

/** The extension folder loaded as the development extension ($SYNAPSE_DOCKER_EXTENSION_PATH or the repo). */
export function extensionDevelopmentPath(root: string): string {
  const dir = path.resolve(process.env.SYNAPSE_DOCKER_EXTENSION_PATH ?? root);
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { main?: string };
  const main = path.resolve(dir, manifest.main ?? 'dist/extension.js');
  const candidates = [main, `${main}.js`];
  if (!candidates.some((c) => fs.existsSync(c))) {
    throw new Error(`${path.relative(process.cwd(), main) || main} is missing: build the extension first (npm run build)`);
  }
  return dir;
}
