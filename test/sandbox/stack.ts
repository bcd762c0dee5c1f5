// The local test stack: a Docker engine, the Synapse sandbox and a Docker registry wired to it.
//   node out/test/sandbox/stack.js up|down|status [--quiet]   (SYNAPSE_SANDBOX_SEED=<file> picks another seed)
//   SYNAPSE_ENGINE=debian|current|podman picks the engine for `up` (default debian; see engines.ts).
// `up` is idempotent and records every process it starts (by pid) in .synapse-sandbox/stack.json;
// asked for another engine than the one running, it stops ours and starts the one asked for
// (sandbox and registry stay). `down` stops exactly what `up` started, never an engine it found running.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EngineRecord, engineIsUp, ensureBaseImage, findRunningEngine, startEngine, stopEngine, unmountUnder } from './docker-engine';
import { EngineName, describeEngine, requestedEngine } from './engines';
import {
  ProcessRecord,
  freeLoopbackPort,
  isRunning,
  localRequest,
  sleep,
  spawnDetached,
  stopProcess,
  waitUntil,
  writeFileAtomic,
} from './processes';
import { RegistryRecord, generateTokenKeyPair, newListenerSecret, registryChallenge, startRegistry } from './registry';

const SANDBOX_START_TIMEOUT_MS = 20_000;
const SERVICE_STOP_TIMEOUT_MS = 10_000;
const LOCK_TIMEOUT_MS = 120_000;

