// Benchmark of the Docker core (src/core/docker) against the docker CLI on the local stack's real
// engine and registry: push and pull of a ~500 MB image as alice, and a classic-builder build of a
// 1 GB / 20,000-file context whose .dockerignore drops half of it, with the peak RSS of the
// extension side (each core operation runs in its own Node process: dockerBenchWorker.ts).
//
//   node out/test/bench/docker.bench.js [--runs N] [--quick] [--only push,pull,build] [--big-runs N]
//
// --runs: runs per side (default 3; --quick: 1, with a 50 MB image and 100/200 MB contexts, ~1 min).
// --big-runs: core builds of the 2 GB context, for its peak RSS (default 1). SYNAPSE_BENCH_CORE=<path
// to a built src/core/docker/index.js> runs the core side from another build (a patched copy).
//
// Runs alternate core, CLI, core, CLI… Every push uploads every byte (each run pushes its own
// image: same random layers plus a per-image salt, to a new repository; a new repository name alone
// is not enough, the engine would "mount" known blobs from the first one). Every pull downloads
// every byte (each run pulls an image that is not present locally at all: one pushed before, then
// removed by id with its layers). Contacts only the local engine socket and the loopback registry.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type Docker from 'dockerode';
import { createDockerClient } from '../../src/core/docker';
import { readStackInfo, SandboxInfo, projectRoot } from '../sandbox/stack';
import { ContextStats, writeBuildContext, writeImageContext, writeLayerData } from './dockerBenchData';
import type { WorkerJob, WorkerResult } from './dockerBenchWorker';

const DOCKER_CLI = '/usr/bin/docker';
/** GNU time, for the CLI's CPU time and peak RSS (optional: without it those columns stay empty). */
const GNU_TIME = '/usr/bin/time';
const PROJECT = 'syn1000001';
const USER = 'alice';
const STEP_TIMEOUT_MS = 10 * 60_000;

// ---- options ------------------------------------------------------------------------------------

interface Config {
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
  return {
    runs,
    quick,
    only,
    layers: 5,
    layerBytes: quick ? 10e6 : 100e6,
    contextFiles: quick ? 2_000 : 20_000,
    contextBytes: quick ? 100e6 : 1e9,
    bigContextFiles: quick ? 4_000 : 40_000,
    bigContextBytes: quick ? 200e6 : 2e9,
    bigContextRuns: Number(value('--big-runs') ?? 1),
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
  /** With `timed`: CPU time (user + system) and peak RSS of the command, from GNU time. */
  cpuMs?: number;
  maxRssKiB?: number;
}

/** Runs a command to its end; stdout/stderr are kept (their last 1 MB). */
function run(
  command: string,
  args: string[],
  options: { env: NodeJS.ProcessEnv; input?: string; onStdout?: (text: string, elapsedMs: number) => void; timeFile?: string },
): Promise<Exited> {
  if (options.timeFile) {
    args = ['-f', '%U %S %M', '-o', options.timeFile, command, ...args];
    command = GNU_TIME;
  }
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { env: options.env, stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    currentChild = child;
    const keep = (chunks: Buffer[]) => (chunk: Buffer) => {
      chunks.push(chunk);
      let total = chunks.reduce((sum, c) => sum + c.length, 0);
      while (total > 1 << 20 && chunks.length > 1) total -= chunks.shift()!.length;
    };
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', keep(out));
    if (options.onStdout) child.stdout!.on('data', (chunk: Buffer) => options.onStdout!(chunk.toString('utf8'), performance.now() - started));
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
        const fields = /^([\d.]+) ([\d.]+) (\d+)\s*$/m.exec(fs.readFileSync(options.timeFile, 'utf8'));
        if (fields) {
          cpuMs = (Number(fields[1]) + Number(fields[2])) * 1000;
          maxRssKiB = Number(fields[3]);
        }
      }
      resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), ms, cpuMs, maxRssKiB });
    });
  });
}

// ---- the two sides --------------------------------------------------------------------------------

interface Bench {
  info: SandboxInfo;
  token: string;
  docker: Docker;
  configDir: string;
  /** Where GNU time writes; undefined when /usr/bin/time is missing. */
  timeFile?: string;
  cliEnv: NodeJS.ProcessEnv;
  workerEnv: NodeJS.ProcessEnv;
}

