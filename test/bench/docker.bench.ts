// Benchmark of the Docker core (src/core/docker) against the docker CLI on the local stack's real
// engines and registry, one engine at a time (the stack is switched: SYNAPSE_ENGINE=debian, current,
// podman): push and pull of a ~500 MB image as alice, and per builder (classic; BuildKit where the
// engine offers it) a build of a 1 GB / 20,000-file context whose .dockerignore drops half of it,
// with the peak RSS and client CPU of the extension side (each core operation runs in its own Node
// process: dockerBenchWorker.ts).
//
//   node out/test/bench/docker.bench.js [--engines debian,current,podman] [--builders classic,buildkit]
//        [--runs N] [--quick] [--only push,pull,build] [--big-runs N] [--layer-mb N] [--storage memory|disk]
//        [--load N]
//
// --engines: the engines to run on, in order (default all three); the stack is left on the last one
// only if it was up before the benchmark, else stopped. --builders: default both (BuildKit is skipped,
// and said so, on an engine that has none: Podman builds with Buildah).
// --runs: runs per side (default 3; --quick: 1, with a 50 MB image and 100/200 MB contexts, ~1 min).
// --layer-mb: the size of each of the 5 layers of the push/pull image (default 100: a ~500 MB image).
// --storage: where the stack keeps the engine's data and the registry's blobs (default memory, a
// tmpfs: this machine's disk made the same build vary by 25-45 % between runs; disk runs it there).
// --load: N processes that keep a core busy each (a spin loop at normal priority) run while an
// engine is benchmarked, for the "loaded machine" case: there, a client's own CPU time is taken
// from the engine's (default 0: a quiet machine).
// --big-runs: core builds of the 2 GB context, for its peak RSS (default 0). SYNAPSE_BENCH_CORE=<path
// to a built src/core/docker/index.js> runs the core side from another build (a patched copy).
//
// The CLI comes from the engine's own Debian suite (engineCli): on the current engine, sid's
// docker-cli 28 with docker-buildx (`docker build` is buildx there, so BuildKit builds go through
// buildx, without provenance attestations, which the extension's builds do not make either); on
// Debian 12's engine and on Podman, Debian 12's docker.io CLI 20.10, whose BuildKit is built in
// (DOCKER_BUILDKIT=1). On Podman it talks to Podman's Docker-compatible socket, the same API the
// extension uses. The build cache is pruned before every BuildKit run (untimed), so neither side
// reuses the other's transferred context.
//
// Runs come in pairs that alternate which side goes first (core, CLI, CLI, core, …). Every push
// uploads every byte (each run pushes its own image: same random layers plus a per-image salt, to a
// new repository; a new repository name alone is not enough, the engine would "mount" known blobs
// from the first one). Every pull downloads every byte (each run pulls an image that is not present
// locally at all: one pushed before, then removed by id with its layers). Contacts only the local
// engine socket and the loopback registry.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type Docker from 'dockerode';
import { createDockerClient, inspectBuildEngine } from '../../src/core/docker';
import {
  projectRoot,
  readStackInfo,
  SandboxInfo,
  stackDown,
  stackRunDir,
  stackStatus,
  StackStorage,
  stackStorage,
  stackUp,
} from '../sandbox/stack';
import { ENGINE_NAMES, EngineCli, engineCli, EngineName, linkCliPlugins } from '../sandbox/engines';
import { ContextStats, prng, writeBuildContext, writeImageContext, writeLayerData } from './dockerBenchData';
import type { WorkerJob, WorkerResult } from './dockerBenchWorker';

/**
 * GNU time, for the CLI's peak RSS (optional: without it the CLI's CPU and RSS columns stay empty).
 * Its CPU times come in steps of 10 ms, too coarse for a 0.06 s push, so the CPU is bash's `times`
 * for its children instead (1 ms steps; GNU time's own share, under 1 ms, is in it).
 */
const GNU_TIME = '/usr/bin/time';
/**
 * Runs GNU time on the command, then appends bash's `times` (its own line, then its children's) to
 * GNU time's line. Not through a pipe: a subshell's `times` counts none of the shell's children.
 */
const TIMED_SCRIPT = '"$0" -f %M -o "$TIME_FILE" "$@"; status=$?; times >> "$TIME_FILE"; exit $status';
const PROJECT = 'syn1000001';
const USER = 'alice';
const STEP_TIMEOUT_MS = 10 * 60_000;

// ---- options ------------------------------------------------------------------------------------

type BuilderName = 'classic' | 'buildkit';

interface Config {
  engines: EngineName[];
  builders: BuilderName[];
  runs: number;
  quick: boolean;
  only: Set<'push' | 'pull' | 'build'>;
  layers: number;
  layerBytes: number;
  contextFiles: number;
  contextBytes: number;
  bigContextFiles: number;
  bigContextBytes: number;
  bigContextRuns: number;
  storage: StackStorage;
  load: number;
}

function parseArgs(argv: string[]): Config {
  const quick = argv.includes('--quick');
  const value = (name: string) => {
    const index = argv.indexOf(name);
    return index >= 0 ? argv[index + 1] : undefined;
  };
  const runs = Number(value('--runs') ?? (quick ? 1 : 3));
  if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs wants a positive integer');
  const only = new Set((value('--only') ?? 'push,pull,build').split(',').map((s) => s.trim())) as Config['only'];
  if (only.has('pull')) only.add('push'); // the pulls pull what the pushes pushed
  const engines = (value('--engines') ?? ENGINE_NAMES.join(',')).split(',').map((s) => s.trim()) as EngineName[];
  for (const engine of engines)
    if (!(ENGINE_NAMES as readonly string[]).includes(engine))
      throw new Error(`--engines: ${engine} is not one of ${ENGINE_NAMES.join(', ')}`);
  const storage = (value('--storage') ?? 'memory') as StackStorage;
  if (storage !== 'memory' && storage !== 'disk') throw new Error(`--storage: ${storage} is not memory or disk`);
  const builders = (value('--builders') ?? 'classic,buildkit').split(',').map((s) => s.trim()) as BuilderName[];
  for (const builder of builders)
    if (builder !== 'classic' && builder !== 'buildkit') throw new Error(`--builders: ${builder} is not classic or buildkit`);
  const load = Number(value('--load') ?? 0);
  if (!Number.isInteger(load) || load < 0) throw new Error('--load wants a whole number of busy processes');
  return {
    engines,
    builders,
    runs,
    quick,
    only,
    layers: 5,
    layerBytes: Number(value('--layer-mb') ?? (quick ? 10 : 100)) * 1e6,
    contextFiles: quick ? 2_000 : 20_000,
    contextBytes: quick ? 100e6 : 1e9,
    bigContextFiles: quick ? 4_000 : 40_000,
    bigContextBytes: quick ? 200e6 : 2e9,
    bigContextRuns: Number(value('--big-runs') ?? 0),
    storage,
    load,
  };
}

