// code-server (a complete VS Code: workbench plus a Node extension host, from the npm registry) as
// the project's real VS Code test host. See docs/test-stack.md §3.
//
//   ensureCodeServer()      installs code-server@4.100.3 into .vscode-test/code-server (reused when present)
//   startCodeServer({...})  starts VS Code's server on 127.0.0.1 and returns { url, pid, stop() }
//
// CLI: node out/test/vscode/codeServer.js install   (used by scripts/sandbox.sh and CI)
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

export const CODE_SERVER_VERSION = '4.100.3';
const RIPGREP_CACHE_VERSION = '1.15.11'; // the @vscode/ripgrep nested in code-server 4.100.3
const RIPGREP_ARCHIVE_VERSION = 'v13.0.0-10';
const INSTALLED_MARKER = '.synapse-install-ok';

/** The repository root: the nearest folder above this file holding the extension's package.json. */
export function repoRoot(): string {
  let dir = __dirname;
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg)) {
      try {
        if (JSON.parse(fs.readFileSync(pkg, 'utf8')).name === 'synapse-docker') return dir;
      } catch {
        /* keep looking */
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`cannot find the synapse-docker package.json above ${__dirname}`);
    dir = parent;
  }
}

export interface CodeServerInstall {
  /** Folder of the code-server package (…/node_modules/code-server). */
  packageDir: string;
  /** VS Code's server entry point (lib/vscode/out/server-main.js). */
  serverMain: string;
  version: string;
  /** True when an earlier install was reused. */
  reused: boolean;
  /** Seconds the install took (0 when reused). */
  seconds: number;
}

export interface EnsureOptions {
  /** Install folder (default <repo>/.vscode-test/code-server). */
  installDir?: string;
  /** Print progress (default true). */
  verbose?: boolean;
}

function log(verbose: boolean, message: string): void {
  if (verbose) process.stderr.write(`[code-server] ${message}\n`);
}

/** What a source build of code-server's native modules needs. Returns the Debian packages missing. */
export function missingSystemPackages(): string[] {
  const missing: string[] = [];
  const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
  const pc = (mod: string) => spawnSync('pkg-config', ['--exists', mod], { stdio: 'ignore' }).status === 0;
  if (!has('pkg-config')) {
    missing.push('pkg-config', 'libkrb5-dev', 'libx11-dev', 'libxkbfile-dev', 'libsecret-1-dev');
  } else {
    if (!pc('krb5-gssapi')) missing.push('libkrb5-dev');
    if (!pc('x11')) missing.push('libx11-dev');
    if (!pc('xkbfile')) missing.push('libxkbfile-dev');
    if (!pc('libsecret-1')) missing.push('libsecret-1-dev');
  }
  if (!has('rg')) missing.push('ripgrep');
  if (!has('make')) missing.push('make');
  if (!has('g++')) missing.push('g++');
  if (!has('python3')) missing.push('python3');
  return missing;
}

function installLooksComplete(installDir: string): { packageDir: string; serverMain: string } | undefined {
  const packageDir = path.join(installDir, 'node_modules', 'code-server');
  const serverMain = path.join(packageDir, 'lib', 'vscode', 'out', 'server-main.js');
  try {
    const version = JSON.parse(fs.readFileSync(path.join(packageDir, 'package.json'), 'utf8')).version;
    if (version !== CODE_SERVER_VERSION) return undefined;
  } catch {
    return undefined;
  }
  if (!fs.existsSync(serverMain) || !fs.existsSync(path.join(installDir, INSTALLED_MARKER))) return undefined;
  return { packageDir, serverMain };
}

function ripgrepTarget(): string {
  switch (process.arch) {
    case 'x64':
      return 'x86_64-unknown-linux-musl';
    case 'arm64':
      return 'aarch64-unknown-linux-musl';
    default:
      throw new Error(`no ripgrep archive name known for architecture ${process.arch}`);
  }
}

/**
 * @vscode/ripgrep downloads rg from GitHub in its postinstall, which cannot work here; it first looks
 * for a cached archive under $TMPDIR. Put Debian's rg there, in a private TMPDIR.
 */
