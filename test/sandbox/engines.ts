// The engines the stack can run on (SYNAPSE_ENGINE=debian|current|podman, default debian), each
// private to the stack's run dir, with no network of its own (no bridge, no iptables, no CNI config):
// - debian:  Debian 12's dockerd (docker.io 20.10, classic builder, graphdriver image store);
// - current: Docker Engine 28 unpacked from Debian sid into .cache/engines/ by
//            scripts/fetch-current-engine.sh, run with Debian 12's runc and the containerd image store;
// - podman:  Debian 12's podman, its Docker-compatible API (`podman system service`).
// See docs/test-stack.md §1 and §6.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { ProcessRecord, findExecutable, localRequest, spawnDetached } from './processes';

export const ENGINE_NAMES = ['debian', 'current', 'podman'] as const;
export type EngineName = (typeof ENGINE_NAMES)[number];

// Debian installs the daemon's helpers (runc, containerd) in sbin, which a non-login PATH may lack.
export const SYSTEM_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** The engine `stack up` should run, from SYNAPSE_ENGINE (default debian); anything else is an error. */
export function requestedEngine(env: NodeJS.ProcessEnv = process.env): EngineName {
  const value = (env.SYNAPSE_ENGINE ?? '').trim() || 'debian';
  if (!(ENGINE_NAMES as readonly string[]).includes(value)) {
    throw new Error(`SYNAPSE_ENGINE=${value} is not an engine of the stack: use one of ${ENGINE_NAMES.join(', ')}.`);
  }
  return value as EngineName;
}

/** What a private engine needs to start: its command, environment and the socket it will serve. */
export interface EngineLaunch {
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  dockerHost: string;
  /** Where the binaries came from, e.g. "Debian sid docker.io=28.5.2+dfsg4-5 containerd=2.1.9+ds1-5 (pinned)". */
  source: string;
  /** False when the current engine is not the pinned one (sid moved on); said loudly in the output. */
  pinned?: boolean;
}

const ROOT_HINT = 'as root: bash scripts/ensure-system.sh';

function dockerdFlags(engineDir: string, dockerHost: string): string[] {
  return [
    '--host',
    dockerHost,
    '--bridge=none',
    '--iptables=false',
    '--ip-forward=false',
    '--ip-masq=false',
    '--data-root',
    path.join(engineDir, 'data'),
    '--exec-root',
    path.join(engineDir, 'exec'),
    '--pidfile',
    path.join(engineDir, 'dockerd.pid'),
    '--config-file',
    path.join(engineDir, 'daemon.json'),
  ];
}

function prepareDockerdDirs(engineDir: string, config: object): void {
  fs.mkdirSync(path.join(engineDir, 'data'), { recursive: true });
  fs.mkdirSync(path.join(engineDir, 'exec'), { recursive: true });
  // A config file of our own, so a system /etc/docker/daemon.json (hosts, data-root) never applies.
  fs.writeFileSync(path.join(engineDir, 'daemon.json'), `${JSON.stringify(config)}\n`);
}

/** Debian 12's dockerd, exactly as the stack always ran it. */
function debianLaunch(engineDir: string): EngineLaunch {
  const dockerd = findExecutable('/usr/sbin/dockerd') ?? findExecutable('dockerd', SYSTEM_DIRS);
  if (!dockerd) throw new Error(`dockerd not found: install the Debian package docker.io (${ROOT_HINT}).`);
  const dockerHost = `unix://${path.join(engineDir, 'docker.sock')}`;
  prepareDockerdDirs(engineDir, {});
  return {
    command: dockerd,
    args: dockerdFlags(engineDir, dockerHost),
    env: { ...process.env, PATH: [process.env.PATH ?? '', ...SYSTEM_DIRS].join(':') },
    dockerHost,
    source: `Debian 12 docker.io ${debianPackageVersion('docker.io') ?? '(version unknown)'}`,
  };
}

/** What scripts/fetch-current-engine.sh recorded about the unpacked tree. */
interface CurrentEngineRecord {
  suite: string;
  packages: Record<string, string>;
  pinned: boolean;
  pins: Record<string, string>;
  root: string;
}

export function currentEngineRecordFile(projectRoot: string): string {
  return path.join(projectRoot, '.cache', 'engines', 'current', 'engine.json');
}