/** The project root: the nearest folder above this file holding package.json (works from out/ too). */
function findProjectRoot(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${start}`);
  }
}

export const projectRoot = findProjectRoot(__dirname);
export const stateDir = path.join(projectRoot, '.synapse-sandbox');
export const sandboxInfoFile = path.join(stateDir, 'sandbox.json');
const stackStateFile = path.join(stateDir, 'stack.json');
const lockFile = path.join(stateDir, 'stack.lock');
const logDir = path.join(stateDir, 'logs');
const sandboxMain = path.join(projectRoot, 'out', 'test', 'sandbox', 'main.js');
const defaultSeed = path.join(projectRoot, 'test', 'sandbox', 'seed', 'default.json');

/** `.synapse-sandbox/sandbox.json`, as in docs/CONTRACTS.md. */
export interface SandboxInfo {
  synapseEndpoint: string;
  portalUrl: string;
  registry: string;
  dockerHost: string;
  users: SandboxUser[];
  projects: SandboxProject[];
  codeServerUrl?: string;
  /** The engine at dockerHost: its name in the matrix and what it says it is. */
  engine?: SandboxEngine;
  [otherKey: string]: unknown;
}
export interface SandboxEngine {
  name: EngineName;
  /** "Engine=28.5.2 containerd=2.1.9 runc=1.1.5 (API 1.51, BuildKit default (Builder-Version 2))", "Podman 4.3.1 (…)". */
  version: string;
  /** Debian package versions of a started engine. */
  source?: string;
  mode: 'started' | 'reused';
}
export interface SandboxUser {
  userName: string;
  ownerId: string;
  token: string;
  certified: boolean;
  scopes: string[];
}
export interface SandboxProject {
  id: string;
  name: string;
  inTrash: boolean;
  access: Record<string, string[]>;
}

/** The keys of sandbox.json this script owns; other scripts may add their own beside them. */
const OWN_INFO_KEYS = ['synapseEndpoint', 'portalUrl', 'registry', 'dockerHost', 'engine', 'users', 'projects'] as const;

/** What the sandbox CLI writes to its ready file once it listens. */
interface SandboxReady {
  url: string;
  port: number;
  issuer: string;
  users: SandboxUser[];
  projects: SandboxProject[];
}

interface SandboxRecord {
  process: ProcessRecord;
  port: number;
  url: string;
  readyFile: string;
}

/** Everything `up` started or found, so `down` and `status` know what is ours. */
interface StackState {
  /** Short `mktemp -d` directory: engine sockets and data, registry storage. Removed by `down`. */
  runDir?: string;
  engine?: EngineRecord;
  sandbox?: SandboxRecord;
  registry?: RegistryRecord;
}

export interface StackUpResult {
  info: SandboxInfo;
  /** Services this call started (engine, sandbox, registry); empty when everything was up already. */
  started: string[];
  /** Set when this call replaced a running engine of another kind. */
  switchedFrom?: EngineName;
  timingsMs: Record<string, number>;
}

function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

function readState(): StackState {
  return readJson<StackState>(stackStateFile) ?? {};
}

function saveState(state: StackState): void {
  writeFileAtomic(stackStateFile, `${JSON.stringify(state, null, 2)}\n`);
}

/** The contents of sandbox.json while the stack is up (written by `up`), else undefined. */
export function readStackInfo(): SandboxInfo | undefined {
  const info = readJson<SandboxInfo>(sandboxInfoFile);
  return info && typeof info.synapseEndpoint === 'string' ? info : undefined;
}

/** Serialises concurrent up/down calls (test.sh and a host runner may both ask for the stack). */
async function withLock<T>(action: () => Promise<T>): Promise<T> {
  fs.mkdirSync(stateDir, { recursive: true });
  const deadline = Date.now() + LOCK_TIMEOUT_MS;
  for (;;) {
    try {
      fs.writeFileSync(lockFile, String(process.pid), { flag: 'wx' });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(fs.readFileSync(lockFile, 'utf8').trim());
      if (!holder || !isRunning({ pid: holder, log: '', command: [] })) {
        fs.rmSync(lockFile, { force: true }); // left by a process that died
        continue;
      }
      if (Date.now() > deadline) throw new Error(`stack is locked by pid ${holder} (${lockFile})`);
      await sleep(200);
    }
  }
  try {
    return await action();
  } finally {
    fs.rmSync(lockFile, { force: true });
  }
}

/**
 * Where the run directory (engine data, registry storage) lives: `disk` (the temp folder) or
 * `memory` (a tmpfs). The benchmark asks for memory: this machine's virtual disk writes fresh
 * blocks at ~150 MB/s and reused ones at ~1.7 GB/s, so on disk which a build got swung its
 * time by 25-45 % between runs, more than any difference between the two clients measured.
 */
export type StackStorage = 'disk' | 'memory';

/** The tmpfs `memory` storage uses. */
const MEMORY_BASE = '/dev/shm';

function isTmpfs(dir: string): boolean {
  try {
    return fs
      .readFileSync('/proc/mounts', 'utf8')
      .split('\n')
      .some((line) => {
        const [, mountPoint, type] = line.split(' ');
        return mountPoint === dir && type === 'tmpfs';
      });
  } catch {
    return false;
  }
}

/** The storage of the stack's run directory, while it has one. */
export function stackStorage(): StackStorage | undefined {
  const runDir = stackRunDir();
  if (!runDir) return undefined;
  return path.dirname(runDir) === MEMORY_BASE ? 'memory' : 'disk';
}

/** The stack's run directory (engine data, registry storage), undefined when it has none. */
export function stackRunDir(): string | undefined {
  const runDir = readState().runDir;
  return runDir && fs.existsSync(runDir) ? runDir : undefined;
}

/** A fresh short directory for sockets: the kernel caps unix socket paths at 108 bytes. */
function makeRunDir(storage: StackStorage): string {
  if (storage === 'memory' && !isTmpfs(MEMORY_BASE))
    throw new Error(`${MEMORY_BASE} is not a tmpfs: the stack cannot keep its storage in memory`);
  const base = storage === 'memory' ? MEMORY_BASE : os.tmpdir().length <= 40 ? os.tmpdir() : '/tmp';
  return fs.mkdtempSync(path.join(base, 'syn-'));
}

async function sandboxAnswers(sandbox: SandboxRecord): Promise<boolean> {
  try {
    return (await localRequest({ url: `${sandbox.url}/__admin/state` })).status === 200;
  } catch {
    return false;
  }
}

async function registryAnswers(registry: RegistryRecord): Promise<boolean> {
  try {
    return (await registryChallenge(registry.address)) !== undefined;
  } catch {
    return false;
  }
}

async function startSandbox(
  port: number,
  registryAddress: string,
  keyFile: string,
  certFile: string,
  listener: { user: string; password: string },
): Promise<{ record: SandboxRecord; ready: SandboxReady }> {
  if (!fs.existsSync(sandboxMain)) {
    throw new Error(`sandbox CLI missing: ${path.relative(projectRoot, sandboxMain)} (build first: node scripts/build.mjs --tests-only)`);
  }
  const readyFile = path.join(stateDir, 'sandbox-ready.json');
  fs.rmSync(readyFile, { force: true });
  const log = path.join(logDir, 'sandbox.log');
  const processRecord = spawnDetached(
    process.execPath,
    [
      sandboxMain,
      '--seed',
      process.env.SYNAPSE_SANDBOX_SEED ?? defaultSeed,
      '--registry',
      registryAddress,
      '--port',
      String(port),
      '--token-key',
      keyFile,
      '--token-cert',
      certFile,
      '--listener-secret',
      `${listener.user}:${listener.password}`,
      '--ready-file',
      readyFile,
    ],
    log,
    { secrets: [listener.password] },
  );
  const record: SandboxRecord = { process: processRecord, port, url: `http://127.0.0.1:${port}`, readyFile };
  const ready = await waitUntil(
    async () => {
      const written = readJson<SandboxReady>(readyFile);
      return written && (await sandboxAnswers(record)) ? written : undefined;
    },
    { service: `Synapse sandbox (port ${port})`, timeoutMs: SANDBOX_START_TIMEOUT_MS, process: processRecord },
  );
  record.url = ready.url;
  return { record, ready };
}