/**
 * What one engine's benchmarks add to the stack's storage at most: each pushed image in the engine
 * and again in the registry (which keeps every blob until stack down; a pull replaces the removed
 * image), and a build's context copy, image and the next build's; a quarter more for the engine's own.
 */
function storageNeeded(config: Config): number {
  const image = config.layers * config.layerBytes;
  const transfers = config.only.has('push') ? config.runs * 2 * image * 2 : 0;
  const builds = config.only.has('build') ? 3 * config.contextBytes + (config.bigContextRuns ? 3 * config.bigContextBytes : 0) : 0;
  return (transfers + builds) * 1.25;
}

/** MemAvailable from /proc/meminfo, in bytes. */
function memoryAvailable(): number {
  const match = /^MemAvailable:\s+(\d+) kB/m.exec(fs.readFileSync('/proc/meminfo', 'utf8'));
  return match ? Number(match[1]) * 1024 : os.freemem();
}

/**
 * Refuses to start an engine's runs without room for them: in memory the stack's tmpfs takes RAM
 * (there is no swap here), and a full one had left the whole machine thrashing for 20 minutes.
 */
function checkStorageRoom(config: Config, engineName: EngineName): void {
  const runDir = stackRunDir();
  if (!runDir) return;
  const stats = fs.statfsSync(runDir);
  const free = stats.bavail * stats.bsize;
  const room = config.storage === 'memory' ? Math.min(free, memoryAvailable()) : free;
  const needed = storageNeeded(config);
  if (room >= needed) return;
  const gb = (bytes: number) => `${(bytes / 1e9).toFixed(1)} GB`;
  throw new Error(
    `the stack's storage (${runDir}, ${config.storage === 'memory' ? 'in memory' : 'on disk'}) has ${gb(room)} left${config.storage === 'memory' ? ' (free tmpfs and free RAM)' : ''}, and the benchmarks on ${engineName} need about ${gb(needed)}: the registry keeps every pushed blob until the stack stops, so stop it first (node out/test/sandbox/stack.js down)${config.storage === 'memory' ? ' or run with --storage disk' : ''}`,
  );
}

/** `count` processes that each keep one core busy until stopped (--load). */
function startLoad(count: number): () => void {
  const spinners = Array.from({ length: count }, () => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
  return () => {
    for (const spinner of spinners) spinner.kill('SIGKILL');
  };
}

// ---- small helpers ------------------------------------------------------------------------------

const log = (text: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${text}\n`);
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(0)} MB`;
const mib = (kib: number) => `${(kib / 1024).toFixed(1)} MiB`;
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Resamples for ratioInterval. */
const BOOTSTRAP_ROUNDS = 4000;

/**
 * A 95 % interval for median(core) / median(cli): a bootstrap, each side resampled with
 * replacement, seeded so the same runs give the same interval. A build's engine work varies by
 * ±10 % from run to run, so a ratio of 1.016 from 8 runs per side does not tell which side is
 * faster; the interval says how far its median can be trusted.
 */
function ratioInterval(core: number[], cli: number[]): [number, number] {
  const random = prng(0x5eed);
  const resample = (values: number[]) => values.map(() => values[Math.floor(random() * values.length)]);
  const ratios = Array.from({ length: BOOTSTRAP_ROUNDS }, () => median(resample(core)) / median(resample(cli))).sort((a, b) => a - b);
  return [ratios[Math.floor(0.025 * BOOTSTRAP_ROUNDS)], ratios[Math.ceil(0.975 * BOOTSTRAP_ROUNDS) - 1]];
}

/**
 * Which side run i belongs to, in pairs that alternate which side goes first (core, CLI, CLI,
 * core, core, CLI…): a machine that speeds up or slows down over the runs (page cache, the
 * engine's writeback) then favours neither side, as a fixed core-first order did.
 */
function sideOfRun(i: number): 'core' | 'cli' {
  const coreFirst = Math.floor(i / 2) % 2 === 0;
  return (i % 2 === 0) === coreFirst ? 'core' : 'cli';
}

/** Flushes dirty pages (the previous step's writes) so they do not slow the next timed run. */
function settle(): void {
  spawnSync('sync', { stdio: 'ignore' });
}

let currentChild: ReturnType<typeof spawn> | undefined;

interface Exited {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
  /** With `timed`: CPU time (user + system, bash's `times`) and peak RSS (GNU time) of the command. */
  cpuMs?: number;
  maxRssKiB?: number;
}

/** Runs a command to its end; stdout/stderr are kept (their last 1 MB). */
function run(
  command: string,
  args: string[],
  options: { env: NodeJS.ProcessEnv; input?: string; onOutput?: (text: string, elapsedMs: number) => void; timeFile?: string },
): Promise<Exited> {
  let env = options.env;
  if (options.timeFile) {
    args = ['-c', TIMED_SCRIPT, GNU_TIME, command, ...args];
    command = '/bin/bash';
    env = { ...env, TIME_FILE: options.timeFile };
  }
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { env, stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    currentChild = child;
    const keep = (chunks: Buffer[]) => (chunk: Buffer) => {
      chunks.push(chunk);
      let total = chunks.reduce((sum, c) => sum + c.length, 0);
      while (total > 1 << 20 && chunks.length > 1) total -= chunks.shift()!.length;
    };
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', keep(out));
    if (options.onOutput) {
      const forward = (chunk: Buffer) => options.onOutput!(chunk.toString('utf8'), performance.now() - started);
      child.stdout!.on('data', forward);
      child.stderr!.on('data', forward);
    }
    child.stderr!.on('data', keep(err));
    if (options.input !== undefined) child.stdin!.end(options.input);
    const timer = setTimeout(() => child.kill('SIGTERM'), STEP_TIMEOUT_MS);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      currentChild = undefined;
      const ms = performance.now() - started;
      let cpuMs: number | undefined;
      let maxRssKiB: number | undefined;
      if (options.timeFile) {
        // "<peak RSS KiB>" from GNU time; bash's own "<m>m<s>s <m>m<s>s" (user, system); then its children's.
        const fields = /^(\d+)\s*\n[^\n]*\n(\d+)m([\d.]+)s (\d+)m([\d.]+)s\s*$/m.exec(fs.readFileSync(options.timeFile, 'utf8'));
        if (fields) {
          maxRssKiB = Number(fields[1]);
          const [, , userMin, userSec, sysMin, sysSec] = fields.map(Number);
          cpuMs = (userMin * 60 + userSec + sysMin * 60 + sysSec) * 1000;
        }
      }
      resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), ms, cpuMs, maxRssKiB });
    });
  });
}

