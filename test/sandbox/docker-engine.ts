// The stack's Docker engine: reuse one that already answers, or start a private dockerd with no
// network of its own (no bridge, no iptables) and all of its state under the stack's short run dir.
import Docker from 'dockerode';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import * as tar from 'tar-fs';
import {
  ProcessRecord, findExecutable, isRunning, localRequest, spawnDetached, stopProcess, waitUntil,
} from './processes';

export const BASE_IMAGE = 'local/busybox:1';
const SYSTEM_SOCKET = 'unix:///var/run/docker.sock';
const ENGINE_START_TIMEOUT_MS = 30_000;
const ENGINE_STOP_TIMEOUT_MS = 30_000;
// Debian installs the daemon's helpers (runc, containerd) in sbin, which a non-login PATH may lack.
const SYSTEM_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

export interface EngineRecord {
  /** "started": our own dockerd, stopped by `down`; "reused": someone else's, never touched. */
  mode: 'started' | 'reused';
  dockerHost: string;
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

/** An engine someone else runs (DOCKER_HOST, then the system socket), or undefined. */
export async function findRunningEngine(exclude?: string): Promise<string | undefined> {
  const candidates = [process.env.DOCKER_HOST, SYSTEM_SOCKET].filter((h): h is string => !!h && h !== exclude);
  for (const candidate of candidates) {
    if (/^(unix|tcp|http):\/\//.test(candidate) && (await engineAnswers(candidate))) return candidate;
  }
  return undefined;
}

/** Starts a private dockerd whose socket, data-root, exec-root and pidfile all live in `engineDir`. */
export async function startEngine(engineDir: string, log: string): Promise<EngineRecord> {
  const dockerd = findExecutable('dockerd', SYSTEM_DIRS);
  if (!dockerd) throw new Error('dockerd not found: install the Debian package docker.io (as root: bash scripts/ensure-system.sh).');
  if (process.getuid?.() !== 0) {
    throw new Error('No Docker engine answers (DOCKER_HOST, /var/run/docker.sock) and starting one needs root. Start Docker, or run the stack as root.');
  }
  const socket = path.join(engineDir, 'docker.sock');
  // Sockets inside exec-root (containerd's) are longer than docker.sock: keep margin below 108.
  if (path.join(engineDir, 'exec', 'containerd', 'containerd-debug.sock').length >= 100) {
    throw new Error(`engine directory path too long for unix sockets: ${engineDir}`);
  }
  fs.mkdirSync(path.join(engineDir, 'data'), { recursive: true });
  fs.mkdirSync(path.join(engineDir, 'exec'), { recursive: true });
  // An empty config file of our own, so a system /etc/docker/daemon.json (hosts, data-root) never applies.
  fs.writeFileSync(path.join(engineDir, 'daemon.json'), '{}\n');
  const dockerHost = `unix://${socket}`;
  const record = spawnDetached(dockerd, [
    '--host', dockerHost,
    '--bridge=none', '--iptables=false', '--ip-forward=false', '--ip-masq=false',
    '--data-root', path.join(engineDir, 'data'),
    '--exec-root', path.join(engineDir, 'exec'),
    '--pidfile', path.join(engineDir, 'dockerd.pid'),
    '--config-file', path.join(engineDir, 'daemon.json'),
  ], log, { env: { ...process.env, PATH: [process.env.PATH ?? '', ...SYSTEM_DIRS].join(':') } });
  const engine: EngineRecord = { mode: 'started', dockerHost, process: record, engineDir };
  await waitUntil(async () => ((await engineAnswers(dockerHost)) ? true : undefined), {
    service: 'Docker engine (dockerd)', timeoutMs: ENGINE_START_TIMEOUT_MS, process: record,
  });
  return engine;
}

/** Stops our dockerd (never a reused one) and anything it left mounted under its directory. */
export async function stopEngine(engine: EngineRecord): Promise<string> {
  if (engine.mode !== 'started' || !engine.process) return 'reused, left running';
  const outcome = await stopProcess(engine.process, ENGINE_STOP_TIMEOUT_MS);
  if (outcome === 'killed' && engine.engineDir) await stopOrphanedContainerd(engine.engineDir);
  if (engine.engineDir) unmountUnder(engine.engineDir);
  return outcome;
}

// A dockerd killed with SIGKILL cannot stop the containerd it started; that one records its pid
// in the exec-root, and its command line names our directory, so it is safe to stop.
async function stopOrphanedContainerd(engineDir: string): Promise<void> {
  try {
    const pid = Number(fs.readFileSync(path.join(engineDir, 'exec', 'containerd', 'containerd.pid'), 'utf8').trim());
    const commandLine = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (pid > 1 && commandLine.includes(engineDir)) await stopProcess({ pid, log: '', command: [] }, 10_000);
  } catch {
    // No pid file or no such process: nothing left to stop.
  }
}

/** Lazily unmounts whatever is still mounted below `dir` (deepest first), so it can be removed. */
export function unmountUnder(dir: string): void {
  let mounts: string[];
  try {
    mounts = fs.readFileSync('/proc/mounts', 'utf8').split('\n').map((line) => line.split(' ')[1] ?? '');
  } catch {
    return;
  }
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  for (const mountPoint of mounts.filter((m) => m.startsWith(prefix)).sort().reverse()) {
    spawnSync('umount', ['-l', mountPoint], { stdio: 'ignore' });
  }
}

/** Applets linked in the base image; busybox dispatches on argv[0]. */
const BUSYBOX_APPLETS = [
  'sh', 'echo', 'cat', 'ls', 'mkdir', 'rm', 'cp', 'mv', 'touch', 'true', 'false', 'env', 'sleep',
  'test', '[', 'grep', 'sed', 'wc', 'id', 'pwd', 'chmod', 'ln', 'head', 'tail', 'find', 'printf',
  'uname', 'date', 'sha256sum', 'tar', 'gzip', 'stat', 'hostname', 'whoami',
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
    throw new Error('A static busybox is needed for the base image: install the Debian package busybox-static (as root: bash scripts/ensure-system.sh).');
  }
  const rootfs = fs.mkdtempSync(path.join(os.tmpdir(), 'busybox-rootfs-'));
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
      repo: BASE_IMAGE.split(':')[0], tag: BASE_IMAGE.split(':')[1],
      changes: ['ENV PATH=/bin', 'CMD ["/bin/sh"]'],
    });
    await new Promise<void>((resolve, reject) => {
      docker.modem.followProgress(output, (error: Error | null, events: Array<{ error?: string }>) => {
        const failed = error?.message ?? events.find((event) => event.error)?.error;
        if (failed) reject(new Error(`importing ${BASE_IMAGE} failed: ${failed}`));
        else resolve();
      });
    });
  } finally {
    fs.rmSync(rootfs, { recursive: true, force: true });
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
