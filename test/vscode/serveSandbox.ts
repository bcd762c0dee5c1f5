// node out/test/vscode/serveSandbox.js  (started by scripts/sandbox.sh, `npm run sandbox`)
// Serves code-server on 127.0.0.1 for a person to try the extension against the running sandbox:
// the development folder is linked into the extensions dir (so opening the printed URL in any browser
// loads it), settings point at the sandbox, a demo workspace with a Dockerfile is opened. Prints the
// URL and a demo token, records codeServerUrl in sandbox.json, and stays up until Ctrl-C.
//
// Environment: SYNAPSE_SANDBOX_PORT (port, default a free one), SYNAPSE_DOCKER_EXTENSION_PATH.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ensureCodeServer, repoRoot, startCodeServer } from './codeServer';
import { extensionDevelopmentPath, readSandboxInfo, sandboxJsonPath, sandboxSettings, sandboxUser } from './sandboxInfo';

const root = repoRoot();

function log(message: string): void {
  process.stderr.write(`[sandbox] ${message}\n`);
}

/** Sets or removes one key of sandbox.json, keeping the others (written atomically). */
function updateSandboxJson(file: string, key: string, value: string | undefined): void {
  if (!fs.existsSync(file)) return;
  const info = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  if (value === undefined) delete info[key];
  else info[key] = value;
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(info, null, 2)}\n`);
  fs.renameSync(tmp, file);
}

/** The demo workspace: a Dockerfile built FROM the locally made base image, with a COPY and a RUN. */
export function ensureDemoWorkspace(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  const files: Record<string, string> = {
    Dockerfile: [
      '# A small image to try Synapse Docker with: build it, tag it for a project, push it.',
      'FROM local/busybox:1',
      'COPY hello.txt /hello.txt',
      'RUN cat /hello.txt && echo built > /built.txt',
      'CMD ["cat", "/hello.txt"]',
      '',
    ].join('\n'),
    'hello.txt': 'Hello from the Synapse Docker sandbox.\n',
    '.dockerignore': '*.md\n',
    'README.md': [
      '# Demo workspace',
      '',
      'Open the Synapse Docker view in the activity bar, sign in with the demo token printed by',
      '`npm run sandbox`, then build this Dockerfile and push it to one of your projects.',
      '',
    ].join('\n'),
  };
  for (const [name, text] of Object.entries(files)) {
    const file = path.join(dir, name);
    if (!fs.existsSync(file)) fs.writeFileSync(file, text);
  }
}

async function main(): Promise<void> {
  const sandboxFile = sandboxJsonPath(root);
  const sandbox = readSandboxInfo(sandboxFile);
  const alice = sandboxUser(sandbox, 'alice');
  const devPath = extensionDevelopmentPath(root);
  const manifest = JSON.parse(fs.readFileSync(path.join(devPath, 'package.json'), 'utf8')) as {
    publisher: string;
    name: string;
    version: string;
  };

  const stateDir = path.join(root, '.synapse-sandbox');
  const workspace = path.join(stateDir, 'demo-workspace');
  ensureDemoWorkspace(workspace);

  // Fresh code-server state each time (nothing half-written from an earlier run).
  const csDir = path.join(stateDir, 'code-server');
  fs.rmSync(csDir, { recursive: true, force: true });
  const dirs = {
    userData: path.join(csDir, 'user-data'),
    extensions: path.join(csDir, 'extensions'),
    serverData: path.join(csDir, 'server-data'),
  };
  for (const dir of Object.values(dirs)) fs.mkdirSync(dir, { recursive: true });
  // The development folder, "installed" by a link: a plain browser visit loads the extension.
  const linkName = `${manifest.publisher}.${manifest.name}-${manifest.version}`;
  fs.symlinkSync(devPath, path.join(dirs.extensions, linkName), 'dir');

  const install = await ensureCodeServer();
  const port = process.env.SYNAPSE_SANDBOX_PORT ? Number(process.env.SYNAPSE_SANDBOX_PORT) : undefined;
  const server = await startCodeServer({
    install,
    port,
    userDataDir: dirs.userData,
    extensionsDir: dirs.extensions,
    serverDataDir: dirs.serverData,
    logFile: path.join(stateDir, 'logs', 'code-server.log'),
    settings: sandboxSettings(sandbox),
    env: {
      ...(sandbox.dockerHost ? { DOCKER_HOST: sandbox.dockerHost } : {}),
    },
  });

  let stopping = false;
  const stop = async (why: string) => {
    if (stopping) return;
    stopping = true;
    log(`${why}: stopping code-server (pid ${server.pid})`);
    updateSandboxJson(sandboxFile, 'codeServerUrl', undefined);
    await server.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('Ctrl-C'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGHUP', () => void stop('SIGHUP'));
  void server.exited.then((code) => {
    if (stopping) return;
    log(`code-server exited unexpectedly (code ${code}); see ${server.logFile}`);
    updateSandboxJson(sandboxFile, 'codeServerUrl', undefined);
    process.exit(1);
  });

  const url = `${server.url}/?folder=${encodeURIComponent(workspace)}`;
  updateSandboxJson(sandboxFile, 'codeServerUrl', url);
  const others = sandbox.users.filter((u) => u.userName !== alice.userName);
  console.log('');
  console.log('  Synapse Docker sandbox is ready.');
  console.log('');
  console.log(`  Open VS Code (code-server):  ${url}`);
  console.log(`  Demo token (alice):          ${alice.token}`);
  console.log('');
  console.log('  In the Synapse Docker view (activity bar), click "Sign in to Synapse" and paste the token.');
  if (others.length)
    console.log(`  Other users' tokens are in ${path.relative(process.cwd(), sandboxFile)} (${others.map((u) => u.userName).join(', ')}).`);
  console.log(`  Synapse sandbox: ${sandbox.synapseEndpoint}   registry: ${sandbox.registry}`);
  console.log(`  code-server log: ${path.relative(process.cwd(), server.logFile)}`);
  console.log('');
  console.log('  Press Ctrl-C to stop.');
  // Stay in the foreground: the server's exit or a signal ends this process.
  setInterval(() => undefined, 1 << 30);
}

main().catch((error: unknown) => {
  console.error(`\n  sandbox: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