/** Two distinct free loopback ports (the sandbox and the registry each need the other's). */
async function pickPorts(): Promise<[number, number]> {
  const first = await freeLoopbackPort();
  let second = await freeLoopbackPort();
  while (second === first) second = await freeLoopbackPort();
  return [first, second];
}

/** Merges our keys into sandbox.json, keeping keys other scripts added (e.g. codeServerUrl). */
function writeSandboxInfo(own: Pick<SandboxInfo, (typeof OWN_INFO_KEYS)[number]>): SandboxInfo {
  const info: SandboxInfo = { ...(readJson<Record<string, unknown>>(sandboxInfoFile) ?? {}), ...own };
  writeFileAtomic(sandboxInfoFile, `${JSON.stringify(info, null, 2)}\n`);
  return info;
}

/** Removes our keys from sandbox.json (the whole file when nothing else is left in it). */
function clearSandboxInfo(): void {
  const info = readJson<Record<string, unknown>>(sandboxInfoFile);
  if (!info) return;
  for (const key of OWN_INFO_KEYS) delete info[key];
  if (Object.keys(info).length === 0) fs.rmSync(sandboxInfoFile, { force: true });
  else writeFileAtomic(sandboxInfoFile, `${JSON.stringify(info, null, 2)}\n`);
}

async function timed<T>(timings: Record<string, number>, name: string, action: () => Promise<T>): Promise<T> {
  const started = Date.now();
  try {
    return await action();
  } finally {
    timings[name] = Date.now() - started;
  }
}

/**
 * Brings the whole stack up on `engineName`, starting only what is not already running. `storage`
 * applies when the run directory is made; a stack already up elsewhere is refused, not moved.
 */