async function cli(bench: Bench, args: string[], input?: string, onStdout?: (text: string, elapsedMs: number) => void): Promise<Exited> {
  const result = await run(DOCKER_CLI, ['--config', bench.configDir, ...args], { env: bench.cliEnv, input, onStdout, timeFile: bench.timeFile });
  if (result.code !== 0) throw new Error(`docker ${args.join(' ')} exited with ${result.code}: ${(result.stderr || result.stdout).slice(-2000)}`);
  return result;
}

async function core(bench: Bench, job: Omit<WorkerJob, 'dockerHost'>): Promise<WorkerResult & { processMs: number }> {
  const full: WorkerJob = { ...job, dockerHost: bench.info.dockerHost };
  const result = await run(process.execPath, [path.join(__dirname, 'dockerBenchWorker.js'), JSON.stringify(full)], { env: bench.workerEnv });
  if (result.code !== 0) throw new Error(`core ${job.op} failed (exit ${result.code}): ${result.stderr.slice(-3000)}`);
  const line = result.stdout.trim().split('\n').pop()!;
  return { ...(JSON.parse(line) as WorkerResult), processMs: result.ms };
}

async function imageId(docker: Docker, reference: string): Promise<string | undefined> {
  return (await docker.getImage(reference).inspect().catch(() => undefined))?.Id;
}

/** Removes an image by id, forced, with every tag and (unshared) layer. */
async function removeImage(docker: Docker, idOrReference: string): Promise<void> {
  const id = (await imageId(docker, idOrReference)) ?? idOrReference;
  await docker.getImage(id).remove({ force: true }).catch((error: { statusCode?: number }) => {
    if (error.statusCode !== 404) throw error;
  });
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
}

interface Row {
  name: string;
  data: string;
  samples: Sample[];
  target: number;
}

function countMatches(text: string, pattern: RegExp): number {
  return (text.match(pattern) ?? []).length;
}

async function benchPush(bench: Bench, config: Config, runId: string, tmp: string, references: string[]): Promise<Row> {
  const { registry } = bench.info;
  log(`generating ${config.layers} layers × ${mb(config.layerBytes)} of random data`);
  const layerFiles = writeLayerData(path.join(tmp, 'layers'), config.layers, config.layerBytes);
  const images = config.runs * 2;
  for (let i = 0; i < images; i++) {
    const reference = `${registry}/${PROJECT}/bench-${runId}-${i}:v1`;
    const context = path.join(tmp, `image-${i}`);
    writeImageContext(context, layerFiles, `${runId} image ${i}`);
    log(`building image ${i + 1}/${images} (untimed setup): ${reference}`);
    await cli(bench, ['build', '-q', '-t', reference, context]);
    fs.rmSync(context, { recursive: true, force: true });
    references.push(reference);
  }
  const size = (await bench.docker.getImage(references[0]).inspect()).Size;
  const samples: Sample[] = [];
  for (let i = 0; i < images; i++) {
    const side = i % 2 === 0 ? 'core' : 'cli';
    settle();
    const reference = references[i];
    if (side === 'core') {
      const result = await core(bench, { op: 'push', reference, registry, username: USER });
      const statuses = Object.values(result.layers ?? {});
      const pushed = statuses.filter((status) => status === 'Pushed').length;
      if (pushed !== config.layers) throw new Error(`core push of ${reference}: layer statuses ${statuses.join(', ')} (expected ${config.layers} × Pushed)`);
      samples.push({ side, ms: result.ms, cpuMs: result.cpuMs, rssKiB: result.vmHwmKiB, baselineKiB: result.baselineRssKiB });
    } else {
      const result = await cli(bench, ['push', reference]);
      const pushed = countMatches(result.stdout, /: Pushed$/gm);
      if (pushed !== config.layers || /Mounted from|already exists/i.test(result.stdout)) {
        throw new Error(`docker push of ${reference} did not upload every layer:\n${result.stdout}`);
      }
      samples.push({ side, ms: result.ms, cpuMs: result.cpuMs, rssKiB: result.maxRssKiB });
    }
    log(`push run ${Math.floor(i / 2) + 1} ${side.padEnd(4)} ${seconds(samples.at(-1)!.ms)}`);
  }
  return { name: 'push', data: `${mb(size)}, ${config.layers} layers`, samples, target: 1.05 };
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
    const side = i % 2 === 0 ? 'core' : 'cli';
    settle();
    const reference = references[i];
    if (side === 'core') {
      const result = await core(bench, { op: 'pull', reference, registry, username: USER });
      const statuses = Object.values(result.layers ?? {});
      const complete = statuses.filter((status) => status === 'Pull complete').length;
      if (complete !== config.layers) throw new Error(`core pull of ${reference}: layer statuses ${statuses.join(', ')} (expected ${config.layers} × Pull complete)`);
      samples.push({ side, ms: result.ms, cpuMs: result.cpuMs, rssKiB: result.vmHwmKiB, baselineKiB: result.baselineRssKiB });
    } else {
      const result = await cli(bench, ['pull', reference]);
      const complete = countMatches(result.stdout, /: Pull complete$/gm);
      if (complete !== config.layers || /Already exists/i.test(result.stdout)) {
        throw new Error(`docker pull of ${reference} did not download every layer:\n${result.stdout}`);
      }
      samples.push({ side, ms: result.ms, cpuMs: result.cpuMs, rssKiB: result.maxRssKiB });
    }
    size = (await bench.docker.getImage(reference).inspect()).Size;
    log(`pull run ${Math.floor(i / 2) + 1} ${side.padEnd(4)} ${seconds(samples.at(-1)!.ms)}`);
    await removeImage(bench.docker, reference);
  }
  return { name: 'pull', data: `${mb(size)}, ${config.layers} layers`, samples, target: 1.05 };
}