/** The unpacked current engine; fetched (cached) through the project's script when it is missing or not the pinned one. */
function currentEngineTree(projectRoot: string): CurrentEngineRecord {
  // The script is idempotent and offline when the pinned tree is there already.
  const fetched = spawnSync('bash', [path.join(projectRoot, 'scripts', 'fetch-current-engine.sh')], {
    cwd: projectRoot,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const line of `${fetched.stdout ?? ''}${fetched.stderr ?? ''}`.split('\n').filter(Boolean)) console.error(line);
  if (fetched.status !== 0)
    throw new Error(`fetching the current engine failed (bash scripts/fetch-current-engine.sh exited with ${fetched.status}).`);
  const record = JSON.parse(fs.readFileSync(currentEngineRecordFile(projectRoot), 'utf8')) as CurrentEngineRecord;
  if (!fs.existsSync(path.join(record.root, 'usr', 'sbin', 'dockerd'))) {
    throw new Error(`the current engine's tree ${record.root} has no usr/sbin/dockerd: remove .cache/engines/current and try again.`);
  }
  return record;
}

/** Docker Engine 28 from sid, its containerd, Debian 12's runc, and the containerd image store. */
function currentLaunch(engineDir: string, projectRoot: string): EngineLaunch {
  const tree = currentEngineTree(projectRoot);
  const runc = findExecutable('/usr/sbin/runc');
  if (!runc)
    throw new Error(
      `Debian 12's runc is needed by the current engine (its own needs glibc 2.38): install the Debian package runc (${ROOT_HINT}).`,
    );
  // dockerd finds its helpers on PATH: a folder of links puts the sid ones (and Debian 12's runc) first.
  const bin = path.join(engineDir, 'bin');
  fs.mkdirSync(bin, { recursive: true });
  const links: Record<string, string | undefined> = {
    containerd: path.join(tree.root, 'usr', 'bin', 'containerd'),
    'containerd-shim-runc-v2': path.join(tree.root, 'usr', 'bin', 'containerd-shim-runc-v2'),
    'docker-proxy': path.join(tree.root, 'usr', 'sbin', 'docker-proxy'),
    // The tree's docker-init links to tini-static, which Debian 12 provides (tini-static).
    'docker-init': findExecutable('/usr/bin/tini-static') ?? findExecutable('/usr/bin/docker-init'),
    runc,
  };
  for (const [name, target] of Object.entries(links)) {
    if (!target || !fs.existsSync(target)) {
      if (name === 'docker-init') continue; // only `--init` needs it
      throw new Error(`the current engine lacks ${name} (${target ?? 'not found'}).`);
    }
    fs.symlinkSync(target, path.join(bin, name));
  }
  const dockerHost = `unix://${path.join(engineDir, 'docker.sock')}`;
  prepareDockerdDirs(engineDir, { features: { 'containerd-snapshotter': true } });
  const versions = Object.entries(tree.packages)
    .map(([name, version]) => `${name}=${version}`)
    .sort()
    .join(' ');
  return {
    command: path.join(tree.root, 'usr', 'sbin', 'dockerd'),
    args: [...dockerdFlags(engineDir, dockerHost), '--ip6tables=false'],
    env: { ...process.env, PATH: [bin, ...SYSTEM_DIRS].join(':') },
    dockerHost,
    source: `Debian ${tree.suite} ${versions}${tree.pinned ? ' (pinned)' : ' (NOT the pinned versions: sid moved on)'}`,
    pinned: tree.pinned,
  };
}

/**
 * Podman's Docker-compatible service as root, all of its state in `engineDir`: private storage,
 * containers.conf (no network for containers and builds; CNI pointed at an empty plugin folder and
 * an empty config folder, so no bridge can ever be made) and registries.conf marking the stack's
 * loopback registry insecure, so podman pushes to it over plain HTTP as dockerd does.
 */
function podmanLaunch(engineDir: string, registryAddress: string): EngineLaunch {
  const podman = findExecutable('/usr/bin/podman') ?? findExecutable('podman', SYSTEM_DIRS);
  if (!podman)
    throw new Error(`podman not found: install the Debian package podman (as root: bash scripts/ensure-system.sh --engines podman).`);
  const dir = (name: string): string => {
    const full = path.join(engineDir, name);
    fs.mkdirSync(full, { recursive: true });
    return full;
  };
  const q = (value: string): string => JSON.stringify(value); // JSON strings are valid TOML basic strings
  const [root, runRoot, tmp, networks, plugins] = ['root', 'run', 'tmp', 'networks', 'no-cni-plugins'].map(dir);
  const storageConf = path.join(engineDir, 'storage.conf');
  const containersConf = path.join(engineDir, 'containers.conf');
  const registriesConf = path.join(engineDir, 'registries.conf');
  fs.writeFileSync(storageConf, `[storage]\ndriver = "overlay"\ngraphroot = ${q(root)}\nrunroot = ${q(runRoot)}\n`);
  fs.writeFileSync(
    containersConf,
    [
      '[containers]',
      'netns = "none"',
      // Podman as root raises RLIMIT_NOFILE and RLIMIT_NPROC to 1048576 for containers; above this
      // machine's hard limits runc then fails ("error setting rlimit type 7: operation not permitted").
      // The service lowers its own RLIMIT_NPROC at start (here to pid_max), so the values are taken
      // from the running service and the file rewritten once (see settlePodmanLimits).
      `default_ulimits = [${containerUlimits('/proc/self/limits').map(q).join(', ')}]`,
      '[network]',
      'network_backend = "cni"',
      `cni_plugin_dirs = [${q(plugins)}]`,
      `network_config_dir = ${q(networks)}`,
      '[engine]',
      'cgroup_manager = "cgroupfs"',
      'events_logger = "file"',
      `events_logfile_path = ${q(path.join(engineDir, 'events.log'))}`,
      '',
    ].join('\n'),
  );
  fs.writeFileSync(
    registriesConf,
    [
      // Short names resolve only locally: nothing is ever looked up on Docker Hub or elsewhere.
      'unqualified-search-registries = []',
      '[[registry]]',
      `location = ${q(registryAddress)}`,
      'insecure = true',
      '',
    ].join('\n'),
  );
  const socket = path.join(engineDir, 'podman.sock');
  return {
    command: podman,
    args: ['--root', root, '--runroot', runRoot, '--tmpdir', tmp, 'system', 'service', '--time=0', `unix://${socket}`],
    env: {
      ...process.env,
      PATH: [process.env.PATH ?? '', ...SYSTEM_DIRS].join(':'),
      CONTAINERS_CONF: containersConf,
      CONTAINERS_STORAGE_CONF: storageConf,
      CONTAINERS_REGISTRIES_CONF: registriesConf,
    },
    dockerHost: `unix://${socket}`,
    source: `Debian 12 podman ${debianPackageVersion('podman') ?? '(version unknown)'}`,
  };
}

/** A docker CLI to compare the extension with: the one packaged in the engine's own Debian suite. */
export interface EngineCli {
  command: string;
  /** Its CLI plugins (buildx), when they are not where the CLI looks by itself. */
  pluginDir?: string;
  /** e.g. "Debian sid docker-cli=28.5.2+dfsg4-5 docker-buildx=0.29.1+ds1-4". */
  source: string;
}

/**
 * The current engine: sid's docker-cli and docker-buildx, unpacked beside it (`docker build` is
 * buildx there). Debian 12's docker.io and podman: Debian 12's CLI 20.10, BuildKit built in.
 */
export function engineCli(name: EngineName, projectRoot: string): EngineCli {
  if (name === 'current') {
    const tree = currentEngineTree(projectRoot);
    const command = path.join(tree.root, 'usr', 'bin', 'docker');
    const pluginDir = path.join(tree.root, 'usr', 'libexec', 'docker', 'cli-plugins');
    for (const file of [command, path.join(pluginDir, 'docker-buildx')])
      if (!fs.existsSync(file))
        throw new Error(
          `the current engine's tree ${tree.root} has no ${path.relative(tree.root, file)}: remove .cache/engines/current and try again.`,
        );
    const versions = ['docker-cli', 'docker-buildx'].map((pkg) => `${pkg}=${tree.packages[pkg] ?? '?'}`).join(' ');
    return { command, pluginDir, source: `Debian ${tree.suite} ${versions}` };
  }
  const command = findExecutable('/usr/bin/docker');
  if (!command) throw new Error(`the docker CLI /usr/bin/docker is missing: install the Debian package docker.io (${ROOT_HINT}).`);
  return { command, source: `Debian 12 docker.io ${debianPackageVersion('docker.io') ?? '(version unknown)'}` };
}

/** The environment of a CLI run that reads nothing of the user's: its own config folder (also its home) and the given engine. */
export function isolatedCliEnv(configDir: string, dockerHost: string): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: configDir, DOCKER_CONFIG: configDir, DOCKER_HOST: dockerHost, DOCKER_CLI_HINTS: 'false' };
}

