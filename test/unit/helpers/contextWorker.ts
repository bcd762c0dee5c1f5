// Runs a build (or only the packing of its context) in a process of its own, so that permission
// cases see real "permission denied" errors: the tests run as root in the test containers, and
// root reads any file. runUnprivileged starts this worker without the file-permission override
// (setpriv drops CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH) when the tests run as root.
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { buildImage, createBuildContext, createDockerClient } from '../../../src/core/docker';

export interface WorkerJob {
  mode: 'build' | 'pack';
  contextDir: string;
  dockerfile?: string;
  dockerHost?: string;
  tag?: string;
}

export type WorkerOutcome =
  | { ok: true; output: string[]; summary: Record<string, unknown>; imageId?: string; bytes?: number }
  | { ok: false; error: { name: string; message: string; path?: string; code?: string } };

async function work(job: WorkerJob): Promise<WorkerOutcome> {
  const output: string[] = [];
  try {
    if (job.mode === 'pack') {
      const context = await createBuildContext({ contextDir: job.contextDir, dockerfile: job.dockerfile });
      let bytes = 0;
      for await (const chunk of context.stream) bytes += (chunk as Buffer).length;
      return { ok: true, output, summary: { ...context.summary }, bytes };
    }
    const endpoint = { host: job.dockerHost!, source: 'DOCKER_HOST' as const };
    const result = await buildImage({
      docker: createDockerClient(endpoint),
      endpoint,
      contextDir: job.contextDir,
      dockerfile: job.dockerfile,
      tags: [job.tag!],
      noCache: true,
      onOutput: (line) => output.push(line),
    });
    return { ok: true, output, summary: { ...result.context }, imageId: result.imageId };
  } catch (error) {
    const failed = error as Error & { path?: string; code?: string };
    return { ok: false, error: { name: failed.name, message: failed.message, path: failed.path, code: failed.code } };
  }
}

/** Runs the job in a worker process that has no way around file permissions. */
export function runUnprivileged(job: WorkerJob): Promise<WorkerOutcome> {
  const worker = path.join(__dirname, 'contextWorker.js');
  const asRoot = process.getuid?.() === 0;
  const drop = ['--bounding-set=-dac_override,-dac_read_search', '--inh-caps=-dac_override,-dac_read_search'];
  const [command, args] = asRoot
    ? ['setpriv', [...drop, process.execPath, worker, JSON.stringify(job)]]
    : [process.execPath, [worker, JSON.stringify(job)]];
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', (error) => reject(new Error(`Couldn't start ${command} for the unprivileged worker: ${error.message}`)));
    child.on('close', (status) => {
      try {
        resolve(JSON.parse(stdout) as WorkerOutcome);
      } catch {
        reject(new Error(`The unprivileged worker exited with ${status}: ${stdout} ${stderr}`));
      }
    });
  });
}

if (require.main === module) {
  void work(JSON.parse(process.argv[2]) as WorkerJob).then((outcome) => {
    process.stdout.write(JSON.stringify(outcome));
    process.exit(0);
  });
}