export function stackUp(engineName: EngineName = requestedEngine(), storage: StackStorage = 'disk'): Promise<StackUpResult> {
  return withLock(async () => {
    const upStarted = Date.now();
    const timingsMs: Record<string, number> = {};
    const started: string[] = [];
    let switchedFrom: EngineName | undefined;
    const state = readState();
    fs.mkdirSync(logDir, { recursive: true });
    try {
      const existing = stackStorage();
      if (existing && existing !== storage)
        throw new Error(`the stack keeps its storage on ${existing}, not ${storage}: stop it first (stack down)`);
      if (!state.runDir || !fs.existsSync(state.runDir)) state.runDir = makeRunDir(storage);
      saveState(state);
      const runDir = state.runDir;

      // 1-3. Sandbox and registry know each other's address, so they are (re)started together,
      // before the engine: podman's registries.conf names the registry.
      const sandboxUp = isRunning(state.sandbox?.process) && !!state.sandbox && (await sandboxAnswers(state.sandbox));
      const registryUp = isRunning(state.registry?.process) && !!state.registry && (await registryAnswers(state.registry));
      let ready: SandboxReady | undefined = state.sandbox ? readJson<SandboxReady>(state.sandbox.readyFile) : undefined;
      if (!sandboxUp || !registryUp || !ready) {
        await stopSandboxAndRegistry(state);
        const [sandboxPort, registryPort] = await pickPorts();
        const registryAddress = `127.0.0.1:${registryPort}`;
        const { keyFile, certFile } = await generateTokenKeyPair(stateDir);
        const listener = newListenerSecret();
        const sandbox = await timed(timingsMs, 'sandbox', () => startSandbox(sandboxPort, registryAddress, keyFile, certFile, listener));
        state.sandbox = sandbox.record;
        ready = sandbox.ready;
        saveState(state);
        started.push('sandbox');
        state.registry = await timed(timingsMs, 'registry', () =>
          startRegistry({
            port: registryPort,
            sandboxUrl: sandbox.record.url,
            issuer: ready!.issuer,
            certFile,
            listener,
            storageDir: path.join(runDir, 'registry'),
            configFile: path.join(stateDir, 'registry.yml'),
            log: path.join(logDir, 'registry.log'),
          }),
        );
        saveState(state);
        started.push('registry');
      }
      const registryAddress = (state.registry as RegistryRecord).address;

      // 4. Engine: ours if it is the one asked for and still up; for debian (the default) someone
      // else's that answers; else a new private one. Another kind running is stopped first (switch).
      const current = state.engine;
      const wrongKind = !!current && (current.name ?? 'debian') !== engineName;
      const staleRegistry = !!current && current.name === 'podman' && current.registryAddress !== registryAddress;
      if (!current || wrongKind || staleRegistry || !(await engineIsUp(current))) {
        if (current?.mode === 'started') await stopEngine(current);
        if (wrongKind) switchedFrom = current!.name ?? 'debian';
        state.engine = undefined;
        saveState(state);
        const engineDir = path.join(runDir, 'engine');
        const reusable = engineName === 'debian' ? await findRunningEngine(current?.dockerHost, runDir) : undefined;
        if (reusable) {
          state.engine = {
            mode: 'reused',
            name: 'debian',
            dockerHost: reusable,
            description: await describeEngine(reusable).catch(() => undefined),
          };
        } else {
          unmountUnder(engineDir);
          fs.rmSync(engineDir, { recursive: true, force: true }); // fresh state for each start
          state.engine = await timed(timingsMs, 'engine', () =>
            startEngine(engineName, engineDir, path.join(logDir, `engine-${engineName}.log`), {
              projectRoot,
              registryAddress,
            }),
          );
          started.push('engine');
        }
        saveState(state);
      }
      const engine = state.engine as EngineRecord;
      await timed(timingsMs, 'baseImage', () => ensureBaseImage(engine.dockerHost));

      // 5. The file tests and the other scripts read.
      const sandboxUrl = (state.sandbox as SandboxRecord).url;
      const info = writeSandboxInfo({
        synapseEndpoint: sandboxUrl,
        portalUrl: `${sandboxUrl}/portal`,
        registry: registryAddress,
        dockerHost: engine.dockerHost,
        engine: { name: engine.name, version: engine.description ?? 'unknown', source: engine.source, mode: engine.mode },
        users: ready.users,
        projects: ready.projects,
      });
      timingsMs.total = Date.now() - upStarted;
      return { info, started, timingsMs, switchedFrom };
    } catch (error) {
      // Leave nothing half-started behind: stop what this call started, keep what was already up.
      if (started.includes('engine') && state.engine) {
        await stopEngine(state.engine);
        state.engine = undefined;
      }
      if (started.includes('registry') || started.includes('sandbox')) await stopSandboxAndRegistry(state);
      if (state.engine?.mode === 'started' || state.sandbox || state.registry) {
        saveState(state);
      } else {
        removeRunState(state); // nothing of ours runs: no run dir or record to keep
      }
      throw error;
    }
  });
}

async function stopSandboxAndRegistry(state: StackState): Promise<string[]> {
  const report: string[] = [];
  if (state.registry)
    report.push(`registry ${await stopProcess(state.registry.process, SERVICE_STOP_TIMEOUT_MS)} (pid ${state.registry.process.pid})`);
  if (state.sandbox)
    report.push(`sandbox ${await stopProcess(state.sandbox.process, SERVICE_STOP_TIMEOUT_MS)} (pid ${state.sandbox.process.pid})`);
  state.registry = undefined;
  state.sandbox = undefined;
  return report;
}

/** Removes the run directory and the per-run files; logs stay for whoever looks into a failure. */
function removeRunState(state: StackState): void {
  if (state.runDir) {
    unmountUnder(state.runDir);
    fs.rmSync(state.runDir, { recursive: true, force: true });
  }
  for (const file of ['registry.yml', 'sandbox-ready.json', 'token-key.pem', 'token-cert.pem', 'stack.json']) {
    fs.rmSync(path.join(stateDir, file), { force: true });
  }
}