// ---- the two sides --------------------------------------------------------------------------------

interface Bench {
  engineName: EngineName;
  podman: boolean;
  info: SandboxInfo;
  token: string;
  docker: Docker;
  cli: EngineCli;
  configDir: string;
  /** Where GNU time writes; undefined when /usr/bin/time is missing. */
  timeFile?: string;
  cliEnv: NodeJS.ProcessEnv;
  workerEnv: NodeJS.ProcessEnv;
}

async function cli(
  bench: Bench,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; onOutput?: (text: string, elapsedMs: number) => void } = {},
): Promise<Exited> {
  const result = await run(bench.cli.command, ['--config', bench.configDir, ...args], {
    env: { ...bench.cliEnv, ...options.env },
    onOutput: options.onOutput,
    timeFile: bench.timeFile,
  });
  if (result.code !== 0)
    throw new CliError(`docker ${args.join(' ')} exited with ${result.code}: ${(result.stderr || result.stdout).slice(-2000)}`, result);
  return result;
}

class CliError extends Error {
  constructor(
    message: string,
    readonly result: Exited,
  ) {
    super(message);
  }
}

async function core(bench: Bench, job: Omit<WorkerJob, 'dockerHost'>): Promise<WorkerResult & { processMs: number }> {
  const full: WorkerJob = { ...job, dockerHost: bench.info.dockerHost };
  const result = await run(process.execPath, [path.join(__dirname, 'dockerBenchWorker.js'), JSON.stringify(full)], {
    env: bench.workerEnv,
  });
  if (result.code !== 0) throw new Error(`core ${job.op} failed (exit ${result.code}): ${result.stderr.slice(-3000)}`);
  const line = result.stdout.trim().split('\n').pop()!;
  return { ...(JSON.parse(line) as WorkerResult), processMs: result.ms };
}

async function imageId(docker: Docker, reference: string): Promise<string | undefined> {
  return (
    await docker
      .getImage(reference)
      .inspect()
      .catch(() => undefined)
  )?.Id;
}

/** Removes an image by id, forced, with every tag and (unshared) layer. */
async function removeImage(docker: Docker, idOrReference: string): Promise<void> {
  const id = (await imageId(docker, idOrReference)) ?? idOrReference;
  await docker
    .getImage(id)
    .remove({ force: true })
    .catch((error: { statusCode?: number }) => {
      if (error.statusCode !== 404) throw error;
    });
}

/**
 * The bytes of an image's layers (the sum of its history's sizes): what the build context put in
 * it. Not the image's Size: Podman's counts its config, whose creation time has a varying length.
 */
async function contentSize(docker: Docker, reference: string): Promise<number> {
  const history = (await docker.getImage(reference).history()) as Array<{ Size?: number }>;
  return history.reduce((sum, entry) => sum + (entry.Size ?? 0), 0);
}

/** Drops BuildKit's whole build cache (its copies of earlier contexts included). */
async function pruneBuildCache(docker: Docker): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    docker.modem.dial(
      { path: '/build/prune?', method: 'POST', options: { all: true }, statusCodes: { 200: true, 500: 'server error' } } as Parameters<
        Docker['modem']['dial']
      >[0],
      (error: unknown) => (error ? reject(error) : resolve()),
    );
  });
}

/**
 * What the registry holds for a pushed reference, asked of the registry itself (a pull token from
 * the sandbox's token server): the manifest's media type and the sum of its layer sizes. Proves a
 * push uploaded the whole image whatever the engine printed (Podman prints no per-layer "Pushed").
 */
async function registryManifest(bench: Bench, reference: string): Promise<{ mediaType: string; layers: number; layerBytes: number }> {
  const { registry, synapseEndpoint } = bench.info;
  const name = reference.slice(registry.length + 1).replace(/:[^/:]+$/, '');
  const tag = reference.slice(reference.lastIndexOf(':') + 1);
  const basic = Buffer.from(`${USER}:${bench.token}`).toString('base64');
  // push,pull: a repository Synapse has not recorded (an OCI push under the strict rule) has no pull
  // grant of its own yet, but its project's members may push, hence read, it.
  const tokenAnswer = await fetch(
    `${synapseEndpoint}/docker/v1/bearerToken?service=${encodeURIComponent(registry)}&scope=${encodeURIComponent(`repository:${name}:push,pull`)}`,
    {
      headers: { authorization: `Basic ${basic}` },
      signal: AbortSignal.timeout(20_000),
    },
  );
  if (!tokenAnswer.ok) throw new Error(`the sandbox refused a pull token for ${name}: HTTP ${tokenAnswer.status}`);
  const { token } = (await tokenAnswer.json()) as { token: string };
  const answer = await fetch(`http://${registry}/v2/${name}/manifests/${tag}`, {
    headers: {
      authorization: `Bearer ${token}`,
      accept: ['application/vnd.docker.distribution.manifest.v2+json', 'application/vnd.oci.image.manifest.v1+json'].join(', '),
    },
    signal: AbortSignal.timeout(20_000),
  });
  if (!answer.ok) throw new Error(`the registry has no manifest for ${reference}: HTTP ${answer.status}`);
  const manifest = (await answer.json()) as { mediaType?: string; layers?: Array<{ size: number }> };
  const layers = manifest.layers ?? [];
  return {
    mediaType: manifest.mediaType ?? answer.headers.get('content-type') ?? '?',
    layers: layers.length,
    layerBytes: layers.reduce((sum, layer) => sum + layer.size, 0),
  };
}