/** Links the CLI's plugins into a config folder of its own (`--config` / DOCKER_CONFIG), where the CLI looks for them. */
export function linkCliPlugins(cli: EngineCli, configDir: string): void {
  if (!cli.pluginDir) return;
  fs.mkdirSync(path.join(configDir, 'cli-plugins'), { recursive: true });
  for (const plugin of fs.readdirSync(cli.pluginDir))
    fs.symlinkSync(path.join(cli.pluginDir, plugin), path.join(configDir, 'cli-plugins', plugin));
}

/** How to start the named engine in `engineDir` (a fresh folder). Podman needs the registry's address. */
export function engineLaunch(name: EngineName, engineDir: string, options: { projectRoot: string; registryAddress: string }): EngineLaunch {
  switch (name) {
    case 'debian':
      return debianLaunch(engineDir);
    case 'current':
      return currentLaunch(engineDir, options.projectRoot);
    case 'podman':
      return podmanLaunch(engineDir, options.registryAddress);
  }
}

export function spawnEngine(launch: EngineLaunch, log: string): ProcessRecord {
  return spawnDetached(launch.command, launch.args, log, { env: launch.env });
}

/**
 * Podman only: true when the containers.conf limits are the running service's own hard limits;
 * otherwise rewrites them and returns false (the service reads the file at start: restart it).
 */
