// One Docker core operation in its own Node process, for docker.bench.ts: so each build's peak
// RSS is the extension side's alone. Job as JSON in argv[2]; the registry token in the
// environment (SYNAPSE_BENCH_TOKEN, never on the command line); the result as one JSON line on
// stdout. The core is dist/docker.js, the bundle the extension loads; SYNAPSE_BENCH_CORE may name
// another build of src/core/docker (a patched copy to compare).
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as CoreModule from '../../src/core/docker';

export interface WorkerJob {
  op: 'push' | 'pull' | 'build';
  dockerHost: string;
  /** push/pull: the full reference; build: the tag. */
  reference: string;
  /** push/pull */
  registry?: string;
  username?: string;
  /** build */
  contextDir?: string;
  /** build: the builder to ask for (as the synapseDocker.build.builder setting); default auto. */
  builder?: 'auto' | 'classic' | 'buildkit';
  /**
   * Sample heap and external memory every this many ms (default: never, only at the end). The
   * kernel's VmHWM is the peak RSS either way; a 50 ms sampler cost ~5 ms of CPU per second, which
   * counted as the core's CPU (0.19 s of a 35 s push).
   */
  sampleMs?: number;
}

export interface WorkerResult {
  ms: number;
  /** process.resourceUsage().maxRSS, KiB: the peak since the process started. */
  maxRssKiB: number;
  /** VmHWM from /proc/self/status, KiB. */
  vmHwmKiB: number;
  /** CPU time (user + system) the process spent during the operation, ms. */
  cpuMs: number;
  /** RSS just before the operation (modules loaded, client made), KiB. */
  baselineRssKiB: number;
  /** Highest sampled heap and external memory during the operation (bytes). */
  peakHeapUsed: number;
  peakExternal: number;
  peakArrayBuffers: number;
  /** push/pull: each layer's final status; build: the context summary. */
  layers?: Record<string, string>;
  summary?: unknown;
  digest?: string;
  imageId?: string;
  outputLines?: number;
  /** build: the builder the core used. */
  builder?: string;
  progressCalls?: number;
  /** build: ms from the start to the walked context (onContext) and to the engine's first step line (context fully sent). */
  contextMs?: number;
  firstStepMs?: number;
  /** build: ms of the engine check the extension makes before its build questions (untimed here, as there). */
  engineCheckMs?: number;
}

function procStatusKiB(field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync('/proc/self/status', 'utf8'));
  return match ? Number(match[1]) : 0;
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2]) as WorkerJob;
  // By default the bundle the extension loads (dist/docker.js), the very code it runs; a path
  // chosen at run time (a patched copy under /tmp, say): a plain require.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const core = require(
    path.resolve(process.env.SYNAPSE_BENCH_CORE ?? path.join(__dirname, '..', '..', '..', 'dist', 'docker.js')),
  ) as typeof CoreModule;
  const endpoint: CoreModule.DockerEndpoint = { host: job.dockerHost, source: 'DOCKER_HOST' };
  const docker = core.createDockerClient(endpoint);
  await docker.ping();

  let peakHeapUsed = 0;
  let peakExternal = 0;
  let peakArrayBuffers = 0;
  const sample = () => {
    const usage = process.memoryUsage();
    peakHeapUsed = Math.max(peakHeapUsed, usage.heapUsed);
    peakExternal = Math.max(peakExternal, usage.external);
    peakArrayBuffers = Math.max(peakArrayBuffers, usage.arrayBuffers);
  };
  const baselineRssKiB = procStatusKiB('VmRSS');
  const sampler = job.sampleMs ? setInterval(sample, job.sampleMs) : undefined;

  const result: Partial<WorkerResult> = {};
  // The extension asks the engine who it is before its build questions (buildFlow's checkEngine)
  // and hands the answer to buildImage: the wait after the last answer starts without it.
  let engine: CoreModule.BuildEngine | undefined;
  if (job.op === 'build') {
    const checkStarted = performance.now();
    engine = await core.inspectBuildEngine(docker, { endpoint });
    result.engineCheckMs = performance.now() - checkStarted;
  }
  let progressCalls = 0;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  if (job.op === 'build') {
    let outputLines = 0;
    const built = await core.buildImage({
      docker,
      endpoint,
      engine,
      contextDir: job.contextDir!,
      dockerfile: path.join(job.contextDir!, 'Dockerfile'), // as the extension passes it: the editor's fsPath
      tags: [job.reference],
      noCache: true,
      builder: job.builder ?? 'auto',
      // What the extension does with each callback, minus the VS Code calls.
      onOutput: (line) => {
        outputLines++;
        // Classic: "Step 1/2 : FROM …"; Buildah (Podman): "STEP 1/2: FROM …".
        if (result.firstStepMs === undefined && /^step 1\//i.test(line)) result.firstStepMs = performance.now() - started;
      },
      onProgress: (p) => void (progressCalls++, `${Math.floor(p.fraction * 100)} ${p.stepText ?? ''}`),
      onContext: (summary) => {
        result.contextMs = performance.now() - started;
        void JSON.stringify(summary);
      },
    });
    result.imageId = built.imageId;
    result.builder = built.builder;
    result.summary = built.context;
    result.outputLines = outputLines;
  } else {
    const auth = { username: job.username!, password: process.env.SYNAPSE_BENCH_TOKEN ?? '', serveraddress: job.registry! };
    let last: CoreModule.TransferProgress | undefined;
    const onProgress = (p: CoreModule.TransferProgress) => {
      progressCalls++;
      last = p;
      void `${p.bytesDone} / ${p.bytesTotal} · ${p.layersDone}/${p.layersTotal} layers`;
    };
    const options = { docker, endpoint, reference: job.reference, auth, onProgress };
    result.digest = job.op === 'push' ? await core.pushImage(options) : await core.pullImage(options);
    result.layers = Object.fromEntries((last?.layers ?? []).map((layer) => [layer.id, layer.status]));
  }
  const ms = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  clearInterval(sampler);
  sample();
  const output: WorkerResult = {
    ...result,
    ms,
    cpuMs: (cpu.user + cpu.system) / 1000,
    maxRssKiB: process.resourceUsage().maxRSS,
    vmHwmKiB: procStatusKiB('VmHWM'),
    baselineRssKiB,
    peakHeapUsed,
    peakExternal,
    peakArrayBuffers,
    progressCalls,
  };
  process.stdout.write(`${JSON.stringify(output)}\n`);
}

main().catch((error: Error) => {
  process.stderr.write(`${error?.stack ?? String(error)}\n`);
  process.exit(1);
});