// ---- measurements ---------------------------------------------------------------------------------

interface Sample {
  side: 'core' | 'cli';
  ms: number;
  rssKiB?: number;
  baselineKiB?: number;
  /** build: ms until the engine's "Step 1/…" line, i.e. until the whole context was sent. */
  uploadMs?: number;
  /** CPU time of the client side (core: the operation in the worker; CLI: the whole process). */
  cpuMs?: number;
  /** core build: the engine check the extension makes before its build questions (not counted in ms). */
  engineCheckMs?: number;
}

interface Row {
  name: string;
  builder: string;
  data: string;
  samples: Sample[];
  /** Time target (core/CLI median), NaN for none. */
  target: number;
  /** Build rows: the peak RSS target applies. */
  rss: boolean;
  /** Why the CLI has no samples, e.g. "CLI cannot (no buildx)". */
  cliNote?: string;
}

const CPU_TARGET = 1.5;
const RSS_TARGET_KIB = 100 * 1024;

function countMatches(text: string, pattern: RegExp): number {
  return (text.match(pattern) ?? []).length;
}

/** The layer files of the push/pull images, shared by every engine. */
let layerFiles: string[] | undefined;

async function benchPush(bench: Bench, config: Config, runId: string, tmp: string, references: string[]): Promise<Row> {
  const { registry } = bench.info;
  if (!layerFiles) {
    log(`generating ${config.layers} layers × ${mb(config.layerBytes)} of random data`);
    layerFiles = writeLayerData(path.join(tmp, 'layers'), config.layers, config.layerBytes);
  }
  const images = config.runs * 2;
  for (let i = 0; i < images; i++) {
    const reference = `${registry}/${PROJECT}/bench-${runId}-${bench.engineName}-${i}:v1`;
    const context = path.join(tmp, `image-${i}`);
    writeImageContext(context, layerFiles, `${runId} ${bench.engineName} image ${i}`);
    log(`building image ${i + 1}/${images} (untimed setup): ${reference}`);
    await cli(bench, ['build', '-q', '-t', reference, context]);
    fs.rmSync(context, { recursive: true, force: true });
    references.push(reference);
  }
  const size = (await bench.docker.getImage(references[0]).inspect()).Size;
  const samples: Sample[] = [];
  let mediaType = '';
  for (let i = 0; i < images; i++) {
    const side = sideOfRun(i);
    settle();
    const reference = references[i];
    if (side === 'core') {
      const result = await core(bench, { op: 'push', reference, registry, username: USER });
      const statuses = Object.values(result.layers ?? {});
      const pushed = statuses.filter((status) => status === 'Pushed').length;
      // Podman's push stream has no per-layer statuses: the registry check below is the proof there.
      if (!bench.podman && pushed !== config.layers)
        throw new Error(`core push of ${reference}: layer statuses ${statuses.join(', ')} (expected ${config.layers} × Pushed)`);
      samples.push({ side, ms: result.ms, cpuMs: result.cpuMs, rssKiB: result.vmHwmKiB, baselineKiB: result.baselineRssKiB });
    } else {
      const result = await cli(bench, ['push', reference]);
      const pushed = countMatches(result.stdout, /: Pushed$/gm);
      if ((!bench.podman && pushed !== config.layers) || /Mounted from|already exists|skipping/i.test(result.stdout)) {
        throw new Error(`docker push of ${reference} did not upload every layer:\n${result.stdout}`);
      }
      samples.push({ side, ms: result.ms, cpuMs: result.cpuMs, rssKiB: result.maxRssKiB });
    }
    // Every layer is in the registry, each one new (the salt): the whole image was uploaded.
    const manifest = await registryManifest(bench, reference);
    if (manifest.layers !== config.layers)
      throw new Error(`${side} push of ${reference}: the registry's manifest has ${manifest.layers} layers, not ${config.layers}`);
    mediaType = manifest.mediaType;
    log(`push run ${Math.floor(i / 2) + 1} ${side.padEnd(4)} ${seconds(samples.at(-1)!.ms)} (${mb(manifest.layerBytes)} in the registry)`);
  }
  return {
    name: 'push',
    builder: '',
    data: `${mb(size)}, ${config.layers} layers, ${mediaType.replace(/^application\/vnd\./, '')}`,
    samples,
    target: 1.05,
    rss: false,
  };
}

async function benchPull(bench: Bench, config: Config, references: string[]): Promise<Row> {
  const { registry } = bench.info;
  // Nothing of these images may be left locally: remove each by id, with its layers.
  for (const reference of references) await removeImage(bench.docker, reference);
  for (const reference of references) {
    if (await imageId(bench.docker, reference)) throw new Error(`${reference} is still present locally`);
  }
  const samples: Sample[] = [];
  let size = 0;
  for (let i = 0; i < references.length; i++) {
    const side = sideOfRun(i);
    settle();
    const reference = references[i];
    if (side === 'core') {
      const result = await core(bench, { op: 'pull', reference, registry, username: USER });
      const statuses = Object.values(result.layers ?? {});
      const complete = statuses.filter((status) => status === 'Pull complete').length;
      if (!bench.podman && complete !== config.layers)
        throw new Error(`core pull of ${reference}: layer statuses ${statuses.join(', ')} (expected ${config.layers} × Pull complete)`);
      samples.push({ side, ms: result.ms, cpuMs: result.cpuMs, rssKiB: result.vmHwmKiB, baselineKiB: result.baselineRssKiB });
    } else {
      const result = await cli(bench, ['pull', reference]);
      const complete = countMatches(result.stdout, /: Pull complete$/gm);
      if ((!bench.podman && complete !== config.layers) || /Already exists|skipping/i.test(result.stdout)) {
        throw new Error(`docker pull of ${reference} did not download every layer:\n${result.stdout}`);
      }
      samples.push({ side, ms: result.ms, cpuMs: result.cpuMs, rssKiB: result.maxRssKiB });
    }
    const pulled = await bench.docker
      .getImage(reference)
      .inspect()
      .catch(() => undefined);
    if (!pulled) throw new Error(`${side} pull of ${reference} ended, but the engine has no such image`);
    size = pulled.Size;
    log(`pull run ${Math.floor(i / 2) + 1} ${side.padEnd(4)} ${seconds(samples.at(-1)!.ms)}`);
    await removeImage(bench.docker, reference);
  }
  return { name: 'pull', builder: '', data: `${mb(size)}, ${config.layers} layers`, samples, target: 1.05, rss: false };
}

