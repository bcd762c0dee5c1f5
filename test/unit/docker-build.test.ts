// Building images through the Engine API against the stack's real engine: the build context
// (.dockerignore with exceptions, Dockerfiles in subfolders and outside the context), build args,
// target stages, failing steps, cancellation, and memory use on a large context.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type Docker from 'dockerode';
import * as tar from 'tar-fs';
import {
  BuildEngine,
  BuildFailedError,
  BuilderChoice,
  BuildkitRequiredError,
  BuildPlanInfo,
  BuildProgress,
  BuildProgressTracker,
  buildImage,
  BuildContextError,
  chooseBuilder,
  inspectBuildEngine,
  pushImage,
  RegistryAuth,
  createBuildContext,
  createDockerClient,
  DockerCancelledError,
  imageExists,
} from '../../src/core/docker';
import { engineCli, isolatedCliEnv, linkCliPlugins } from '../sandbox/engines';
import { projectRoot } from '../sandbox/stack';
import { BASE_IMAGE, ImageJanitor, makeTree, runInImage, sandboxUser, stackEngine, StackEngine, uniqueId } from './helpers/docker-fixtures';

/** The names inside the tar a context produces (files, and directories with a trailing "/"). */
async function tarEntries(stream: NodeJS.ReadableStream): Promise<string[]> {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'ctx-out-'));
  try {
    await new Promise<void>((resolve, reject) => {
      const extract = tar.extract(out);
      extract.on('finish', resolve);
      extract.on('error', reject);
      stream.on('error', reject);
      stream.pipe(extract as unknown as NodeJS.WritableStream);
    });
    const found: string[] = [];
    const walk = (dir: string, prefix: string) => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const relative = `${prefix}${entry.name}`;
        if (entry.isDirectory()) {
          found.push(`${relative}/`);
          walk(path.join(dir, entry.name), `${relative}/`);
        } else found.push(relative);
      }
    };
    walk(out, '');
    return found.sort();
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}