function prepareRipgrepCache(tmpDir: string): void {
  const rg = spawnSync('sh', ['-c', 'command -v rg'], { encoding: 'utf8' }).stdout.trim();
  if (!rg) throw new Error('ripgrep (rg) is not installed: apt-get install -y ripgrep');
  const cacheDir = path.join(tmpDir, `vscode-ripgrep-cache-${RIPGREP_CACHE_VERSION}`);
  const staging = path.join(tmpDir, 'rg-staging');
  fs.mkdirSync(cacheDir, { recursive: true });
  fs.mkdirSync(staging, { recursive: true });
  fs.copyFileSync(fs.realpathSync(rg), path.join(staging, 'rg'));
  fs.chmodSync(path.join(staging, 'rg'), 0o755);
  const archive = path.join(cacheDir, `ripgrep-${RIPGREP_ARCHIVE_VERSION}-${ripgrepTarget()}.tar.gz`);
  const tar = spawnSync('tar', ['-czf', archive, '-C', staging, 'rg'], { encoding: 'utf8' });
  if (tar.status !== 0) throw new Error(`could not build the ripgrep cache archive: ${tar.stderr}`);
}

/** One install at a time (a host run and an e2e run may start together on a fresh machine). */
async function withInstallLock<T>(installDir: string, action: () => Promise<T>): Promise<T> {
  const lock = `${installDir}.lock`;
  fs.mkdirSync(path.dirname(lock), { recursive: true });
  const deadline = Date.now() + 15 * 60_000;
  for (;;) {
    try {
      fs.writeFileSync(lock, String(process.pid), { flag: 'wx' });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(fs.readFileSync(lock, 'utf8').trim());
      if (!holder || !processAlive(holder)) {
        fs.rmSync(lock, { force: true }); // left by a process that died
        continue;
      }
      if (Date.now() > deadline) throw new Error(`code-server install is locked by pid ${holder} (${lock})`);
      await sleep(500);
    }
  }
  try {
    return await action();
  } finally {
    fs.rmSync(lock, { force: true });
  }
}

/** Installs code-server@4.100.3 into .vscode-test/code-server unless a complete install is there. */
export async function ensureCodeServer(options: EnsureOptions = {}): Promise<CodeServerInstall> {
  const installDir = options.installDir ?? path.join(repoRoot(), '.vscode-test', 'code-server');
  const existing = installLooksComplete(installDir);
  if (existing) return { ...existing, version: CODE_SERVER_VERSION, reused: true, seconds: 0 };
  return withInstallLock(installDir, () => install(installDir, options.verbose ?? true));
}

async function install(installDir: string, verbose: boolean): Promise<CodeServerInstall> {
  const existing = installLooksComplete(installDir); // another process may have finished meanwhile
  if (existing) return { ...existing, version: CODE_SERVER_VERSION, reused: true, seconds: 0 };

  const missing = missingSystemPackages();
  if (missing.length > 0) {
    throw new Error(
      `code-server ${CODE_SERVER_VERSION} builds native modules and needs system packages that are missing: ` +
        `${missing.join(' ')}\n  Install them with: apt-get install -y ${missing.join(' ')}` +
        `  (or: bash scripts/ensure-system.sh)`,
    );
  }

  const started = Date.now();
  log(verbose, `installing code-server@${CODE_SERVER_VERSION} into ${installDir} (takes a minute or two)…`);
  // A half-written earlier attempt is removed rather than repaired.
  fs.rmSync(installDir, { recursive: true, force: true });
  fs.mkdirSync(installDir, { recursive: true });
  fs.writeFileSync(
    path.join(installDir, 'package.json'),
    JSON.stringify(
      {
        name: 'synapse-docker-test-host',
        private: true,
        description: 'code-server as the VS Code test host of synapse-docker (generated; not part of the project)',
        dependencies: { 'code-server': CODE_SERVER_VERSION },
      },
      null,
      2,
    ) + '\n',
  );

  const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-install-'));
  const logFile = path.join(installDir, 'install.log');
  try {
    prepareRipgrepCache(tmpDir);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      TMPDIR: tmpDir,
      npm_config_unsafe_perm: 'true', // its postinstall refuses to run as root otherwise
      npm_config_yes: 'true', // a nested npx must not prompt
      npm_config_audit: 'false',
      npm_config_fund: 'false',
      npm_config_update_notifier: 'false',
    };
    const out = fs.openSync(logFile, 'w');
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn('npm', ['install', '--no-package-lock'], {
        cwd: installDir,
        env,
        stdio: ['ignore', out, out],
      });
      child.on('error', reject);
      child.on('exit', (c) => resolve(c));
    });
    fs.closeSync(out);
    if (code !== 0) {
      const tail = fs.readFileSync(logFile, 'utf8').split('\n').slice(-40).join('\n');
      throw new Error(`npm install code-server@${CODE_SERVER_VERSION} failed (exit ${code}); see ${logFile}\n${tail}`);
    }
    const packageDir = path.join(installDir, 'node_modules', 'code-server');
    const serverMain = path.join(packageDir, 'lib', 'vscode', 'out', 'server-main.js');
    if (!fs.existsSync(serverMain)) {
      throw new Error(`code-server installed but ${serverMain} is missing; see ${logFile}`);
    }
    fs.writeFileSync(path.join(installDir, INSTALLED_MARKER), `${CODE_SERVER_VERSION}\n${new Date().toISOString()}\n`);
    const seconds = Math.round((Date.now() - started) / 100) / 10;
    log(verbose, `code-server@${CODE_SERVER_VERSION} installed in ${seconds} s`);
    return { packageDir, serverMain, version: CODE_SERVER_VERSION, reused: false, seconds };
  } finally {
    fs.rmSync(tmpDir, { recursive: true, force: true });
  }
}