export function settlePodmanLimits(engineDir: string, pid: number): boolean {
  const file = path.join(engineDir, 'containers.conf');
  const wanted = `default_ulimits = [${containerUlimits(`/proc/${pid}/limits`)
    .map((v) => JSON.stringify(v))
    .join(', ')}]`;
  const text = fs.readFileSync(file, 'utf8');
  const updated = text.replace(/^default_ulimits = .*$/m, wanted);
  if (updated === text) return true;
  fs.writeFileSync(file, updated);
  return false;
}

/** The hard RLIMIT_NOFILE and RLIMIT_NPROC of a process (what a container may be given), from its /proc limits file. */
function containerUlimits(limitsFile: string): string[] {
  let limits: string[];
  try {
    limits = fs.readFileSync(limitsFile, 'utf8').split('\n');
  } catch {
    return [];
  }
  const hard = (label: string): number | undefined => {
    const value = Number(limits.find((l) => l.startsWith(label))?.split(/\s{2,}/)[2]);
    return Number.isInteger(value) && value > 0 ? value : undefined; // "unlimited" needs no cap
  };
  return (
    [
      ['nofile', 'Max open files'],
      ['nproc', 'Max processes'],
    ] as const
  )
    .map(([name, label]) => [name, hard(label)] as const)
    .filter(([, value]) => value !== undefined)
    .map(([name, value]) => `${name}=${value}:${value}`);
}

function debianPackageVersion(name: string): string | undefined {
  const result = spawnSync('dpkg-query', ['-W', '-f=${Version}', name], { encoding: 'utf8' });
  return result.status === 0 && result.stdout.trim() ? result.stdout.trim() : undefined;
}

interface VersionAnswer {
  Version?: string;
  ApiVersion?: string;
  Components?: Array<{ Name: string; Version: string }>;
}

/**
 * The engine as its API describes itself: `Engine=28.5.2 containerd=2.1.9 runc=1.1.5` for Docker,
 * `Podman 4.3.1` for Podman, with the API version and the builder `/_ping` announces.
 */
export async function describeEngine(dockerHost: string): Promise<string> {
  const url = new URL(dockerHost);
  const target = (route: string) =>
    url.protocol === 'unix:' ? { url: `http://docker${route}`, socketPath: url.pathname } : { url: `http://${url.host}${route}` };
  const version = JSON.parse((await localRequest(target('/version'), { timeoutMs: 5000 })).body) as VersionAnswer;
  const ping = await localRequest(target('/_ping'), { timeoutMs: 2000 });
  const components = version.Components ?? [];
  const podman = components.find((c) => c.Name === 'Podman Engine');
  const builder = String(ping.headers['builder-version'] ?? '').trim();
  const builderText = ping.headers['libpod-buildah-version']
    ? `buildah ${String(ping.headers['libpod-buildah-version'])}`
    : builder === '2'
      ? 'BuildKit default (Builder-Version 2)'
      : 'classic builder (Builder-Version 1)';
  let head: string;
  if (podman) {
    head = `Podman ${podman.Version}`;
  } else {
    const short = (v: string) =>
      v
        .split('\n')[0]
        .replace(/^runc version /, '')
        .replace(/\+.*$/, '')
        .replace(/~.*$/, '');
    head =
      ['Engine', 'containerd', 'runc']
        .map((name) => {
          const component = components.find((c) => c.Name === name || c.Name.toLowerCase() === name);
          return component ? `${name}=${short(component.Version)}` : undefined;
        })
        .filter(Boolean)
        .join(' ') || `Engine=${version.Version ?? '?'}`;
  }
  return `${head} (API ${version.ApiVersion ?? '?'}, ${builderText})`;
}