describe('docker build (real engine)', function () {
  this.timeout(120_000);
  let stack: StackEngine;
  let docker: Docker;
  const janitor = new ImageJanitor(() => docker);
  const dirs: string[] = [];
  const run = uniqueId();
  let counter = 0;
  const nextTag = () => `synapse-test/build-${run}:t${++counter}`;

  before(async () => {
    stack = await stackEngine();
    docker = stack.docker;
  });

  after(async () => {
    await janitor.cleanUp();
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** A step line as the engine's builder prints it: the classic builder's, or Buildah's on Podman. */
  const stepLine = (step: number, total: number, instruction: string) =>
    stack.info.engine?.name === 'podman' ? `STEP ${step}/${total}: ${instruction}` : `Step ${step}/${total} : ${instruction}`;

  /** A context whose .dockerignore drops a pattern and a folder, and brings one file of it back. */
  const IGNORE_TREE = {
    Dockerfile: `FROM ${BASE_IMAGE}\nCOPY . /ctx/\n`,
    '.dockerignore': '*.env\nlogs\n!logs/keep.log\n',
    'a.txt': 'hello',
    'secret.env': 'SECRET=1',
    'logs/x.log': 'x',
    'logs/keep.log': 'kept',
  };

  function tree(files: Record<string, string | Buffer>): string {
    const dir = makeTree(files);
    dirs.push(dir);
    return dir;
  }

  describe('build context', () => {
    it('applies .dockerignore with ! exceptions and always keeps the Dockerfile and .dockerignore', async () => {
      const dir = tree({
        Dockerfile: 'FROM scratch\n',
        '.dockerignore': '# comment\n*.env\nlogs\n!logs/keep.log\nnode_modules\nDockerfile\n.dockerignore\nsrc/**/*.tmp\n',
        'a.txt': 'a',
        'secret.env': 'SECRET=1',
        'logs/x.log': 'x',
        'logs/keep.log': 'keep',
        'node_modules/m/index.js': 'module',
        'src/main.c': 'int main;',
        'src/deep/scratch.tmp': 'tmp',
        'sub/secret.env': 'not matched: *.env only matches at the root',
      });
      const context = await createBuildContext({ contextDir: dir });
      assert.equal(context.dockerfile, 'Dockerfile');
      const entries = await tarEntries(context.stream);
      assert.deepEqual(entries, [
        '.dockerignore',
        'Dockerfile',
        'a.txt',
        'logs/',
        'logs/keep.log',
        'src/',
        'src/deep/',
        'src/main.c',
        'sub/',
        'sub/secret.env',
      ]);
      const summary = context.summary;
      assert.equal(summary.filesIncluded, 6);
      assert.equal(summary.filesExcluded, 3); // secret.env, logs/x.log, src/deep/scratch.tmp
      assert.equal(summary.directoriesExcluded, 1); // node_modules, not even walked
      const included = ['.dockerignore', 'Dockerfile', 'a.txt', 'logs/keep.log', 'src/main.c', 'sub/secret.env'];
      assert.equal(
        summary.bytesIncluded,
        included.reduce((sum, file) => sum + fs.statSync(path.join(dir, file)).size, 0),
      );
      assert.equal(summary.ignoreFile, path.join(dir, '.dockerignore'));
    });

    it('keeps a Dockerfile in an ignored subfolder and prefers <Dockerfile>.dockerignore', async () => {
      const dir = tree({
        'build/Dockerfile': 'FROM scratch\n',
        'build/Dockerfile.dockerignore': 'build\nb.txt\n',
        '.dockerignore': 'a.txt\n',
        'a.txt': 'a',
        'b.txt': 'b',
        'build/other.txt': 'other',
      });
      const context = await createBuildContext({ contextDir: dir, dockerfile: 'build/Dockerfile' });
      assert.equal(context.dockerfile, 'build/Dockerfile');
      assert.equal(context.summary.ignoreFile, path.join(dir, 'build', 'Dockerfile.dockerignore'));
      // (build/ itself is not in the tar; extracting creates it for its Dockerfile.)
      assert.deepEqual(await tarEntries(context.stream), ['.dockerignore', 'a.txt', 'build/', 'build/Dockerfile']);
      assert.equal(context.summary.filesExcluded, 3); // b.txt, build/other.txt, build/Dockerfile.dockerignore
    });

    it('streams a 1 GB context without holding it in memory', async function () {
      this.timeout(180_000);
      const dir = tree({ Dockerfile: 'FROM scratch\n' });
      const big = path.join(dir, 'big.bin');
      fs.closeSync(fs.openSync(big, 'w'));
      fs.truncateSync(big, 1024 ** 3); // sparse: 1 GiB of zeros without using the disk
      global.gc?.();
      const before = process.memoryUsage().rss;
      let peak = before;
      const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
      const started = Date.now();
      try {
        const context = await createBuildContext({ contextDir: dir });
        assert.equal(context.summary.bytesIncluded, 1024 ** 3 + 'FROM scratch\n'.length);
        let bytes = 0;
        for await (const chunk of context.stream) bytes += (chunk as Buffer).length;
        assert.ok(bytes > 1024 ** 3, `the tar has ${bytes} bytes`);
      } finally {
        clearInterval(sampler);
      }
      const grownMb = (peak - before) / 1024 ** 2;
      console.log(`      1 GiB context streamed in ${Date.now() - started} ms; RSS grew by ${grownMb.toFixed(1)} MB`);
      assert.ok(grownMb < 150, `RSS grew by ${grownMb.toFixed(1)} MB while streaming a 1 GiB context`);
    });

    it('packs a 20,000-file context with every byte accounted for, in bounded memory', async function () {
      this.timeout(180_000);
      const dir = tree({ Dockerfile: 'FROM scratch\n' });
      let expected = 512 + 512; // the Dockerfile: header and one block
      for (let d = 0; d < 100; d++) {
        fs.mkdirSync(path.join(dir, `d${d}`));
        expected += 512;
        for (let f = 0; f < 200; f++) {
          const size = (d * 200 + f) % 7000; // 0 to 6999 bytes, some of them exactly 0 or a multiple of 512
          fs.writeFileSync(path.join(dir, `d${d}`, `f${f}.txt`), Buffer.alloc(size, 0x61));
          expected += 512 + Math.ceil(size / 512) * 512;
        }
      }
      expected += 1024; // the end of the archive
      global.gc?.();
      const before = process.memoryUsage().rss;
      let peak = before;
      const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
      const started = Date.now();
      let bytes = 0;
      try {
        const context = await createBuildContext({ contextDir: dir });
        assert.equal(context.summary.filesIncluded, 20_001);
        assert.equal(context.summary.directoriesIncluded, 100);
        for await (const chunk of context.stream) bytes += (chunk as Buffer).length;
      } finally {
        clearInterval(sampler);
      }
      const grownMb = (peak - before) / 1024 ** 2;
      console.log(`      20,001 files packed in ${Date.now() - started} ms; RSS grew by ${grownMb.toFixed(1)} MB`);
      assert.equal(bytes, expected);
      // The files hold ~70 MB: reading them all into memory would show here.
      assert.ok(grownMb < 60, `RSS grew by ${grownMb.toFixed(1)} MB while packing 20,001 files`);
    });
    it('sent to the engine (pipe), the tar is byte for byte what a reader gets, through four reused 256 KB buffers', async function () {
      this.timeout(60_000);
      // Random bytes, so a buffer refilled before the destination took it would show as different bytes.
      const random = (size: number, seed: number) => {
        const out = Buffer.allocUnsafe(size);
        let x = seed >>> 0 || 1;
        for (let i = 0; i < size; i++) {
          x ^= x << 13;
          x >>>= 0;
          x ^= x >>> 17;
          x ^= x << 5;
          x >>>= 0;
          out[i] = x & 0xff;
        }
        return out;
      };
      const files: Record<string, string | Buffer> = { Dockerfile: 'FROM scratch\nCOPY . /ctx/\n' };
      for (let i = 0; i < 300; i++) files[`small/f${i}.bin`] = random((i * 977) % 9000, i + 1);
      for (let i = 0; i < 6; i++) files[`large/f${i}.bin`] = random(300_000 + i * 123_457, 1000 + i);
      const dir = tree(files);
      const read: Buffer[] = [];
      for await (const chunk of (await createBuildContext({ contextDir: dir })).stream) read.push(chunk as Buffer);
      const expected = Buffer.concat(read);

      // A destination like a socket: it takes each chunk, and only later (its write callback) is done with it.
      const received: Buffer[] = [];
      const backing = new Set<ArrayBufferLike>();
      const { Writable } = await import('node:stream');
      const sink = new Writable({
        highWaterMark: 16 * 1024,
        write(chunk: Buffer, _encoding, callback) {
          backing.add(chunk.buffer);
          setTimeout(() => {
            received.push(Buffer.from(chunk));
            callback();
          }, 1);
        },
      });
      const context = await createBuildContext({ contextDir: dir });
      const finished = new Promise<void>((resolve, reject) => {
        sink.on('finish', resolve);
        context.stream.on('error', reject);
      });
      context.stream.pipe(sink);
      await finished;
      const sent = Buffer.concat(received);
      assert.equal(sent.length, expected.length);
      assert.ok(sent.equals(expected), 'the piped tar differs from the read one');
      assert.ok(expected.length > 2_500_000, `the tar has ${expected.length} bytes`);
      assert.equal(context.failure(), undefined);
      assert.ok(backing.size <= 4, `the pipe used ${backing.size} buffers for ${expected.length} bytes`);
    });
  });

  describe('build stream parsing', () => {
    it('follows steps, strips colour codes, keeps the failing step and its output tail', () => {
      const progress: BuildProgress[] = [];
      const output: string[] = [];
      const tracker = new BuildProgressTracker({ onProgress: (p) => progress.push(p), onOutput: (l) => output.push(l) });
      for (const chunk of [
        'Step 1/3 : FROM local/busybox:1\n',
        ' ---> 662e5ba282b6\n',
        'Step 2/3 : RUN ma',
        'ke\n',
        ' ---> Running in 1a2b3c4d5e6f\n',
        'compiling\n',
        '\u001b[91mwarning: x\n\u001b[0m',
        'progress 10%\rprogress 100%\n',
      ])
        tracker.consume({ stream: chunk });
      tracker.consume({ errorDetail: { code: 2, message: "The command '/bin/sh -c make' returned a non-zero code: 2" }, error: 'x' });
      tracker.finish();
      assert.deepEqual(
        progress.map((p) => [p.step, p.totalSteps, p.instruction]),
        [
          [1, 3, 'FROM local/busybox:1'],
          [2, 3, 'RUN make'],
        ],
      );
      assert.equal(tracker.progress.stepText, 'Step 2/3 : RUN make');
      assert.equal(tracker.error, "The command '/bin/sh -c make' returned a non-zero code: 2");
      assert.deepEqual(tracker.outputTail, ['compiling', 'warning: x', 'progress 100%']);
      assert.ok(output.includes('warning: x'));
    });

    it("follows Buildah's (Podman's) STEP n/m lines, keeps its chatter out of the tail, and names the failing step", () => {
      // As Podman 4.3.1 (Buildah 1.28) streams them through its Docker-compatible /build.
      const progress: BuildProgress[] = [];
      const tracker = new BuildProgressTracker({ onProgress: (p) => progress.push(p) });
      for (const chunk of [
        'STEP 1/4: FROM local/busybox:1\n',
        'STEP 2/4: RUN echo one\n',
        'one\n',
        '--> 906eb7ffb4c\n',
        'STEP 3/4: RUN echo "about to fail" && echo "oops on stderr" >&2 && false\n',
        'about to fail\n',
        'oops on stderr\n',
      ])
        tracker.consume({ stream: chunk });
      const raw =
        'building at STEP "RUN echo "about to fail" && echo "oops on stderr" >&2 && false": while running runtime: exit status 1\n';
      tracker.consume({ errorDetail: { message: raw }, error: raw });
      tracker.finish();
      assert.deepEqual(
        progress.map((p) => [p.step, p.totalSteps, p.instruction, p.fraction]),
        [
          [1, 4, 'FROM local/busybox:1', 0],
          [2, 4, 'RUN echo one', 0.25],
          [3, 4, 'RUN echo "about to fail" && echo "oops on stderr" >&2 && false', 0.5],
        ],
      );
      assert.equal(tracker.progress.stepText, 'STEP 3/4: RUN echo "about to fail" && echo "oops on stderr" >&2 && false');
      assert.deepEqual(tracker.outputTail, ['about to fail', 'oops on stderr']);

      const done = new BuildProgressTracker();
      for (const line of [
        'STEP 1/2: FROM local/busybox:1',
        'STEP 2/2: COPY . /ctx/',
        'COMMIT docker.io/x/y:z',
        '--> 9a791cedc3d',
        'Successfully tagged docker.io/x/y:z',
      ]) {
        done.consume({ stream: `${line}\n` });
      }
      done.consume({ aux: { ID: `sha256:${'9'.repeat(64)}` } });
      done.consume({ stream: 'Successfully built 999999999999\nSuccessfully tagged x/y:z\n' });
      done.finish();
      assert.equal(done.progress.fraction, 1);
      assert.equal(done.imageId, `sha256:${'9'.repeat(64)}`);
      assert.ok(!done.outputTail.some((line) => /^(COMMIT|-->)/.test(line)), `tail: ${JSON.stringify(done.outputTail)}`);
    });

    it('reads the image id from the aux event and "Successfully built"', () => {
      const tracker = new BuildProgressTracker();
      tracker.consume({ aux: { ID: 'sha256:' + 'f'.repeat(64) } });
      tracker.consume({ stream: 'Successfully built ffffffffffff\nSuccessfully tagged a/b:c\n' });
      assert.equal(tracker.imageId, 'sha256:' + 'f'.repeat(64));
      assert.deepEqual(tracker.taggedReferences, ['a/b:c']);
      assert.equal(tracker.error, undefined);
    });
  });

  describe('building', () => {
    // The classic builder on every engine (where `auto` would pick BuildKit, it is asked for);
    // RUN steps on no network, since the test engines have no bridge.
    const CLASSIC = { builder: 'classic', network: 'none' } as const;

    it('leaves .dockerignored files out of the image and brings back ! exceptions', async () => {
      const dir = tree(IGNORE_TREE);
      const tag = nextTag();
      janitor.add(tag);
      const steps: BuildProgress[] = [];
      const result = await buildImage({ ...CLASSIC, docker, contextDir: dir, tags: [tag], onProgress: (p) => steps.push(p) });
      assert.match(result.imageId, /^sha256:[0-9a-f]{64}$/);
      assert.equal(result.context.filesExcluded, 2);
      assert.deepEqual([...new Set(steps.map((s) => s.stepText))], [stepLine(1, 2, `FROM ${BASE_IMAGE}`), stepLine(2, 2, 'COPY . /ctx/')]);
      assert.deepEqual(
        steps.map((s) => s.fraction),
        [0, 0.5, 1],
      );
      const listing = (await runInImage(docker, tag, ['find', '/ctx', '-type', 'f'])).split('\n').filter(Boolean).sort();
      assert.deepEqual(listing, ['/ctx/.dockerignore', '/ctx/Dockerfile', '/ctx/a.txt', '/ctx/logs/keep.log']);
      assert.equal(await runInImage(docker, tag, ['cat', '/ctx/logs/keep.log']), 'kept');
    });

    it("puts in the image what this engine's own docker CLI puts there, for a wildcard exception under an excluded folder", async () => {
      // Classic builds never walk `vendor` for `!**/*.go` (the CLI's tar walk), BuildKit's file
      // sync does (fsutil): each side builds with the engine's default builder.
      const dir = tree({
        Dockerfile: `FROM ${BASE_IMAGE}\nCOPY . /ctx/\n`,
        '.dockerignore': 'vendor\nother\n!**/*.go\n',
        'main.go': 'm',
        'vendor/c.go': 'c',
        'vendor/x.txt': 'x',
        'vendor/sub/d.go': 'd',
        'other/o.txt': 'o',
      });
      const [ours, theirs] = [nextTag(), nextTag()];
      janitor.add(ours);
      janitor.add(theirs);
      const result = await buildImage({ docker, contextDir: dir, tags: [ours], network: 'none' });
      const cli = engineCli(stack.info.engine?.name ?? 'debian', projectRoot);
      const config = fs.mkdtempSync(path.join(os.tmpdir(), 'build-cli-config-'));
      dirs.push(config);
      linkCliPlugins(cli, config);
      const built = spawnSync(cli.command, ['build', '-q', '--network', 'none', '-t', theirs, dir], {
        env: isolatedCliEnv(config, stack.info.dockerHost),
        encoding: 'utf8',
      });
      assert.equal(built.status, 0, `${cli.source}: ${built.stderr}`);
      const listing = async (tag: string) => (await runInImage(docker, tag, ['find', '/ctx'])).split('\n').filter(Boolean).sort();
      const expected = ['/ctx', '/ctx/.dockerignore', '/ctx/Dockerfile', '/ctx/main.go'];
      if (result.builder === 'buildkit') expected.push('/ctx/vendor', '/ctx/vendor/c.go', '/ctx/vendor/sub', '/ctx/vendor/sub/d.go');
      assert.deepEqual(await listing(ours), expected.sort(), `the extension's ${result.builder} build`);
      assert.deepEqual(await listing(theirs), expected, `${cli.source} (${cli.command})`);
    });

    it('builds with the Dockerfile in a subfolder and the context at the root', async () => {
      const dir = tree({
        'docker/Dockerfile': `FROM ${BASE_IMAGE}\nCOPY app.txt /app.txt\n`,
        'app.txt': 'from the root',
      });
      const tag = nextTag();
      janitor.add(tag);
      const result = await buildImage({ ...CLASSIC, docker, contextDir: dir, dockerfile: 'docker/Dockerfile', tags: [tag] });
      assert.equal(result.context.dockerfileName, 'docker/Dockerfile');
      assert.equal(await runInImage(docker, tag, ['cat', '/app.txt']), 'from the root');
    });

    it('builds with a Dockerfile outside the context, which does not end up in the context', async () => {
      const outside = tree({ 'Dockerfile.custom': `FROM ${BASE_IMAGE}\nCOPY . /ctx/\n` });
      const dir = tree({ 'data.txt': 'data', '.dockerignore': 'nothing-matches\n' });
      const tag = nextTag();
      janitor.add(tag);
      const result = await buildImage({
        ...CLASSIC,
        docker,
        contextDir: dir,
        dockerfile: path.join(outside, 'Dockerfile.custom'),
        tags: [tag],
      });
      assert.equal(result.context.dockerfileOutsideContext, true);
      assert.match(result.context.dockerfileName, /^\.synapse-dockerfile-[0-9a-f]{16}$/);
      const listing = (await runInImage(docker, tag, ['ls', '-A', '/ctx'])).split(/\s+/).filter(Boolean).sort();
      assert.deepEqual(listing, ['.dockerignore', 'data.txt']);
    });

    it('applies build args and stops at the target stage', async () => {
      const dir = tree({
        Dockerfile: [
          `FROM ${BASE_IMAGE} AS base`,
          'ARG GREETING=default',
          'RUN echo "$GREETING" > /greeting',
          'FROM base AS tested',
          'RUN echo tested > /stage',
          'FROM base AS release',
          'RUN echo release > /stage',
          '',
        ].join('\n'),
      });
      const tag = nextTag();
      janitor.add(tag);
      const output: string[] = [];
      await buildImage({
        ...CLASSIC,
        docker,
        contextDir: dir,
        tags: [tag],
        buildArgs: { GREETING: 'hello synapse' },
        target: 'tested',
        onOutput: (line) => output.push(line),
      });
      assert.equal((await runInImage(docker, tag, ['cat', '/greeting'])).trim(), 'hello synapse');
      assert.equal((await runInImage(docker, tag, ['cat', '/stage'])).trim(), 'tested');
      assert.ok(!output.some((line) => line.includes('echo release')), 'the release stage after the target was not built');
    });

    it('reports a failing step with its text and the output tail', async () => {
      const dir = tree({
        Dockerfile: [
          `FROM ${BASE_IMAGE}`,
          'RUN echo one',
          'RUN echo "about to fail" && echo "oops on stderr" >&2 && false',
          'RUN echo never',
          '',
        ].join('\n'),
      });
      const tag = nextTag();
      janitor.add(tag);
      // The successful steps stay behind as cache (as with the docker CLI); the janitor removes them.
      await assert.rejects(
        buildImage({ ...CLASSIC, docker, contextDir: dir, tags: [tag], onOutput: janitor.outputCollector() }),
        (error: unknown) => {
          assert.ok(error instanceof BuildFailedError, `got ${String(error)}`);
          const failing = stepLine(3, 4, 'RUN echo "about to fail" && echo "oops on stderr" >&2 && false');
          assert.equal(error.step, failing);
          assert.ok(error.message.includes(failing), error.message);
          // dockerd: "The command '/bin/sh -c …' returned a non-zero code: 1"; Buildah: "building at STEP "RUN …": while running runtime: exit status 1".
          assert.match(
            error.raw,
            stack.info.engine?.name === 'podman' ? /while running runtime: exit status 1/ : /returned a non-zero code: 1/,
          );
          assert.ok(error.outputTail.includes('about to fail'), `tail: ${JSON.stringify(error.outputTail)}`);
          assert.ok(error.outputTail.includes('oops on stderr'), `tail: ${JSON.stringify(error.outputTail)}`);
          assert.ok(!error.outputTail.some((line) => line.includes('one') && !line.includes('about')), 'the tail is the failing step only');
          return true;
        },
      );
      assert.equal(await imageExists(docker, tag), false);
    });

    it('cancels a running build quickly and leaves no tag and no container behind', async () => {
      const dir = tree({ Dockerfile: `FROM ${BASE_IMAGE}\nRUN echo started-${run} && sleep 60\nRUN echo never\n` });
      const tag = nextTag();
      janitor.add(tag);
      const controller = new AbortController();
      let abortedAt = 0;
      const build = buildImage({
        ...CLASSIC,
        docker,
        contextDir: dir,
        tags: [tag],
        noCache: true,
        signal: controller.signal,
        onOutput: (line) => {
          if (line === `started-${run}` && !abortedAt) {
            abortedAt = Date.now();
            controller.abort();
          }
        },
      });
      await assert.rejects(build, (error: unknown) => error instanceof DockerCancelledError && error.operation === 'build');
      assert.ok(abortedAt > 0, 'the RUN step started before the abort');
      assert.ok(Date.now() - abortedAt < 2000, `the build took ${Date.now() - abortedAt} ms to stop`);
      assert.equal(await imageExists(docker, tag), false);
      // The engine kills the step's container when the connection drops; give it a moment.
      const deadline = Date.now() + 15_000;
      let leftovers: Docker.ContainerInfo[] = [];
      do {
        await new Promise((resolve) => setTimeout(resolve, 250));
        const all = await docker.listContainers({ all: true });
        leftovers = all.filter((c) => c.Command.includes(`started-${run}`));
      } while (leftovers.length && Date.now() < deadline);
      assert.deepEqual(
        leftovers.map((c) => `${c.Id.slice(0, 12)} ${c.State}`),
        [],
        'the sleeping step container is gone',
      );
    });

    it('survives a step that is silent for longer than the client timeout', async () => {
      const dir = tree({ Dockerfile: `FROM ${BASE_IMAGE}\nRUN sleep 3 && echo done-${run}\n` });
      const tag = nextTag();
      janitor.add(tag);
      // A client whose idle timeout is shorter than the step.
      const impatient = createDockerClient(stack.endpoint, 1500);
      const result = await buildImage({ ...CLASSIC, docker: impatient, contextDir: dir, tags: [tag], noCache: true });
      assert.equal(await imageExists(docker, result.imageId), true);
    });

    it('fails clearly when the Dockerfile is missing', async () => {
      const dir = tree({ 'a.txt': 'a' });
      await assert.rejects(
        buildImage({ ...CLASSIC, docker, contextDir: dir, tags: [nextTag()] }),
        /The Dockerfile .*Dockerfile does not exist/,
      );
    });
  });
  // BuildKit through the Engine API. Engines that advertise it (/_ping Builder-Version: 2) get it
  // by `auto`; Docker 20.10 serves it through the API without advertising it, so there the tests
  // ask for it. Podman has none: these tests fail there, loudly, with the extension's message.
  describe('BuildKit (real engine)', () => {
    let engine: BuildEngine;
    let choice: BuilderChoice;

    before(async () => {
      engine = await inspectBuildEngine(docker, { endpoint: stack.endpoint });
      choice = engine.builderVersion === '2' ? 'auto' : 'buildkit';
      console.log(
        `      engine: ${engine.product} ${engine.version} (API ${engine.apiVersion}), Builder-Version "${engine.builderVersion}", ${engine.os}/${engine.arch}; BuildKit by "${choice}"`,
      );
    });

    const chmodDockerfile = [
      `FROM ${BASE_IMAGE}`,
      'COPY --chmod=755 a.sh /a.sh',
      'RUN --mount=type=cache,target=/cache echo hello-from-run && echo err-line >&2',
      'RUN /a.sh',
      '',
    ].join('\n');

    it("builds COPY --chmod and RUN --mount, with steps n/m, each step's log lines and the engine named first", async () => {
      const dir = tree({ Dockerfile: chmodDockerfile, 'a.sh': `#!/bin/sh\necho script-ran-${run}\n` });
      const tag = nextTag();
      janitor.add(tag);
      const steps: BuildProgress[] = [];
      const output: string[] = [];
      const plans: BuildPlanInfo[] = [];
      let contextAfterPlan = false;
      const result = await buildImage({
        docker,
        contextDir: dir,
        tags: [tag],
        builder: choice,
        network: 'none',
        noCache: true,
        onBuilder: (plan) => plans.push(plan),
        onContext: () => (contextAfterPlan = plans.length === 1),
        onProgress: (p) => steps.push(p),
        onOutput: (line) => output.push(line),
      });
      assert.equal(result.builder, 'buildkit');
      assert.deepEqual(
        plans.map((p) => [p.builder, p.platform, p.engine.version]),
        [['buildkit', `${engine.os}/${engine.arch}`, engine.version]],
      );
      assert.ok(contextAfterPlan, 'the builder is known before the context is read');
      // (Newer BuildKit names the base image with its digest: "FROM docker.io/local/busybox:1@sha256:…".)
      const named = [...new Set(steps.map((p) => `${p.step}/${p.totalSteps} ${p.instruction}`.replace(/@sha256:[0-9a-f]{64}$/, '')))];
      assert.deepEqual(named, [
        `1/4 FROM docker.io/${BASE_IMAGE}`,
        '2/4 COPY --chmod=755 a.sh /a.sh',
        '3/4 RUN --mount=type=cache,target=/cache echo hello-from-run && echo err-line >&2',
        '4/4 RUN /a.sh',
      ]);
      assert.equal(steps.at(-1)!.fraction, 1);
      assert.ok(output.includes('hello-from-run') && output.includes('err-line'), output.join('\n'));
      assert.ok(output.includes(`script-ran-${run}`), output.join('\n'));
      // (A bare "755" would come back parsed as a number.)
      assert.equal((await runInImage(docker, tag, ['sh', '-c', 'echo "mode $(stat -c %a /a.sh)"'])).trim(), 'mode 755');
      assert.equal(result.imageId, (await docker.getImage(tag).inspect()).Id);

      // The same build again: every step from the cache, and said so.
      const again: string[] = [];
      const cached = await buildImage({
        docker,
        contextDir: dir,
        tags: [tag],
        builder: choice,
        network: 'none',
        onOutput: (line) => again.push(line),
      });
      assert.equal(cached.cachedSteps, 3);
      assert.equal(cached.imageId, result.imageId);
      assert.ok(
        again.some((line) => /^CACHED \[(stage-0 )?3\/4\] RUN --mount/.test(line)),
        again.join('\n'),
      );
      assert.ok(!again.includes('hello-from-run'), 'a cached step runs nothing');
    });

    it('reports the failing step with its last lines only', async () => {
      const dir = tree({
        Dockerfile: [
          `FROM ${BASE_IMAGE}`,
          'RUN echo one',
          'RUN echo "about to fail" && echo "oops on stderr" >&2 && false',
          'RUN echo never',
          '',
        ].join('\n'),
      });
      const tag = nextTag();
      janitor.add(tag);
      await assert.rejects(
        buildImage({ docker, contextDir: dir, tags: [tag], builder: choice, network: 'none', noCache: true }),
        (error: unknown) => {
          assert.ok(error instanceof BuildFailedError, `got ${String(error)}`);
          assert.match(error.step ?? '', /^\[(stage-0 )?3\/4\] RUN echo "about to fail" && echo "oops on stderr" >&2 && false$/);
          assert.match(error.message, /^The build failed at \[(stage-0 )?3\/4\] RUN echo "about to fail"/);
          assert.match(error.raw, /exit code: 1/);
          // BuildKit carries stdout and stderr apart: their order between the two is not kept.
          assert.deepEqual([...error.outputTail].sort(), ['about to fail', 'oops on stderr']);
          return true;
        },
      );
      assert.equal(await imageExists(docker, tag), false);
    });

    it('runs RUN steps on the network the setting names', async () => {
      const dir = tree({ Dockerfile: `FROM ${BASE_IMAGE}\nRUN cat /proc/net/dev\n` });
      const tag = nextTag();
      janitor.add(tag);
      const output: string[] = [];
      await buildImage({
        docker,
        contextDir: dir,
        tags: [tag],
        builder: choice,
        network: 'none',
        noCache: true,
        onOutput: (line) => output.push(line),
      });
      const interfaces = output.map((line) => /^\s*([a-z0-9]+):/.exec(line)?.[1]).filter(Boolean);
      assert.deepEqual(interfaces, ['lo'], output.join('\n'));
    });

    it('cancels a running BuildKit build quickly', async () => {
      const dir = tree({ Dockerfile: `FROM ${BASE_IMAGE}\nRUN echo bk-started-${run} && sleep 60\n` });
      const tag = nextTag();
      janitor.add(tag);
      const controller = new AbortController();
      let abortedAt = 0;
      const build = buildImage({
        docker,
        contextDir: dir,
        tags: [tag],
        builder: choice,
        network: 'none',
        noCache: true,
        signal: controller.signal,
        onOutput: (line) => {
          if (line === `bk-started-${run}` && !abortedAt) {
            abortedAt = Date.now();
            controller.abort();
          }
        },
      });
      await assert.rejects(build, (error: unknown) => error instanceof DockerCancelledError);
      assert.ok(abortedAt > 0 && Date.now() - abortedAt < 2000, `stopped ${Date.now() - abortedAt} ms after the abort`);
      assert.equal(await imageExists(docker, tag), false);
    });

    /** Every path under /ctx with its type, mode, size and link target, as the image has it. */
    const describeCtx = async (tag: string) =>
      (
        await runInImage(docker, tag, [
          'sh',
          '-c',
          'cd /ctx && find . | sort | while read -r p; do stat -c "%n %F %a %s" "$p"; if [ -L "$p" ]; then readlink "$p"; fi; done',
        ])
      )
        .split('\n')
        .filter(Boolean);

    it('reads the context through the session file sync exactly as the classic builder gets it in the tar', async () => {
      const dir = tree({
        ...IGNORE_TREE,
        'run.sh': '#!/bin/sh\necho ran\n',
        'sub/deep/b.txt': 'b'.repeat(300_000),
        'ünïcode naïve.txt': 'utf-8 name',
      });
      fs.chmodSync(path.join(dir, 'run.sh'), 0o755);
      fs.chmodSync(path.join(dir, 'sub/deep/b.txt'), 0o600);
      fs.mkdirSync(path.join(dir, 'empty'));
      fs.symlinkSync('a.txt', path.join(dir, 'link'));
      const viaSync = nextTag();
      const viaTar = nextTag();
      janitor.add(viaSync);
      janitor.add(viaTar);
      const synced = await buildImage({ docker, contextDir: dir, tags: [viaSync], builder: choice, network: 'none' });
      await buildImage({ docker, contextDir: dir, tags: [viaTar], builder: 'classic', network: 'none' });
      assert.ok(synced.contextSent, 'the context went through file sync');
      const listing = await describeCtx(viaSync);
      assert.deepEqual(listing, await describeCtx(viaTar));
      for (const line of [
        './a.txt regular file 644 5',
        './run.sh regular file 755 19',
        './logs/keep.log regular file 644 4',
        './sub/deep/b.txt regular file 600 300000',
        './empty directory 755 4096',
        './ünïcode naïve.txt regular file 644 10',
        'a.txt',
      ])
        assert.ok(listing.includes(line), `${line} in:\n${listing.join('\n')}`);
      assert.ok(!listing.some((line) => /secret\.env|x\.log/.test(line)), listing.join('\n'));
      assert.ok(
        listing.some((line) => line.startsWith('./link symbolic link')),
        listing.join('\n'),
      );
    });

    it('sends only what changed when the same folder is built again, a change that keeps the size included', async () => {
      const dir = tree({ Dockerfile: `FROM ${BASE_IMAGE}\nCOPY . /ctx/\n`, 'a.txt': 'one', 'big.bin': Buffer.alloc(512 * 1024, 7) });
      const first = nextTag();
      const second = nextTag();
      janitor.add(first);
      janitor.add(second);
      const before = await buildImage({ docker, contextDir: dir, tags: [first], builder: choice, network: 'none' });
      assert.deepEqual(before.contextSent, { files: 3, bytes: 3 + 512 * 1024 + `FROM ${BASE_IMAGE}\nCOPY . /ctx/\n`.length });
      fs.writeFileSync(path.join(dir, 'a.txt'), 'two');
      const after = await buildImage({ docker, contextDir: dir, tags: [second], builder: choice, network: 'none' });
      assert.deepEqual(after.contextSent, { files: 1, bytes: 3 });
      assert.equal(await runInImage(docker, second, ['cat', '/ctx/a.txt']), 'two');
      assert.equal(await runInImage(docker, first, ['cat', '/ctx/a.txt']), 'one');
    });

    it('sends a context holding a name that is not UTF-8 as a tar, which can carry it (file sync messages cannot)', async () => {
      const dir = tree({ Dockerfile: `FROM ${BASE_IMAGE}\nCOPY . /ctx/\n`, 'plain.txt': 'plain' });
      const latin1Name = Buffer.concat([Buffer.from(`${dir}/caf`), Buffer.from([0xe9]), Buffer.from('.txt')]);
      fs.writeFileSync(latin1Name, 'latin-1 name');
      const tag = nextTag();
      janitor.add(tag);
      const result = await buildImage({ docker, contextDir: dir, tags: [tag], builder: choice, network: 'none' });
      assert.equal(result.builder, 'buildkit');
      assert.equal(result.contextSent, undefined, 'the tar, not file sync');
      const bytes = (await runInImage(docker, tag, ['sh', '-c', 'for f in /ctx/*; do echo "$f"; done | od -An -tx1'])).replace(/\s+/g, ' ');
      assert.match(bytes, / 63 61 66 e9 2e 74 78 74 /); // "caf\xe9.txt", byte for byte
    });

    it('names a context file that vanished before BuildKit asked for it', async () => {
      const dir = tree({ Dockerfile: `FROM ${BASE_IMAGE}\nCOPY . /ctx/\n`, 'gone.txt': 'soon gone', 'stays.txt': 'here' });
      const tag = nextTag();
      janitor.add(tag);
      await assert.rejects(
        buildImage({
          docker,
          contextDir: dir,
          tags: [tag],
          builder: choice,
          network: 'none',
          // After the walk, before any byte is sent.
          onContext: () => fs.rmSync(path.join(dir, 'gone.txt')),
        }),
        (error: unknown) => error instanceof BuildContextError && /^gone\.txt vanished while the build context /.test(error.message),
      );
      assert.equal(await imageExists(docker, tag), false);
    });
  });

  describe('classic builder and BuildKit-only Dockerfiles (real engine)', () => {
    let engine: BuildEngine;

    before(async () => {
      engine = await inspectBuildEngine(docker, { endpoint: stack.endpoint });
    });

    it('picks the builder the engine advertises, unless the setting forces one', () => {
      assert.equal(chooseBuilder('auto', engine), engine.builderVersion === '2' ? 'buildkit' : 'classic');
      assert.equal(chooseBuilder('classic', engine), 'classic');
    });

    it('names COPY --chmod and the fix when the classic builder refuses it', async () => {
      const dir = tree({ Dockerfile: `FROM ${BASE_IMAGE}\nCOPY --chmod=755 a.sh /a.sh\n`, 'a.sh': 'echo\n' });
      // On an engine without BuildKit, `auto` is the classic builder; elsewhere it is forced.
      const forced = engine.builderVersion === '2';
      await assert.rejects(
        buildImage({ docker, contextDir: dir, tags: [nextTag()], builder: forced ? 'classic' : 'auto', network: 'none' }),
        (error: unknown) => {
          assert.ok(error instanceof BuildkitRequiredError, `got ${String(error)}`);
          assert.equal(error.feature, 'COPY --chmod');
          assert.match(error.raw, /the --chmod option requires BuildKit/);
          assert.equal(
            error.message,
            forced
              ? 'The Dockerfile uses COPY --chmod, which needs BuildKit, but synapseDocker.build.builder is set to "classic". Set it to "auto" or "buildkit".'
              : `The Dockerfile uses COPY --chmod, which needs BuildKit, and ${engine.product} ${engine.version} builds with the classic builder. Enable BuildKit in the engine (Docker Engine 23 and later use it by default; older ones need "features": {"buildkit": true} in daemon.json), or set synapseDocker.build.builder to "buildkit".`,
          );
          return true;
        },
      );
    });

    it('refuses RUN --mount and heredocs on the classic builder before sending anything', async () => {
      const dir = tree({ Dockerfile: `FROM ${BASE_IMAGE}\n\nRUN --mount=type=cache,target=/c true\nRUN <<EOF\necho hi\nEOF\n` });
      let sent = false;
      await assert.rejects(
        buildImage({ docker, contextDir: dir, tags: [nextTag()], builder: 'classic', onContext: () => (sent = true) }),
        (error: unknown) => {
          assert.ok(error instanceof BuildkitRequiredError, `got ${String(error)}`);
          assert.equal(
            error.message,
            'The Dockerfile uses RUN --mount (line 3), which needs BuildKit, but synapseDocker.build.builder is set to "classic". Set it to "auto" or "buildkit".',
          );
          return true;
        },
      );
      assert.equal(sent, false, 'no context was read or sent');
    });
  });

  // A base image in a private Synapse repository: both builders pull it with the stored token,
  // and no other registry a Dockerfile names ever sees it.
  describe('private base images (real engine and registry)', () => {
    let base: string;
    let auth: RegistryAuth;
    let recorder: http.Server;
    const seen: Array<{ url: string; authorization?: string }> = [];

    before(async function () {
      this.timeout(120_000);
      auth = { username: 'alice', password: sandboxUser(stack.info, 'alice').token, serveraddress: stack.info.registry };
      base = `${stack.info.registry}/syn1000001/bk-base-${run}:v1`;
      const dir = tree({ Dockerfile: `FROM ${BASE_IMAGE}\nCOPY base.txt /base.txt\n`, 'base.txt': `private-base-${run}\n` });
      const built = await buildImage({ docker, contextDir: dir, tags: [base] });
      janitor.add(built.imageId);
      await pushImage({ docker, reference: base, auth });
      // A registry that is not Synapse's: it asks for credentials and records what it gets.
      recorder = http.createServer((request, response) => {
        seen.push({ url: request.url ?? '', authorization: request.headers.authorization });
        response.writeHead(401, {
          'www-authenticate': 'Basic realm="recorder"',
          'docker-distribution-api-version': 'registry/2.0',
          'content-type': 'application/json',
        });
        response.end('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}');
      });
      await new Promise<void>((resolve) => recorder.listen(0, '127.0.0.1', resolve));
    });

    after(() => recorder?.close());

    async function removeBase(): Promise<void> {
      await docker
        .getImage(base)
        .remove({ force: true })
        .catch(() => undefined);
      assert.equal(await imageExists(docker, base), false);
    }

    for (const builder of ['classic', 'buildkit'] as const) {
      it(`pulls FROM <registry>/<synID>/… with the stored token (${builder}), and not without it`, async function () {
        this.timeout(120_000);
        const engine = await inspectBuildEngine(docker);
        const dir = tree({ Dockerfile: `FROM ${base}\nRUN cat /base.txt\n` });
        const tag = nextTag();
        janitor.add(tag);
        await removeBase();
        await assert.rejects(
          buildImage({ docker, contextDir: dir, tags: [tag], builder, engine, network: 'none', noCache: true }),
          (error: unknown) => {
            assert.ok(error instanceof BuildFailedError, `got ${String(error)}`);
            assert.match(error.raw, /denied|unauthorized|authentication required|401/i);
            return true;
          },
        );
        await removeBase();
        const asked: Array<[string, boolean]> = [];
        const output: string[] = [];
        const result = await buildImage({
          docker,
          contextDir: dir,
          tags: [tag],
          builder,
          engine,
          network: 'none',
          noCache: true,
          registryAuth: auth,
          onOutput: (line) => output.push(line),
          onCredentialsAsked: (host, answered) => asked.push([host, answered]),
        });
        assert.equal(result.builder, builder);
        assert.ok(output.includes(`private-base-${run}`), output.join('\n'));
        if (builder === 'buildkit')
          assert.deepEqual([...new Set(asked.map(([host, answered]) => `${host} ${answered}`))], [`${stack.info.registry} true`]);
        assert.ok(!output.some((line) => line.includes(auth.password)), 'the token is not in the output');
        janitor.add(result.imageId);
      });

      it(`gives the token to no other registry in the Dockerfile (${builder})`, async function () {
        this.timeout(120_000);
        const other = `127.0.0.1:${(recorder.address() as AddressInfo).port}`;
        const dir = tree({
          Dockerfile: `FROM ${base} AS private\nFROM ${other}/syn1000001/elsewhere:v1\nCOPY --from=private /base.txt /base.txt\n`,
        });
        seen.length = 0;
        const asked: Array<[string, boolean]> = [];
        await assert.rejects(
          buildImage({
            docker,
            contextDir: dir,
            tags: [nextTag()],
            builder,
            network: 'none',
            registryAuth: auth,
            onCredentialsAsked: (host, answered) => asked.push([host, answered]),
          }),
          (error: unknown) => {
            assert.ok(error instanceof BuildFailedError, `got ${String(error)}`);
            assert.ok(!error.message.includes(auth.password) && !error.raw.includes(auth.password));
            return true;
          },
        );
        assert.ok(seen.length > 0, 'the engine asked the other registry');
        const basic = Buffer.from(`alice:${auth.password}`).toString('base64');
        for (const request of seen) {
          assert.ok(
            !request.authorization?.includes(basic) && !request.authorization?.includes(auth.password),
            `${request.url} got the token in its Authorization header`,
          );
        }
        if (builder === 'buildkit') {
          assert.ok(
            asked.some(([host, answered]) => host === other && !answered),
            `asked: ${JSON.stringify(asked)}`,
          );
          assert.ok(!asked.some(([host, answered]) => host === other && answered));
        }
      });
    }
  });
});