/** The build contexts, generated once and shared by every engine and builder. */
let contexts: { context: ContextStats; bigContext?: ContextStats } | undefined;

function describeContext(stats: ContextStats): string {
  return `${stats.files.toLocaleString('en')} files / ${mb(stats.bytes)}, sends ${stats.keptFiles.toLocaleString('en')} / ${mb(stats.keptBytes)}`;
}

/** The CLI has BuildKit only through buildx, which it lacks (the 20.10 CLI has it built in). */
function cliLacksBuildx(error: unknown): error is CliError {
  return error instanceof CliError && /buildx/i.test(error.result.stderr + error.result.stdout);
}

/** `docker build` for one image; through buildx without provenance, which the core's builds never attach. */
function cliBuild(bench: Bench, buildkit: boolean, reference: string, contextDir: string): string[] {
  const buildkitFlags = buildkit ? ['--progress=plain', ...(bench.cli.pluginDir ? ['--provenance=false'] : [])] : [];
  return ['build', '--no-cache', ...buildkitFlags, '-t', reference, contextDir];
}

/**
 * One untimed build before the timed pairs. Without it the series' first build ran slow, and it
 * fell to the core, which goes first: 8.02 s against 5.8-6.1 s for the runs after it on Docker
 * 20.10, 8.39 s against 7.2-7.6 s on Docker 28. With it, no first timed run stood out on either
 * side. The core builds it when the CLI has no BuildKit of its own.
 */
async function warmUpBuild(bench: Bench, contextDir: string, builder: BuilderName, reference: string): Promise<void> {
  const buildkit = builder === 'buildkit';
  const started = Date.now();
  try {
    await cli(bench, cliBuild(bench, buildkit, reference, contextDir), { env: { DOCKER_BUILDKIT: buildkit ? '1' : '0' } });
  } catch (error) {
    if (!(buildkit && cliLacksBuildx(error))) throw error;
    await core(bench, { op: 'build', reference, contextDir, builder });
  }
  log(`build ${builder} warm-up (untimed) ${seconds(Date.now() - started)}`);
  await removeImage(bench.docker, reference);
  if (buildkit) await pruneBuildCache(bench.docker);
}