interface BuildRows {
  build: Row;
  big: Row;
  context: ContextStats;
  bigContext: ContextStats;
  summary: unknown;
}

async function benchBuild(bench: Bench, config: Config, runId: string, tmp: string): Promise<BuildRows> {
  log(`generating the build contexts: ${config.contextFiles} files / ${mb(config.contextBytes)} and ${config.bigContextFiles} files / ${mb(config.bigContextBytes)}`);
  const context = writeBuildContext(path.join(tmp, 'context'), config.contextFiles, config.contextBytes, 'synapse-docker-bench context');
  const bigContext = writeBuildContext(path.join(tmp, 'big-context'), config.bigContextFiles, config.bigContextBytes, 'synapse-docker-bench big context');
  const tag = (i: number) => `synapse-docker-bench/build:${runId}-${i}`;
  const samples: Sample[] = [];
  const sizes: Record<string, number[]> = { core: [], cli: [] };
  let summary: unknown;
  for (let i = 0; i < config.runs * 2; i++) {
    const side = i % 2 === 0 ? 'core' : 'cli';
    settle();
    if (side === 'core') {
      const result = await core(bench, { op: 'build', reference: tag(i), contextDir: context.dir });
      summary = result.summary;
      samples.push({ side, ms: result.ms, cpuMs: result.cpuMs, rssKiB: result.vmHwmKiB, baselineKiB: result.baselineRssKiB, uploadMs: result.firstStepMs });
    } else {
      let uploadMs: number | undefined;
      let seen = '';
      const result = await cli(bench, ['build', '--no-cache', '-t', tag(i), context.dir], undefined, (text, elapsedMs) => {
        if (uploadMs !== undefined) return;
        seen = (seen + text).slice(-4096);
        if (/^Step 1\//m.test(seen)) uploadMs = elapsedMs;
      });
      samples.push({ side, ms: result.ms, cpuMs: result.cpuMs, rssKiB: result.maxRssKiB, uploadMs });
    }
    sizes[side].push((await bench.docker.getImage(tag(i)).inspect()).Size);
    const last = samples.at(-1)!;
    log(`build run ${Math.floor(i / 2) + 1} ${side.padEnd(4)} ${seconds(last.ms)} (context sent after ${last.uploadMs === undefined ? '?' : seconds(last.uploadMs)})${last.rssKiB ? `, peak RSS ${mib(last.rssKiB)}` : ''}${last.cpuMs !== undefined ? `, CPU ${seconds(last.cpuMs)}` : ''}`);
    await removeImage(bench.docker, tag(i));
  }
  // Both sides must have sent exactly the same files.
  const all = new Set([...sizes.core, ...sizes.cli]);
  if (all.size !== 1) throw new Error(`the core and the CLI built images of different sizes: core ${sizes.core.join(', ')}, CLI ${sizes.cli.join(', ')}`);

  const bigSamples: Sample[] = [];
  for (let i = 0; i < config.bigContextRuns; i++) {
    settle();
    const result = await core(bench, { op: 'build', reference: tag(1000 + i), contextDir: bigContext.dir });
    bigSamples.push({ side: 'core', ms: result.ms, cpuMs: result.cpuMs, rssKiB: result.vmHwmKiB, baselineKiB: result.baselineRssKiB, uploadMs: result.firstStepMs });
    log(`big build ${i + 1} core ${seconds(result.ms)} peak RSS ${mib(result.vmHwmKiB)}`);
    await removeImage(bench.docker, tag(1000 + i));
  }
  const describe = (stats: ContextStats) => `${stats.files.toLocaleString('en')} files / ${mb(stats.bytes)}, sends ${stats.keptFiles.toLocaleString('en')} / ${mb(stats.keptBytes)}`;
  return {
    build: { name: 'build', data: describe(context), samples, target: 1.0 },
    big: { name: 'build (2nd context, RSS)', data: describe(bigContext), samples: bigSamples, target: Number.NaN },
    context,
    bigContext,
    summary,
  };
}

// ---- report -------------------------------------------------------------------------------------

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

function report(rows: Row[]): string {
  const cells = rows.map((row) => {
    const of = (side: 'core' | 'cli', pick: (s: Sample) => number | undefined) =>
      row.samples.filter((s) => s.side === side).map(pick).filter((v): v is number => v !== undefined);
    const describe = (values: number[]) =>
      values.length ? `${seconds(median(values))} (${seconds(Math.min(...values))}–${seconds(Math.max(...values))})` : '–';
    const coreTimes = of('core', (s) => s.ms);
    const cliTimes = of('cli', (s) => s.ms);
    const ratio = coreTimes.length && cliTimes.length ? median(coreTimes) / median(cliTimes) : Number.NaN;
    const cpu = (side: 'core' | 'cli') => (of(side, (s) => s.cpuMs).length ? `${(median(of(side, (s) => s.cpuMs)) / 1000).toFixed(2)}` : '–');
    const coreRss = of('core', (s) => s.rssKiB);
    const cliRss = of('cli', (s) => s.rssKiB);
    const baseline = of('core', (s) => s.baselineKiB);
    const peak = (values: number[]) => (values.length ? mib(Math.max(...values)) : '–');
    const isBuild = row.name.startsWith('build');
    const timeOk = Number.isNaN(ratio) || Number.isNaN(row.target) ? undefined : ratio <= row.target;
    const rssOk = isBuild && coreRss.length ? Math.max(...coreRss) < 100 * 1024 : undefined;
    const verdicts = [timeOk === undefined ? '' : timeOk ? 'time ok' : 'TIME OVER', rssOk === undefined ? '' : rssOk ? 'RSS ok' : 'RSS OVER'].filter(Boolean);
    const targets = [Number.isNaN(row.target) ? '' : `≤ ${row.target.toFixed(2)}`, isBuild ? 'RSS < 100 MiB' : ''].filter(Boolean);
    return [
      row.name,
      row.data,
      `${coreTimes.length}+${cliTimes.length}`,
      describe(coreTimes),
      describe(cliTimes),
      Number.isNaN(ratio) ? '–' : ratio.toFixed(3),
      targets.join(', '),
      `${cpu('core')} / ${cpu('cli')}`,
      `${peak(coreRss)}${baseline.length ? ` (${mib(median(baseline))} idle)` : ''} / ${peak(cliRss)}`,
      verdicts.join(', '),
    ];
  });
  return table(
    ['benchmark', 'data', 'runs', 'core median (min–max)', 'CLI median (min–max)', 'core/CLI', 'target', 'client CPU s core / CLI', 'peak RSS core / CLI', 'result'],
    cells,
  );
}

// ---- setup and teardown ---------------------------------------------------------------------------

function stackCommand(args: string[]): number {
  return spawnSync(process.execPath, [path.join(projectRoot, 'out', 'test', 'sandbox', 'stack.js'), ...args], { stdio: ['ignore', 'inherit', 'inherit'] }).status ?? 1;
}

/** POST /__admin/trash for each benchmark repository the listener created in the sandbox. */
async function trashSandboxRepositories(info: SandboxInfo, token: string, references: string[]): Promise<number> {
  let trashed = 0;
  for (const reference of references) {
    const name = reference.replace(/:[^/:]+$/, '');
    const answer = await fetch(`${info.synapseEndpoint}/repo/v1/entity/dockerRepo/id?repositoryName=${encodeURIComponent(name)}`, {
      headers: { authorization: `Bearer ${token}` },
    }).catch(() => undefined);
    if (!answer?.ok) continue;
    const { id } = (await answer.json()) as { id: string };
    const trash = await fetch(`${info.synapseEndpoint}/__admin/trash`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id }) });
    if (trash.ok) trashed++;
  }
  return trashed;
}