export interface StartOptions {
  /** Port on 127.0.0.1 (default: a free one). */
  port?: number;
  /** VS Code's user data (User/settings.json, logs, globalStorage, the server key half). */
  userDataDir: string;
  extensionsDir: string;
  /** code-server's own state (its XDG data/config/cache homes: coder-logs, config). */
  serverDataDir: string;
  /** User settings, merged over the harness defaults (trust off, no startup editor, no telemetry). */
  settings?: Record<string, unknown>;
  /** Extra environment for the server and so for the extension host it spawns. */
  env?: NodeJS.ProcessEnv;
  /** Where the server's stdout/stderr go (default: <serverDataDir>/code-server.log). */
  logFile?: string;
  /** Milliseconds to wait for the server to answer (default 60 s). */
  startTimeoutMs?: number;
  install?: CodeServerInstall;
  /** A display language (e.g. qps-ploc) for the extensions' own l10n bundles; see declareDisplayLanguage. */
  displayLanguage?: string;
}

export interface RunningCodeServer {
  url: string;
  port: number;
  pid: number;
  logFile: string;
  /** The user data dir as the server sees it (a short symlink when the real path is long). */
  userDataDir: string;
  /** Where the settings.json was written. */
  settingsFile: string;
  /** Stops the server and everything it spawned (its process group), by pid. */
  stop(): Promise<void>;
  /** Resolves with the exit code when the server process ends. */
  exited: Promise<number | null>;
}

export const DEFAULT_SETTINGS: Record<string, unknown> = {
  'security.workspace.trust.enabled': false,
  'workbench.startupEditor': 'none',
  'telemetry.telemetryLevel': 'off',
  'workbench.enableExperiments': false,
  'workbench.tips.enabled': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'update.mode': 'none',
  'chat.disableAIFeatures': true,
  'git.enabled': false,
  'git.autoRepositoryDetection': false,
  'github.gitAuthentication': false,
  'npm.autoDetect': 'off',
  'typescript.disableAutomaticTypeAcquisition': true,
  'typescript.surveys.enabled': false,
  'workbench.settings.enableNaturalLanguageSearch': false,
  'remote.autoForwardPorts': false,
};

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function httpStatus(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * code-server honours --locale only for a language listed in <userDataDir>/languagepacks.json, and
 * none can be installed here. An empty pack (no translations of VS Code itself, one placeholder
 * extension entry, which the workbench needs) makes VS Code run in that language: the workbench
 * stays English, and extensions get vscode.env.language and their own l10n/bundle.l10n.<lang>.json.
 */
function declareDisplayLanguage(userDataDir: string, language: string): void {
  const translations = path.join(userDataDir, 'empty-language-pack.i18n.json');
  fs.writeFileSync(translations, JSON.stringify({ version: '1.0.0', contents: {} }));
  const pack = {
    [language]: {
      hash: `empty-${language}`,
      extensions: [{ extensionIdentifier: { id: `test.empty-language-pack-${language}` }, version: '0.0.1' }],
      translations: { vscode: translations },
      label: language,
    },
  };
  fs.writeFileSync(path.join(userDataDir, 'languagepacks.json'), JSON.stringify(pack, null, 2));
}

/** Writes <userDataDir>/User/settings.json (the harness defaults plus the given settings). */
export function writeUserSettings(userDataDir: string, settings: Record<string, unknown> = {}): string {
  const file = path.join(userDataDir, 'User', 'settings.json');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify({ ...DEFAULT_SETTINGS, ...settings }, null, 2) + '\n');
  return file;
}