async function benchBuild(bench: Bench, config: Config, runId: string, tmp: string, builder: BuilderName): Promise<Row[]> {
  if (!contexts) {
    log(
      `generating the build context: ${config.contextFiles} files / ${mb(config.contextBytes)}${config.bigContextRuns ? ` and ${config.bigContextFiles} files / ${mb(config.bigContextBytes)}` : ''}`,
    );
    contexts = {
      context: writeBuildContext(path.join(tmp, 'context'), config.contextFiles, config.contextBytes, 'synapse-docker-bench context'),
    };
    if (config.bigContextRuns)
      contexts.bigContext = writeBuildContext(
        path.join(tmp, 'big-context'),
        config.bigContextFiles,
        config.bigContextBytes,
        'synapse-docker-bench big context',
      );
  }
  const { context, bigContext } = contexts;
  const tag = (i: number | string) => `synapse-docker-bench/build:${runId}-${bench.engineName}-${builder}-${i}`;
  const samples: Sample[] = [];
  const sizes: Record<string, number[]> = { core: [], cli: [] };
  let cliNote: string | undefined;
  const buildkit = builder === 'buildkit';
  await warmUpBuild(bench, context.dir, builder, tag('warm-up'));
  for (let i = 0; i < config.runs * 2; i++) {
    const side = sideOfRun(i);
    if (side === 'cli' && cliNote) continue;
    if (buildkit) await pruneBuildCache(bench.docker);
    settle();
    if (side === 'core') {
      const result = await core(bench, { op: 'build', reference: tag(i), contextDir: context.dir, builder });
      if (result.builder !== builder) throw new Error(`the core built with ${result.builder}, not ${builder}`);
      samples.push({
        side,
        ms: result.ms,
        cpuMs: result.cpuMs,
        rssKiB: result.vmHwmKiB,
        baselineKiB: result.baselineRssKiB,
        uploadMs: result.firstStepMs,
        engineCheckMs: result.engineCheckMs,
      });
    } else {
      let uploadMs: number | undefined;
      let seen = '';
      try {
        const result = await cli(bench, cliBuild(bench, buildkit, tag(i), context.dir), {
          env: { DOCKER_BUILDKIT: buildkit ? '1' : '0' },
          onOutput: (text, elapsedMs) => {
            if (uploadMs !== undefined || buildkit) return;
            seen = (seen + text).slice(-4096);
            if (/^step 1\//im.test(seen)) uploadMs = elapsedMs;
          },
        });
        samples.push({ side, ms: result.ms, cpuMs: result.cpuMs, rssKiB: result.maxRssKiB, uploadMs });
      } catch (error) {
        // The 20.10 CLI has BuildKit built in; a CLI without it asks for buildx. Said, not hidden.
        if (buildkit && cliLacksBuildx(error)) {
          cliNote = 'CLI cannot (no buildx)';
          log(`build ${builder}: ${cliNote}: ${error.result.stderr.trim().split('\n').pop()}`);
          continue;
        }
        throw error;
      }
    }
    sizes[side].push(await contentSize(bench.docker, tag(i)));
    const last = samples.at(-1)!;
    log(
      `build ${builder} run ${Math.floor(i / 2) + 1} ${side.padEnd(4)} ${seconds(last.ms)}${last.uploadMs === undefined ? '' : ` (context sent after ${seconds(last.uploadMs)})`}${last.engineCheckMs === undefined ? '' : ` (engine checked before, in ${seconds(last.engineCheckMs)})`}${last.rssKiB ? `, peak RSS ${mib(last.rssKiB)}` : ''}${last.cpuMs !== undefined ? `, CPU ${seconds(last.cpuMs)}` : ''}`,
    );
    await removeImage(bench.docker, tag(i));
  }
  if (buildkit) await pruneBuildCache(bench.docker);
  // Both sides must have sent exactly the same files.
  const all = new Set([...sizes.core, ...sizes.cli]);
  if (all.size !== 1)
    throw new Error(`the core and the CLI built images of different sizes: core ${sizes.core.join(', ')}, CLI ${sizes.cli.join(', ')}`);
  const rows: Row[] = [{ name: 'build', builder, data: describeContext(context), samples, target: 1.0, rss: true, cliNote }];

  if (bigContext) {
    const bigSamples: Sample[] = [];
    for (let i = 0; i < config.bigContextRuns; i++) {
      if (buildkit) await pruneBuildCache(bench.docker);
      settle();
      const result = await core(bench, { op: 'build', reference: tag(1000 + i), contextDir: bigContext.dir, builder });
      bigSamples.push({
        side: 'core',
        ms: result.ms,
        cpuMs: result.cpuMs,
        rssKiB: result.vmHwmKiB,
        baselineKiB: result.baselineRssKiB,
        uploadMs: result.firstStepMs,
      });
      log(`big build ${builder} ${i + 1} core ${seconds(result.ms)} peak RSS ${mib(result.vmHwmKiB)}`);
      await removeImage(bench.docker, tag(1000 + i));
    }
    rows.push({
      name: 'build (2nd context, RSS)',
      builder,
      data: describeContext(bigContext),
      samples: bigSamples,
      target: Number.NaN,
      rss: true,
    });
  }
  return rows;
}

// ---- report -------------------------------------------------------------------------------------

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

/** A missed target: the cell gets this mark, the result column names it. */
const MISS = ' ✗';

function report(rows: Row[]): string {
  const cells = rows.map((row) => {
    const of = (side: 'core' | 'cli', pick: (s: Sample) => number | undefined) =>
      row.samples
        .filter((s) => s.side === side)
        .map(pick)
        .filter((v): v is number => v !== undefined);
    const describe = (values: number[]) =>
      values.length ? `${seconds(median(values))} (${seconds(Math.min(...values))}–${seconds(Math.max(...values))})` : '–';
    const coreTimes = of('core', (s) => s.ms);
    const cliTimes = of('cli', (s) => s.ms);
    const ratio = coreTimes.length && cliTimes.length ? median(coreTimes) / median(cliTimes) : Number.NaN;
    const interval = coreTimes.length > 1 && cliTimes.length > 1 ? ratioInterval(coreTimes, cliTimes) : undefined;
    // Until the engine's first step line: the part of a classic build the client decides.
    const coreSent = of('core', (s) => s.uploadMs);
    const cliSent = of('cli', (s) => s.uploadMs);
    const sentRatio = coreSent.length && cliSent.length ? median(coreSent) / median(cliSent) : Number.NaN;
    const coreCpu = of('core', (s) => s.cpuMs);
    const cliCpu = of('cli', (s) => s.cpuMs);
    const cpuRatio = coreCpu.length && cliCpu.length ? median(coreCpu) / median(cliCpu) : Number.NaN;
    const coreRss = of('core', (s) => s.rssKiB);
    const cliRss = of('cli', (s) => s.rssKiB);
    const baseline = of('core', (s) => s.baselineKiB);
    const peak = (values: number[]) => (values.length ? mib(Math.max(...values)) : '–');
    const misses: string[] = [];
    const timeMiss = !Number.isNaN(ratio) && !Number.isNaN(row.target) && ratio > row.target;
    const cpuMiss = !Number.isNaN(cpuRatio) && cpuRatio > CPU_TARGET;
    const rssMiss = row.rss && coreRss.length > 0 && Math.max(...coreRss) >= RSS_TARGET_KIB;
    if (timeMiss) misses.push('TIME');
    if (cpuMiss) misses.push('CPU');
    if (rssMiss) misses.push('RSS');
    const targets = [
      Number.isNaN(row.target) ? '' : `time ≤ ${row.target.toFixed(2)}×`,
      `CPU ≤ ${CPU_TARGET}×`,
      row.rss ? 'RSS < 100 MiB' : '',
    ].filter(Boolean);
    const cpu = (values: number[]) => (values.length ? (median(values) / 1000).toFixed(2) : '–');
    return [
      row.name,
      row.builder || '–',
      row.data,
      `${coreTimes.length}+${cliTimes.length}`,
      describe(coreTimes),
      row.cliNote ?? describe(cliTimes),
      Number.isNaN(ratio) ? '–' : `${ratio.toFixed(3)}${timeMiss ? MISS : ''}`,
      interval ? `${interval[0].toFixed(3)}–${interval[1].toFixed(3)}` : '–',
      Number.isNaN(sentRatio) ? '–' : `${seconds(median(coreSent))} / ${seconds(median(cliSent))} = ${sentRatio.toFixed(3)}`,
      `${cpu(coreCpu)} / ${cpu(cliCpu)}${Number.isNaN(cpuRatio) ? '' : ` = ${cpuRatio.toFixed(2)}×`}${cpuMiss ? MISS : ''}`,
      `${peak(coreRss)}${rssMiss ? MISS : ''}${baseline.length ? ` (${mib(median(baseline))} idle)` : ''} / ${peak(cliRss)}`,
      targets.join(', '),
      misses.length ? `MISSED: ${misses.join(', ')}` : Number.isNaN(ratio) ? 'core only' : 'ok',
    ];
  });
  return table(
    [
      'benchmark',
      'builder',
      'data',
      'runs core+CLI',
      'core median (min–max)',
      'CLI median (min–max)',
      'core/CLI time',
      'its 95 % interval',
      'context sent core / CLI',
      'client CPU s core / CLI',
      'peak RSS core / CLI',
      'targets',
      'result',
    ],
    cells,
  );
}

function everyRun(rows: Row[]): string {
  return rows
    .map((row) => {
      const text = row.samples
        .map(
          (s) =>
            `${s.side === 'core' ? 'core' : 'CLI'} ${(s.ms / 1000).toFixed(2)}${s.uploadMs !== undefined ? ` (sent ${(s.uploadMs / 1000).toFixed(2)})` : ''}${s.engineCheckMs !== undefined ? ` (check ${(s.engineCheckMs / 1000).toFixed(2)})` : ''}${s.rssKiB ? ` [${mib(s.rssKiB)}]` : ''}${s.cpuMs !== undefined ? ` {CPU ${(s.cpuMs / 1000).toFixed(2)}}` : ''}`,
        )
        .join(', ');
      return `- ${row.name}${row.builder ? ` (${row.builder})` : ''}: ${text}`;
    })
    .join('\n');
}

// ---- setup and teardown ---------------------------------------------------------------------------

/** POST /__admin/trash for each benchmark repository the listener created in the sandbox. */
async function trashSandboxRepositories(info: SandboxInfo, token: string, references: string[]): Promise<number> {
  let trashed = 0;
  for (const reference of references) {
    const name = reference.replace(/:[^/:]+$/, '');
    const answer = await fetch(`${info.synapseEndpoint}/repo/v1/entity/dockerRepo/id?repositoryName=${encodeURIComponent(name)}`, {
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(20_000),
    }).catch(() => undefined);
    if (!answer?.ok) continue;
    const { id } = (await answer.json()) as { id: string };
    const trash = await fetch(`${info.synapseEndpoint}/__admin/trash`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id }),
      signal: AbortSignal.timeout(20_000),
    }).catch(() => undefined);
    if (trash?.ok) trashed++;
  }
  return trashed;
}

