// The stack's Docker engine: reuse one that already answers, or start a private dockerd with no
// network of its own (no bridge, no iptables) and all of its state under the stack's short run dir.
import Docker from 'dockerode';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import * as tar from 'tar-fs';
import { EngineName, describeEngine, engineLaunch, settlePodmanLimits, spawnEngine } from './engines';
import { ProcessRecord, isRunning, localRequest, stopProcess, waitUntil } from './processes';

export const BASE_IMAGE = 'local/busybox:1';
const SYSTEM_SOCKET = 'unix:///var/run/docker.sock';
const ENGINE_START_TIMEOUT_MS = 30_000;
const ENGINE_STOP_TIMEOUT_MS = 30_000;

export interface EngineRecord {
  /** "started": our own engine, stopped by `down`; "reused": someone else's, never touched. */
  mode: 'started' | 'reused';
  /** The engine asked for (SYNAPSE_ENGINE); a reused engine is always "debian", the default. */
  name: EngineName;
  dockerHost: string;
  /** What its API says it is: "Engine=28.5.2 containerd=2.1.9 runc=1.1.5 (API 1.51, …)", "Podman 4.3.1 (…)". */
  description?: string;
  /** Where a started engine's binaries came from (Debian package versions). */
  source?: string;
  /** False when the current engine is not the pinned one. */
  pinned?: boolean;
  /** Podman only: the registry its registries.conf marks insecure. */
  registryAddress?: string;
  process?: ProcessRecord;
  /** The engine's data-root/exec-root parent (only when started). */
  engineDir?: string;
}

/** A dockerode client for a DOCKER_HOST value (unix socket, or tcp on loopback). */
export function dockerClient(dockerHost: string): Docker {
  const url = new URL(dockerHost);
  if (url.protocol === 'unix:') return new Docker({ socketPath: url.pathname });
  return new Docker({ host: url.hostname, port: Number(url.port), protocol: 'http' });
}

function pingTarget(dockerHost: string): { url: string; socketPath?: string } {
  const url = new URL(dockerHost);
  if (url.protocol === 'unix:') return { url: 'http://docker/_ping', socketPath: url.pathname };
  return { url: `http://${url.host}/_ping` };
}

/** True when an engine answers `/_ping` at this DOCKER_HOST. */
export async function engineAnswers(dockerHost: string): Promise<boolean> {
  try {
    const response = await localRequest(pingTarget(dockerHost), { timeoutMs: 1500 });
    return response.status === 200;
  } catch {
    return false;
  }
}

/**
 * An engine someone else runs (DOCKER_HOST, then the system socket), or undefined. Sockets of the
 * stack's own engines (`ownPrefix`, the run dir) are never "someone else's", even when a script
 * exported one of them as DOCKER_HOST.
 */