/**
 * Starts code-server (its own entry, which also serves /mint-key, the server half of the key that
 * seals the browser-side SecretStorage) on 127.0.0.1 with --auth none. Sockets live under a short
 * mktemp -d folder (kernel limit on socket path length).
 */
/**
 * Installs a packaged extension (.vsix) into an extensions folder with code-server's own
 * --install-extension, as a user would: the test then runs what ships, not the source folder.
 */
export function installVsix(install: CodeServerInstall, vsix: string, extensionsDir: string): string {
  if (!fs.existsSync(vsix)) throw new Error(`${vsix} is missing: package the extension first (npm run package)`);
  fs.mkdirSync(extensionsDir, { recursive: true });
  const scratch = fs.mkdtempSync(path.join('/tmp', 'csx-'));
  try {
    const result = spawnSync(
      process.execPath,
      [
        path.join(install.packageDir, 'out', 'node', 'entry.js'),
        '--install-extension',
        vsix,
        '--extensions-dir',
        extensionsDir,
        '--user-data-dir',
        scratch,
      ],
      { encoding: 'utf8', env: { ...process.env, EXTENSIONS_GALLERY: '{}' }, timeout: 60_000 },
    );
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim();
    if (result.status !== 0) throw new Error(`code-server --install-extension ${vsix} failed (${result.status}): ${output}`);
    return output;
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

export async function startCodeServer(options: StartOptions): Promise<RunningCodeServer> {
  const install = options.install ?? (await ensureCodeServer());
  const port = options.port ?? (await freePort());
  for (const dir of [options.userDataDir, options.extensionsDir, options.serverDataDir]) {
    fs.mkdirSync(dir, { recursive: true });
  }
  const base = fs.mkdtempSync(path.join('/tmp', 'cs-'));
  // VS Code puts sockets into the user data dir; a long path there is reached through a short link.
  let userDataDir = path.resolve(options.userDataDir);
  if (userDataDir.length > 60) {
    const link = path.join(base, 'u');
    fs.symlinkSync(userDataDir, link);
    userDataDir = link;
  }
  const runtimeDir = path.join(base, 'r');
  fs.mkdirSync(runtimeDir, { mode: 0o700 });
  const settingsFile = writeUserSettings(options.userDataDir, options.settings);
  if (options.displayLanguage) declareDisplayLanguage(options.userDataDir, options.displayLanguage);

  const serverDataDir = path.resolve(options.serverDataDir);
  const configFile = path.join(serverDataDir, 'config.yaml');
  fs.writeFileSync(configFile, `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);
  const logFile = options.logFile ?? path.join(serverDataDir, 'code-server.log');
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  const out = fs.openSync(logFile, 'a');
  const args = [
    path.join(install.packageDir, 'out', 'node', 'entry.js'),
    '--config',
    configFile,
    '--auth',
    'none',
    '--bind-addr',
    `127.0.0.1:${port}`,
    '--user-data-dir',
    userDataDir,
    '--extensions-dir',
    path.resolve(options.extensionsDir),
    '--session-socket',
    path.join(base, 'session.sock'),
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-getting-started-override',
    '--disable-proxy',
    '--ignore-last-opened',
    ...(options.displayLanguage ? ['--locale', options.displayLanguage] : []),
  ];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...options.env,
    // code-server's own files (coder-logs, default config) stay out of $HOME.
    XDG_DATA_HOME: path.join(serverDataDir, 'xdg-data'),
    XDG_CONFIG_HOME: path.join(serverDataDir, 'xdg-config'),
    XDG_CACHE_HOME: path.join(serverDataDir, 'xdg-cache'),
    XDG_RUNTIME_DIR: runtimeDir,
    // No extension gallery (code-server defaults to open-vsx.org): nothing leaves 127.0.0.1.
    EXTENSIONS_GALLERY: '{}',
  };
  // Never inherit a parent VS Code's IPC hooks or code-server session: they would make this server
  // talk to another instance (e.g. when run from a VS Code terminal).
  for (const key of Object.keys(env)) {
    if (
      key.startsWith('VSCODE_') ||
      key === 'ELECTRON_RUN_AS_NODE' ||
      key === 'CODE_SERVER_SESSION_SOCKET' ||
      key === 'CODE_SERVER_PARENT_PID' ||
      key === 'PASSWORD' ||
      key === 'HASHED_PASSWORD'
    ) {
      delete env[key];
    }
  }
  const child: ChildProcess = spawn(process.execPath, args, {
    env,
    cwd: serverDataDir,
    stdio: ['ignore', out, out],
    detached: true, // its own process group, so stop() also ends the extension hosts it spawned
  });
  fs.closeSync(out);
  const pid = child.pid;
  if (pid === undefined) throw new Error('code-server did not start');
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code, signal) => {
      exitCode = code ?? (signal ? 128 : null);
      resolve(exitCode);
    }),
  );

  let stopped = false;
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-pid, signal);
    } catch {
      /* group gone */
    }
  };
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (exitCode === undefined) signalGroup('SIGTERM');
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline) {
      let groupAlive = true;
      try {
        process.kill(-pid, 0);
      } catch {
        groupAlive = false;
      }
      if (!groupAlive && exitCode !== undefined) break;
      await sleep(100);
    }
    // Children of the group (extension hosts, watchers) must not outlive the server.
    signalGroup('SIGKILL');
    fs.rmSync(base, { recursive: true, force: true });
  };

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
  try {
    for (;;) {
      if (exitCode !== undefined) {
        const tail = fs.readFileSync(logFile, 'utf8').split('\n').slice(-30).join('\n');
        throw new Error(`code-server exited (code ${exitCode}) before answering; ${logFile}:\n${tail}`);
      }
      const status = await httpStatus(`${url}/healthz`);
      if (status === 200) break;
      if (Date.now() > deadline) throw new Error(`code-server did not answer on ${url} within the timeout; see ${logFile}`);
      await sleep(250);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  if (!processAlive(pid)) throw new Error('code-server vanished after start');
  return { url, port, pid, logFile, userDataDir, settingsFile, stop, exited };
}

/**
 * Lines of a code-server log that show it reaching (or trying to reach) beyond loopback, e.g. an
 * extension gallery query. Empty when everything stayed on 127.0.0.1.
 */
export function outboundAttemptsInLog(logFile: string): string[] {
  if (!fs.existsSync(logFile)) return [];
  return fs
    .readFileSync(logFile, 'utf8')
    .split('\n')
    .filter((line) => /\b(https?|wss?):\/\/(?!127\.|localhost[:/]|\[::1\])[a-z0-9.-]+/i.test(line) || /ENOTFOUND|EAI_AGAIN/.test(line));
}

if (require.main === module) {
  const command = process.argv[2] ?? 'install';
  if (command === 'install') {
    ensureCodeServer()
      .then((install) => {
        console.log(
          install.reused
            ? `code-server ${install.version} already installed: ${install.packageDir}`
            : `code-server ${install.version} installed in ${install.seconds} s: ${install.packageDir}`,
        );
      })
      .catch((error: unknown) => {
        console.error(error instanceof Error ? error.message : String(error));
        process.exit(1);
      });
  } else if (command === 'check-system') {
    const missing = missingSystemPackages();
    if (missing.length) {
      console.error(`missing: ${missing.join(' ')}`);
      process.exit(1);
    }
    console.log('all system packages for code-server are present');
  } else {
    console.error('usage: node out/test/vscode/codeServer.js install|check-system');
    process.exit(2);
  }
}