interface EngineReport {
  engineName: EngineName;
  facts: string[];
  rows: Row[];
  error?: string;
}

let interrupted = false;

/** Every benchmark on one engine of the stack (switched to it first). */
async function benchEngine(engineName: EngineName, config: Config, runId: string, tmp: string): Promise<EngineReport> {
  log(`engine ${engineName}: switching the stack to it`);
  const up = await stackUp(engineName, config.storage);
  checkStorageRoom(config, engineName);
  const info = up.info;
  if (info.engine?.name !== engineName) throw new Error(`the stack came up on ${info.engine?.name ?? '?'}, not ${engineName}`);
  const token = info.users.find((user) => user.userName === USER)?.token;
  if (!token) throw new Error(`the sandbox has no user ${USER}`);
  for (const value of [info.registry, new URL(info.synapseEndpoint).host]) {
    if (!/^(127\.0\.0\.1|localhost|\[::1\]):\d+$/.test(value)) throw new Error(`${value} is not a loopback address: refusing to run`);
  }
  if (!info.dockerHost.startsWith('unix://')) throw new Error(`the engine ${info.dockerHost} is not a local socket: refusing to run`);

  // Docker 28's containerd store pushes the CLI-built images as OCI manifests, which the strict rule
  // never records (so their pulls would be refused): that engine plays the wide rule, as in npm test.
  const policy = engineName === 'current' ? 'wide' : 'strict';
  const policyAnswer = await fetch(`${info.synapseEndpoint}/__admin/manifest-policy`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ policy }),
    signal: AbortSignal.timeout(20_000),
  });
  if (!policyAnswer.ok) throw new Error(`the sandbox refused manifest policy ${policy}: HTTP ${policyAnswer.status}`);

  const docker = createDockerClient({ host: info.dockerHost, source: 'DOCKER_HOST' }, 120_000);
  const version = await docker.version();
  const engineInfo = (await docker.info()) as { Driver?: string; KernelVersion?: string; NCPU?: number; DriverStatus?: string[][] };
  const engine = await inspectBuildEngine(docker);
  const cli = engineCli(engineName, projectRoot);
  const cliVersion = spawnSync(cli.command, ['--version'], { encoding: 'utf8' }).stdout?.trim() ?? 'unknown';
  const configDir = fs.mkdtempSync(path.join(os.tmpdir(), 'synapse-docker-bench-config-'));
  fs.chmodSync(configDir, 0o700);
  // What `docker login` would store (it would also ask the engine's /auth, which Podman cannot
  // answer for a plain-HTTP registry): the CLI reads the credentials from here.
  fs.writeFileSync(
    path.join(configDir, 'config.json'),
    JSON.stringify({ auths: { [info.registry]: { auth: Buffer.from(`${USER}:${token}`).toString('base64') } } }),
    { mode: 0o600 },
  );
  linkCliPlugins(cli, configDir);
  const baseEnv = { ...process.env };
  for (const key of ['DOCKER_CONFIG', 'DOCKER_CONTEXT', 'DOCKER_TLS_VERIFY', 'DOCKER_CERT_PATH', 'SYNAPSE_BENCH_TOKEN', 'DOCKER_BUILDKIT'])
    delete baseEnv[key];
  const bench: Bench = {
    engineName,
    podman: engine.podman,
    info,
    token,
    docker,
    cli,
    configDir,
    timeFile: fs.existsSync(GNU_TIME) ? path.join(tmp, 'time.txt') : undefined,
    cliEnv: { ...baseEnv, DOCKER_HOST: info.dockerHost, DOCKER_BUILDKIT: '0', DOCKER_CLI_HINTS: 'false' },
    workerEnv: { ...baseEnv, SYNAPSE_BENCH_TOKEN: token },
  };
  const references: string[] = [];
  const rows: Row[] = [];
  const started = Date.now();
  const loadBefore = os.loadavg();
  const notes: string[] = [];
  let error: string | undefined;
  const stopLoad = startLoad(config.load);
  try {
    if (config.only.has('push')) rows.push(await benchPush(bench, config, runId, tmp, references));
    if (interrupted) throw new Error('interrupted');
    if (config.only.has('pull')) rows.push(await benchPull(bench, config, references));
    if (interrupted) throw new Error('interrupted');
    if (config.only.has('build')) {
      for (const builder of config.builders) {
        if (builder === 'buildkit' && engine.podman) {
          notes.push(
            `BuildKit: not offered (${engine.product} ${engine.version} builds with Buildah; the extension refuses builder=buildkit there)`,
          );
          continue;
        }
        rows.push(...(await benchBuild(bench, config, runId, tmp, builder)));
        if (interrupted) throw new Error('interrupted');
      }
    }
  } catch (caught) {
    error = caught instanceof Error ? (caught.stack ?? caught.message) : String(caught);
    log(`engine ${engineName}: ${error}`);
  } finally {
    stopLoad();
    log(`engine ${engineName}: cleaning up its images and the CLI config`);
    for (const reference of references)
      await removeImage(docker, reference).catch((e: Error) => log(`could not remove ${reference}: ${e.message}`));
    const leftovers = (await docker.listImages({ all: true }).catch(() => [])).filter((image) =>
      (image.RepoTags ?? []).some((tag) => tag.includes(`bench-${runId}-`) || tag.includes(`synapse-docker-bench/build:${runId}-`)),
    );
    for (const image of leftovers) await removeImage(docker, image.Id).catch(() => undefined);
    fs.rmSync(configDir, { recursive: true, force: true });
    const trashed = await trashSandboxRepositories(info, token, references).catch(() => 0);
    if (references.length)
      log(
        `moved ${trashed}/${references.length} benchmark repositories to the sandbox's trash (their blobs stay in the stack's registry storage until stack down)`,
      );
  }
  const loadAverage = (averages: number[]) => averages.map((l) => l.toFixed(2)).join(' ');
  const loadNote = config.load
    ? `; --load ${config.load}: ${config.load} busy process${config.load > 1 ? 'es' : ''} (a spin loop each) ran through every run`
    : '';
  const storeLine = (engineInfo.DriverStatus ?? []).find(([key]) => /driver-type/i.test(key ?? ''));
  const facts = [
    `engine ${engineName}: ${engine.product} ${version.Version} (API ${version.ApiVersion}), /_ping Builder-Version "${engine.builderVersion}", storage ${engineInfo.Driver}${storeLine ? ` (${storeLine[1]})` : ''}; ${info.engine?.source ?? ''}`,
    `CLI: ${cliVersion} (${cli.command}, ${cli.source}${engine.podman ? ", talking to Podman's Docker-compatible socket" : ''}); classic: DOCKER_BUILDKIT=0; BuildKit: DOCKER_BUILDKIT=1 (${cli.pluginDir ? 'through buildx, --provenance=false' : 'built into the CLI, no buildx'})`,
    `core: Node ${process.version}, ${process.env.SYNAPSE_BENCH_CORE ? 'src/core/docker' : 'dist/docker.js (the bundle of src/core/docker the extension loads)'}${process.env.SYNAPSE_BENCH_CORE ? ` (SYNAPSE_BENCH_CORE=${process.env.SYNAPSE_BENCH_CORE})` : ''}`,
    `storage: the engine's data and the registry's blobs ${config.storage === 'memory' ? 'in memory (tmpfs /dev/shm)' : 'on disk'}`,
    `registry: ${info.registry} (Docker Distribution, token auth via the Synapse sandbox), user ${USER}, project ${PROJECT}; sandbox manifest policy ${policy}`,
    `machine: ${os.cpus().length} cores, load average ${loadAverage(loadBefore)} before, ${loadAverage(os.loadavg())} after; ${((Date.now() - started) / 60_000).toFixed(1)} min${loadNote}`,
    ...notes,
  ];
  return { engineName, facts, rows, error };
}