/** Stops exactly what `up` started (by recorded pid) and removes the run directory. Safe to repeat. */
export function stackDown(): Promise<string[]> {
  return withLock(async () => {
    const state = readState();
    const report = await stopSandboxAndRegistry(state);
    if (state.engine) {
      const outcome = await stopEngine(state.engine);
      const name = state.engine.name ?? 'debian';
      report.push(
        state.engine.mode === 'started'
          ? `engine ${name} ${outcome} (pid ${state.engine.process?.pid})`
          : `engine ${state.engine.dockerHost} ${outcome}`,
      );
    }
    removeRunState(state);
    clearSandboxInfo();
    return report;
  });
}

/** One line per service; `allUp` is true when every part answers. */
export async function stackStatus(): Promise<{ allUp: boolean; lines: string[] }> {
  const state = readState();
  const engineUp = await engineIsUp(state.engine);
  const sandboxUp = !!state.sandbox && isRunning(state.sandbox.process) && (await sandboxAnswers(state.sandbox));
  const registryUp = !!state.registry && isRunning(state.registry.process) && (await registryAnswers(state.registry));
  const describe = (up: boolean, known: boolean): string => (up ? 'up  ' : known ? 'DOWN' : 'off ');
  const engine = state.engine;
  const lines = [
    `engine    ${describe(engineUp, !!engine)} ${engine ? `${engine.name ?? 'debian'} ${engine.mode}${engine.process ? ` pid ${engine.process.pid}` : ''} ${engine.dockerHost}` : ''}`,
    `sandbox   ${describe(sandboxUp, !!state.sandbox)} ${state.sandbox ? `pid ${state.sandbox.process.pid} ${state.sandbox.url}` : ''}`,
    `registry  ${describe(registryUp, !!state.registry)} ${state.registry ? `pid ${state.registry.process.pid} ${state.registry.address}` : ''}`,
  ].map((line) => line.trimEnd());
  if (engine) lines.push(engineLine(engine));
  return { allUp: engineUp && sandboxUp && registryUp, lines };
}

/** "engine debian: Engine=20.10.24 containerd=1.6.20 runc=1.1.5 (API 1.41, …) from Debian 12 docker.io …". */
function engineLine(engine: EngineRecord): string {
  const loud =
    engine.pinned === false ? ' — WARNING: NOT the pinned current engine (sid moved on; see scripts/fetch-current-engine.sh)' : '';
  return `engine ${engine.name ?? 'debian'}: ${engine.description ?? 'version unknown'}${engine.source ? ` from ${engine.source}` : ''}${loud}`;
}

function seconds(ms: number | undefined): string {
  return ms === undefined ? '' : ` (${(ms / 1000).toFixed(1)} s)`;
}

async function main(argv: string[]): Promise<number> {
  const [command] = argv;
  const quiet = argv.includes('--quiet');
  switch (command) {
    case 'up': {
      const result = await stackUp();
      const state = readState();
      const status = await stackStatus();
      console.log(
        `stack up${seconds(result.timingsMs.total)}: ${result.started.length ? `started ${result.started.join(', ')}` : 'everything was already running'}` +
          `${result.switchedFrom ? ` (engine switched from ${result.switchedFrom})` : ''}`,
      );
      console.log(`  ${status.lines[0]}${seconds(result.timingsMs.engine)}`);
      console.log(`  ${status.lines[1]}${seconds(result.timingsMs.sandbox)}`);
      console.log(`  ${status.lines[2]}${seconds(result.timingsMs.registry)}`);
      if (state.engine) console.log(`  ${engineLine(state.engine)}`);
      console.log(`  users: ${result.info.users.map((u) => u.userName).join(', ')}; projects: ${result.info.projects.length}`);
      console.log(`  info: ${path.relative(process.cwd(), sandboxInfoFile)}; logs: ${path.relative(process.cwd(), logDir)}/`);
      console.log(`  export DOCKER_HOST=${state.engine?.dockerHost}`);
      return 0;
    }
    case 'down': {
      const report = await stackDown();
      console.log(report.length ? `stack down: ${report.join('; ')}` : 'stack down: nothing was running');
      return 0;
    }
    case 'status': {
      const status = await stackStatus();
      if (!quiet) {
        console.log(status.lines.join('\n'));
        const info = readStackInfo();
        if (info) console.log(`info      ${path.relative(process.cwd(), sandboxInfoFile)}`);
      }
      return status.allUp ? 0 : 3;
    }
    default:
      console.error('usage: node out/test/sandbox/stack.js up|down|status [--quiet]');
      return 2;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(`stack: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    },
  );
}