async function main(): Promise<void> {
  const config = parseArgs(process.argv.slice(2));
  const started = Date.now();
  const hadStack = readStackInfo() !== undefined;
  let startedStack = false;
  if (stackCommand(['status', '--quiet']) !== 0) {
    log('the local stack is not (all) up: starting it');
    if (stackCommand(['up']) !== 0) throw new Error('stack up failed');
    startedStack = !hadStack;
  }
  const info = readStackInfo();
  if (!info) throw new Error('no .synapse-sandbox/sandbox.json after stack up');
  const token = info.users.find((user) => user.userName === USER)?.token;
  if (!token) throw new Error(`the sandbox has no user ${USER}`);
  for (const value of [info.registry, new URL(info.synapseEndpoint).host]) {
    if (!/^(127\.0\.0\.1|localhost|\[::1\]):\d+$/.test(value)) throw new Error(`${value} is not a loopback address: refusing to run`);
  }
  if (!info.dockerHost.startsWith('unix://')) throw new Error(`the engine ${info.dockerHost} is not a local socket: refusing to run`);

  const docker = createDockerClient({ host: info.dockerHost, source: 'DOCKER_HOST' }, 120_000);
  const version = await docker.version();
  const engineInfo = (await docker.info()) as { Driver?: string; KernelVersion?: string; NCPU?: number };
  const cliVersion = spawnSync(DOCKER_CLI, ['--version'], { encoding: 'utf8' }).stdout?.trim() ?? 'unknown';
  const runId = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 5)}`;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'synapse-docker-bench-'));
  const configDir = fs.mkdtempSync(path.join(os.tmpdir(), 'synapse-docker-bench-config-'));
  fs.chmodSync(configDir, 0o700);
  const baseEnv = { ...process.env };
  for (const key of ['DOCKER_CONFIG', 'DOCKER_CONTEXT', 'DOCKER_TLS_VERIFY', 'DOCKER_CERT_PATH', 'SYNAPSE_BENCH_TOKEN']) delete baseEnv[key];
  const bench: Bench = {
    info,
    token,
    docker,
    configDir,
    timeFile: fs.existsSync(GNU_TIME) ? path.join(tmp, 'time.txt') : undefined,
    cliEnv: { ...baseEnv, DOCKER_HOST: info.dockerHost, DOCKER_BUILDKIT: '0', DOCKER_CLI_HINTS: 'false' },
    workerEnv: { ...baseEnv, SYNAPSE_BENCH_TOKEN: token },
  };
  const references: string[] = [];
  const rows: Row[] = [];
  let buildRows: BuildRows | undefined;
  let interrupted = false;
  const onSignal = () => {
    interrupted = true;
    log('interrupted: stopping the running step, then cleaning up');
    currentChild?.kill('SIGTERM');
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const loadBefore = os.loadavg();
  try {
    await cli(bench, ['login', info.registry, '--username', USER, '--password-stdin'], token);
    if (config.only.has('push')) {
      rows.push(await benchPush(bench, config, runId, tmp, references));
      fs.rmSync(path.join(tmp, 'layers'), { recursive: true, force: true });
    }
    if (interrupted) throw new Error('interrupted');
    if (config.only.has('pull')) rows.push(await benchPull(bench, config, references));
    if (interrupted) throw new Error('interrupted');
    if (config.only.has('build')) {
      buildRows = await benchBuild(bench, config, runId, tmp);
      rows.push(buildRows.build, buildRows.big);
    }
  } finally {
    log('cleaning up: images, temp data, the CLI config');
    for (const reference of references) await removeImage(docker, reference).catch((error: Error) => log(`could not remove ${reference}: ${error.message}`));
    const leftovers = (await docker.listImages({ all: true }).catch(() => [])).filter((image) =>
      (image.RepoTags ?? []).some((tag) => tag.includes(`bench-${runId}-`) || tag.startsWith(`synapse-docker-bench/build:${runId}-`)));
    for (const image of leftovers) await removeImage(docker, image.Id).catch(() => undefined);
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.rmSync(configDir, { recursive: true, force: true });
    const trashed = await trashSandboxRepositories(info, token, references).catch(() => 0);
    if (references.length) log(`moved ${trashed}/${references.length} benchmark repositories to the sandbox's trash (their blobs stay in the stack's registry storage until stack down)`);
    if (startedStack) {
      log('stopping the stack this benchmark started');
      stackCommand(['down']);
    }
  }

  const cpus = os.cpus();
  const facts = [
    `machine: ${cpus.length} cores (${cpus[0]?.model.trim() ?? 'unknown'}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, load average ${loadBefore.map((l) => l.toFixed(2)).join(' ')} before, ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} after`,
    `engine: Docker Engine ${version.Version} (API ${version.ApiVersion}), storage driver ${engineInfo.Driver}, kernel ${engineInfo.KernelVersion}, ${engineInfo.NCPU} CPUs seen by the engine`,
    `CLI: ${cliVersion} (${DOCKER_CLI}, DOCKER_BUILDKIT=0); core: Node ${process.version}, dockerode via src/core/docker${process.env.SYNAPSE_BENCH_CORE ? ` (SYNAPSE_BENCH_CORE=${process.env.SYNAPSE_BENCH_CORE})` : ''}`,
    `registry: ${info.registry} (Docker Distribution, token auth via the Synapse sandbox), user ${USER}, project ${PROJECT}`,
    `runs: ${config.runs} per side, alternating core, CLI, …${config.quick ? ' (--quick)' : ''}; total ${((Date.now() - started) / 60_000).toFixed(1)} min`,
  ];
  console.log(`\nDocker core vs docker CLI benchmark\n\n${facts.map((f) => `- ${f}`).join('\n')}\n`);
  console.log(report(rows));
  console.log('\nEvery run (seconds; build: "sent" = until the engine\'s first step line, i.e. the whole context uploaded; [peak RSS]):');
  for (const row of rows) {
    const text = row.samples
      .map((s) => `${s.side === 'core' ? 'core' : 'CLI'} ${(s.ms / 1000).toFixed(2)}${s.uploadMs !== undefined ? ` (sent ${(s.uploadMs / 1000).toFixed(2)})` : ''}${s.rssKiB ? ` [${mib(s.rssKiB)}]` : ''}`)
      .join(', ');
    console.log(`- ${row.name}: ${text}`);
  }
  if (buildRows?.summary) console.log(`\nCore build context summary (1st context): ${JSON.stringify(buildRows.summary)}`);
  console.log(
    '\nNotes: core times are the operation inside its worker process (modules already loaded, as in the extension); ' +
      'CLI times are the whole `docker` process. Client CPU: user + system CPU of the core worker during the operation, and of the whole `docker` process (GNU time). ' +
      'Peak RSS: the core worker\'s VmHWM (Node and dockerode included; "idle" = its RSS just before the operation), the CLI\'s max RSS (GNU time).',
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.stack ?? error.message : String(error));
  process.exit(1);
});