async function main(): Promise<void> {
  const config = parseArgs(process.argv.slice(2));
  const started = Date.now();
  const before = await stackStatus();
  const hadStack = before.allUp ? (readStackInfo()?.engine?.name ?? 'debian') : undefined;
  const hadStorage = stackStorage();
  if (hadStorage && hadStorage !== config.storage) {
    log(`the stack keeps its storage on ${hadStorage}: stopping it to bring it up with storage on ${config.storage}`);
    log((await stackDown()).join('; '));
  }
  const runId = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 5)}`;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'synapse-docker-bench-'));
  const onSignal = () => {
    interrupted = true;
    log('interrupted: stopping the running step, then cleaning up');
    currentChild?.kill('SIGTERM');
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const reports: EngineReport[] = [];
  try {
    for (const engineName of config.engines) {
      if (interrupted) break;
      const engineReport = await benchEngine(engineName, config, runId, tmp);
      reports.push(engineReport);
      // Printed as each engine ends, so a later failure keeps the earlier tables.
      printEngine(engineReport, config);
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
    if (hadStack) {
      if (readStackInfo()?.engine?.name !== hadStack || stackStorage() !== hadStorage) {
        log(`switching the stack back to ${hadStack} (storage on ${hadStorage ?? 'disk'})`);
        if (stackStorage() !== hadStorage) log((await stackDown()).join('; '));
        await stackUp(hadStack, hadStorage).catch((error: Error) => log(`could not switch back: ${error.message}`));
      }
    } else {
      log('stopping the stack this benchmark started');
      log((await stackDown()).join('; '));
    }
  }
  console.log(
    `\n## Summary: every engine (${config.runs} runs per side, medians${config.load ? `, --load ${config.load}` : ''}; ✗ = target missed; ${((Date.now() - started) / 60_000).toFixed(1)} min in all)\n`,
  );
  const summaryRows = reports.flatMap((r) => r.rows.map((row) => ({ ...row, name: `${r.engineName}: ${row.name}` })));
  console.log(report(summaryRows));
  for (const r of reports) if (r.error) console.log(`\n${r.engineName} did not finish: ${r.error.split('\n')[0]}`);
  if (reports.some((r) => r.error)) process.exitCode = 1;
}

function printEngine(engineReport: EngineReport, config: Config): void {
  console.log(`\n## Docker core vs docker CLI on ${engineReport.engineName}\n\n${engineReport.facts.map((f) => `- ${f}`).join('\n')}`);
  console.log(
    `- runs: ${config.runs} per side, in pairs alternating which side goes first (core, CLI, CLI, core, …)${config.only.has('build') ? '; each builder first builds once, untimed (without it the first timed build ran slow)' : ''}${config.quick ? ' (--quick)' : ''}\n`,
  );
  console.log(report(engineReport.rows));
  console.log(
    '\nEvery run (seconds; build: "sent" = until the engine\'s first step line, i.e. the whole context uploaded; "check" = the engine check the extension makes before its build questions (buildFlow), so untimed here; [peak RSS]; {client CPU}):',
  );
  console.log(everyRun(engineReport.rows));
  if (engineReport.error) console.log(`\nERROR on ${engineReport.engineName}: ${engineReport.error}`);
  console.log(
    '\nNotes: core times are the operation inside its worker process (modules already loaded, as in the extension); ' +
      "CLI times are the whole `docker` process. Client CPU: user + system CPU of the core worker during the operation, and of the whole `docker` process (bash's `times` for it, in 1 ms steps). " +
      'Peak RSS: the core worker\'s VmHWM (Node and dockerode included; "idle" = its RSS just before the operation), the CLI\'s max RSS (GNU time). ' +
      `The 95 % interval of core/CLI time is a bootstrap of both sides' runs (${BOOTSTRAP_ROUNDS} resamples); the target is read on the median. ` +
      '"Context sent": the median time until the engine\'s first step line (classic builds), the part the client decides; the rest is the engine\'s.',
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exit(1);
});