export async function findRunningEngine(exclude?: string, ownPrefix?: string): Promise<string | undefined> {
  const candidates = [process.env.DOCKER_HOST, SYSTEM_SOCKET].filter(
    (h): h is string => !!h && h !== exclude && !(ownPrefix && h.startsWith(`unix://${ownPrefix}`)),
  );
  for (const candidate of candidates) {
    if (/^(unix|tcp|http):\/\//.test(candidate) && (await engineAnswers(candidate))) return candidate;
  }
  return undefined;
}

/**
 * Starts the named engine privately: its socket, data, state and pidfile all live in `engineDir`.
 * Podman is given the registry's address (its registries.conf marks it insecure).
 */
export async function startEngine(
  name: EngineName,
  engineDir: string,
  log: string,
  options: { projectRoot: string; registryAddress: string },
): Promise<EngineRecord> {
  if (process.getuid?.() !== 0) {
    throw new Error(
      'No Docker engine answers (DOCKER_HOST, /var/run/docker.sock) and starting one needs root. Start Docker, or run the stack as root.',
    );
  }
  // Sockets inside exec-root (containerd's) are longer than docker.sock: keep margin below 108.
  if (path.join(engineDir, 'exec', 'containerd', 'containerd-debug.sock').length >= 100) {
    throw new Error(`engine directory path too long for unix sockets: ${engineDir}`);
  }
  fs.mkdirSync(engineDir, { recursive: true });
  const launch = engineLaunch(name, engineDir, options);
  let record = spawnEngine(launch, log);
  const service = `${name} engine (${path.basename(launch.command)})`;
  const answers = async () => ((await engineAnswers(launch.dockerHost)) ? true : undefined);
  if (name === 'podman') {
    await waitUntil(answers, { service, timeoutMs: ENGINE_START_TIMEOUT_MS, process: record });
    if (!settlePodmanLimits(engineDir, record.pid)) {
      await stopProcess(record, ENGINE_STOP_TIMEOUT_MS);
      record = spawnEngine(launch, log);
    }
  }
  const engine: EngineRecord = {
    mode: 'started',
    name,
    dockerHost: launch.dockerHost,
    process: record,
    engineDir,
    source: launch.source,
    pinned: launch.pinned,
    registryAddress: name === 'podman' ? options.registryAddress : undefined,
  };
  engine.process = record;
  await waitUntil(answers, { service, timeoutMs: ENGINE_START_TIMEOUT_MS, process: record });
  engine.description = await describeEngine(launch.dockerHost).catch((error: Error) => `version unknown: ${error.message}`);
  return engine;
}

/** Stops our engine (never a reused one), whatever it left running, and whatever is still mounted under its directory. */
export async function stopEngine(engine: EngineRecord): Promise<string> {
  if (engine.mode !== 'started' || !engine.process) return 'reused, left running';
  const outcome = await stopProcess(engine.process, ENGINE_STOP_TIMEOUT_MS);
  if (engine.engineDir) {
    await stopOrphans(engine.engineDir);
    unmountUnder(engine.engineDir);
  }
  return outcome;
}

const ENGINE_HELPERS = /^(containerd|containerd-shim.*|conmon|dockerd|podman|runc|buildah)$/;

function readComm(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

// An engine killed with SIGKILL cannot stop its helpers (dockerd's containerd and shims, podman's
// conmon). Each was started by our engine and names our private directory on its command line,
// so the processes whose command line holds that directory are ours: stopped by pid.
async function stopOrphans(engineDir: string): Promise<void> {
  const marker = `${engineDir}/`;
  for (const entry of fs.readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid <= 1 || pid === process.pid) continue;
    let commandLine: string;
    try {
      commandLine = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
    } catch {
      continue; // gone meanwhile
    }
    if (commandLine.includes(marker) && ENGINE_HELPERS.test(readComm(pid))) await stopProcess({ pid, log: '', command: [] }, 10_000);
  }
}

/** Lazily unmounts whatever is still mounted below `dir` (deepest first), so it can be removed. */
export function unmountUnder(dir: string): void {
  let mounts: string[];
  try {
    mounts = fs
      .readFileSync('/proc/mounts', 'utf8')
      .split('\n')
      .map((line) => line.split(' ')[1] ?? '');
  } catch {
    return;
  }
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  for (const mountPoint of mounts
    .filter((m) => m.startsWith(prefix))
    .sort()
    .reverse()) {
    spawnSync('umount', ['-l', mountPoint], { stdio: 'ignore' });
  }
}

/** Applets linked in the base image; busybox dispatches on argv[0]. */
const BUSYBOX_APPLETS = [
  'sh',
  'echo',
  'cat',
  'ls',
  'mkdir',
  'rm',
  'cp',
  'mv',
  'touch',
  'true',
  'false',
  'env',
  'sleep',
  'test',
  '[',
  'grep',
  'sed',
  'wc',
  'id',
  'pwd',
  'chmod',
  'ln',
  'head',
  'tail',
  'find',
  'printf',
  'uname',
  'date',
  'sha256sum',
  'tar',
  'gzip',
  'stat',
  'hostname',
  'whoami',
];

/**
 * Creates `local/busybox:1` from Debian's busybox-static when the engine lacks it, so tests can
 * build images with RUN steps without pulling anything from Docker Hub.
 */
export async function ensureBaseImage(dockerHost: string): Promise<'present' | 'created'> {
  const docker = dockerClient(dockerHost);
  try {
    await docker.getImage(BASE_IMAGE).inspect();
    return 'present';
  } catch {
    // Missing: build it below.
  }
  const busybox = ['/bin/busybox', '/usr/bin/busybox'].find((file) => fs.existsSync(file));
  if (!busybox || !isStaticExecutable(busybox)) {
    throw new Error(
      'A static busybox is needed for the base image: install the Debian package busybox-static (as root: bash scripts/ensure-system.sh).',
    );
  }
  const rootfs = fs.mkdtempSync(path.join(os.tmpdir(), 'busybox-rootfs-'));
  let imported: string | undefined;
  try {
    for (const dir of ['bin', 'etc', 'root', 'tmp', 'proc', 'sys', 'dev']) fs.mkdirSync(path.join(rootfs, dir));
    fs.chmodSync(path.join(rootfs, 'tmp'), 0o1777);
    fs.copyFileSync(busybox, path.join(rootfs, 'bin', 'busybox'));
    fs.chmodSync(path.join(rootfs, 'bin', 'busybox'), 0o755);
    for (const applet of BUSYBOX_APPLETS) fs.symlinkSync('busybox', path.join(rootfs, 'bin', applet));
    fs.writeFileSync(path.join(rootfs, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
    fs.writeFileSync(path.join(rootfs, 'etc', 'group'), 'root:x:0:\n');
    // tar-fs streams are streamx streams; they pipe like Node streams, which is all dockerode does.
    const archive = tar.pack(rootfs, {
      map: (header) => ({ ...header, uid: 0, gid: 0, uname: 'root', gname: 'root' }),
    }) as unknown as NodeJS.ReadableStream;
    const output = await docker.importImage(archive, {
      repo: BASE_IMAGE.split(':')[0],
      tag: BASE_IMAGE.split(':')[1],
      changes: ['ENV PATH=/bin', 'CMD ["/bin/sh"]'],
    });
    imported = await new Promise<string | undefined>((resolve, reject) => {
      docker.modem.followProgress(output, (error: Error | null, events: Array<{ error?: string; status?: string }>) => {
        const failed = error?.message ?? events.find((event) => event.error)?.error;
        if (failed) reject(new Error(`importing ${BASE_IMAGE} failed: ${failed}`));
        // dockerd answers {"status":"sha256:<id>"}; so does podman.
        else resolve(events.map((event) => /^sha256:[0-9a-f]{64}$/.exec(event.status ?? '')?.[0]).find(Boolean));
      });
    });
  } finally {
    fs.rmSync(rootfs, { recursive: true, force: true });
  }
  // Podman's compat import ignores repo/tag (the image becomes docker.io/local/busybox:latest):
  // tag it by id as dockerd would have, and drop the name it made up.
  const [repo, tag] = BASE_IMAGE.split(':');
  if (
    !(await docker
      .getImage(BASE_IMAGE)
      .inspect()
      .then(
        () => true,
        () => false,
      ))
  ) {
    if (!imported) throw new Error(`importing ${BASE_IMAGE} reported no image id`);
    await docker.getImage(imported).tag({ repo, tag });
    const madeUp = docker.getImage(`${repo}:latest`);
    if ((await madeUp.inspect().catch(() => undefined))?.Id === imported) await madeUp.remove({ noprune: true });
  }
  await docker.getImage(BASE_IMAGE).inspect();
  return 'created';
}

// A dynamically linked busybox (Debian's "busybox" package) would not run in an image without libc:
// an ELF file is static when it has no PT_INTERP program header.
function isStaticExecutable(file: string): boolean {
  const elf = fs.readFileSync(file);
  if (elf.readUInt32BE(0) !== 0x7f454c46 || elf[4] !== 2) return false;
  const headerOffset = Number(elf.readBigUInt64LE(0x20));
  const headerSize = elf.readUInt16LE(0x36);
  const headerCount = elf.readUInt16LE(0x38);
  for (let i = 0; i < headerCount; i++) {
    if (elf.readUInt32LE(headerOffset + i * headerSize) === 3 /* PT_INTERP */) return false;
  }
  return true;
}

export function engineIsUp(engine: EngineRecord | undefined): Promise<boolean> {
  if (!engine) return Promise.resolve(false);
  if (engine.mode === 'started' && !isRunning(engine.process)) return Promise.resolve(false);
  return engineAnswers(engine.dockerHost);
}
