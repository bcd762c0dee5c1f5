// BuildKit's build stream as a real engine sent it (fixtures captured through POST
// /build?version=2 from Docker 20.10.24's BuildKit and, engine28-*, Docker 28.5.2's, with the
// containerd image store; the Dockerfiles beside them): the protobuf StatusResponse
// decoder, the tracker's steps, cached steps, log lines and failing step, hostile payloads, and
// the Dockerfile checks made before a build.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  BuildkitProgressTracker,
  BuildProgress,
  buildkitFeatureInError,
  decodeStatusResponse,
  MAX_LINE_KEPT,
  mayPullFrom,
  NdjsonParser,
  ProtoError,
  scanDockerfile,
  StreamEvent,
} from '../../src/core/docker';

const FIXTURES = path.resolve(__dirname, '../../../test/unit/fixtures/buildkit');

function events(name: string): StreamEvent[] {
  const found: StreamEvent[] = [];
  const parser = new NdjsonParser((event) => found.push(event));
  parser.push(fs.readFileSync(path.join(FIXTURES, `${name}.ndjson`)));
  parser.end();
  return found;
}

function track(name: string) {
  const output: string[] = [];
  const progress: BuildProgress[] = [];
  const tracker = new BuildkitProgressTracker({ onOutput: (line) => output.push(line), onProgress: (p) => progress.push(p) });
  for (const event of events(name)) tracker.consume(event);
  tracker.finish();
  return { tracker, output, progress };
}

/** protobuf: a length-delimited field. */
function bytesField(number: number, payload: Buffer): Buffer {
  const varint = (value: number) => {
    const out: number[] = [];
    while (value > 0x7f) {
      out.push((value & 0x7f) | 0x80);
      value = Math.floor(value / 128);
    }
    out.push(value);
    return Buffer.from(out);
  };
  return Buffer.concat([varint((number << 3) | 2), varint(payload.length), payload]);
}

function trace(status: Buffer): StreamEvent {
  return { id: 'moby.buildkit.trace', aux: status.toString('base64') as unknown as StreamEvent['aux'] };
}

describe('BuildKit build stream (captured from a real engine)', () => {
  describe('StatusResponse decoder', () => {
    it('reads vertexes with names, cached flags, times and errors, and logs by vertex', () => {
      const all = events('build-failed').filter((event) => event.id === 'moby.buildkit.trace');
      assert.ok(all.length >= 10, `${all.length} trace events`);
      const statuses = all.map((event) => decodeStatusResponse(Buffer.from(event.aux as unknown as string, 'base64')));
      const vertexes = statuses.flatMap((status) => status.vertexes);
      const names = [...new Set(vertexes.map((vertex) => vertex.name))];
      assert.deepEqual(names, [
        '[internal] load remote build context',
        'copy /context /',
        '[internal] load metadata for docker.io/local/busybox:1',
        '[1/4] FROM docker.io/local/busybox:1',
        '[2/4] RUN echo one',
        '[3/4] RUN echo "about to fail" && echo "oops on stderr" >&2 && false',
        '[4/4] RUN echo never',
      ]);
      for (const vertex of vertexes) assert.match(vertex.digest, /^sha256:[0-9a-f]{64}$/);
      const failed = vertexes.filter((vertex) => vertex.error);
      assert.deepEqual(
        [...new Set(failed.map((vertex) => vertex.name))],
        ['[3/4] RUN echo "about to fail" && echo "oops on stderr" >&2 && false'],
      );
      assert.match(failed[0].error!, /exit code: 1/);
      const started = vertexes.find((vertex) => vertex.started !== undefined)!;
      // Timestamps are real times of the capture (2026), in milliseconds.
      assert.ok(started.started! > Date.UTC(2024, 0, 1) && started.started! < Date.UTC(2030, 0, 1), `started ${started.started}`);
      const failing = vertexes.find((vertex) => vertex.name.startsWith('[3/4]'))!.digest;
      const logs = statuses.flatMap((status) => status.logs).filter((entry) => entry.vertex === failing);
      assert.deepEqual(
        logs.map((entry) => [entry.stream, Buffer.from(entry.data).toString('utf8')]),
        [
          [1, 'about to fail\n'],
          [2, 'oops on stderr\n'],
        ],
      );
    });

    it('refuses a message that is not well-formed, and skips fields it does not know', () => {
      assert.throws(() => decodeStatusResponse(Buffer.from([0x0a, 0x05, 0x01])), ProtoError); // length past the end
      assert.throws(() => decodeStatusResponse(Buffer.from([0x0b])), ProtoError); // wire type 3 (groups)
      assert.throws(
        () => decodeStatusResponse(Buffer.from([0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])),
        ProtoError,
      );
      // Field 9 (unknown, fixed64) and 10 (unknown, varint) around a vertex.
      const vertex = Buffer.concat([bytesField(1, Buffer.from('sha256:' + 'a'.repeat(64))), bytesField(3, Buffer.from('[1/1] RUN x'))]);
      const message = Buffer.concat([Buffer.from([0x49, 1, 2, 3, 4, 5, 6, 7, 8]), bytesField(1, vertex), Buffer.from([0x50, 0x96, 0x01])]);
      assert.deepEqual(
        decodeStatusResponse(message).vertexes.map((v) => v.name),
        ['[1/1] RUN x'],
      );
    });
  });

  describe('tracker', () => {
    it('follows a fresh build: steps n/m, each step announced, its log lines, the image id', () => {
      const { tracker, output, progress } = track('build-fresh');
      assert.equal(tracker.error, undefined);
      assert.equal(tracker.imageId, 'sha256:7d9b279f29420d64747858d6020032f933757c09f735b7d6b42a2dd2ff3a6c59');
      assert.deepEqual(
        [...new Set(progress.map((p) => `${p.step}/${p.totalSteps} ${p.instruction}`))],
        [
          '1/4 FROM docker.io/local/busybox:1',
          '2/4 COPY --chmod=755 a.sh /a.sh',
          '3/4 RUN --mount=type=cache,target=/cache echo hello-from-run && echo err-line >&2',
          '4/4 RUN /a.sh',
        ],
      );
      assert.equal(progress.at(-1)!.fraction, 1);
      for (let i = 1; i < progress.length; i++)
        assert.ok(progress[i].fraction >= progress[i - 1].fraction, 'the fraction never runs backwards');
      const run = output.indexOf('[stage-0 3/4] RUN --mount=type=cache,target=/cache echo hello-from-run && echo err-line >&2');
      assert.ok(run >= 0, output.join('\n'));
      assert.deepEqual(output.slice(run + 1, run + 3), ['hello-from-run', 'err-line']);
      assert.ok(output.includes('script ran'));
      assert.deepEqual(tracker.taggedReferences, ['bk-try:1']);
    });

    it('counts and shows the steps BuildKit took from its cache', () => {
      const { tracker, output, progress } = track('build-cached');
      assert.equal(tracker.cachedSteps, 3);
      assert.deepEqual(
        output.filter((line) => line.startsWith('CACHED [stage-0')),
        [
          'CACHED [stage-0 2/4] COPY --chmod=755 a.sh /a.sh',
          'CACHED [stage-0 3/4] RUN --mount=type=cache,target=/cache echo hello-from-run && echo err-line >&2',
          'CACHED [stage-0 4/4] RUN /a.sh',
        ],
      );
      assert.ok(!output.includes('hello-from-run'), 'a cached step runs nothing');
      assert.equal(progress.at(-1)!.fraction, 1);
    });

    it('names the failing step and keeps only its last lines', () => {
      const { tracker, progress } = track('build-failed');
      assert.equal(
        tracker.error,
        'executor failed running [/bin/sh -c echo "about to fail" && echo "oops on stderr" >&2 && false]: exit code: 1',
      );
      assert.equal(tracker.stepText, '[3/4] RUN echo "about to fail" && echo "oops on stderr" >&2 && false');
      assert.deepEqual(tracker.outputTail, ['about to fail', 'oops on stderr']);
      assert.equal(tracker.imageId, undefined);
      assert.ok(progress.at(-1)!.fraction < 1, 'a failed build never reads as done');
    });

    it("follows a multi-stage build to the end although BuildKit merges the stages' FROM", () => {
      const { tracker, output, progress } = track('build-multistage');
      assert.equal(tracker.error, undefined);
      assert.deepEqual(
        output.filter((line) => /^(CACHED )?\[(base|tested|release) /.test(line)),
        [
          'CACHED [release 1/3] FROM docker.io/local/busybox:1',
          '[base 2/2] RUN echo base-step > /base',
          '[tested 1/1] RUN echo tested > /stage',
          '[release 2/3] COPY --from=tested /stage /stage',
          '[release 3/3] RUN cat /stage',
        ],
      );
      assert.equal(progress.at(-1)!.fraction, 1);
    });

    it('follows Docker 28\'s BuildKit: a heredoc step, base images named with their digest, no "Successfully tagged"', () => {
      const { tracker, output, progress } = track('engine28-heredoc');
      assert.equal(tracker.error, undefined);
      assert.equal(tracker.imageId, 'sha256:56776c5e670b1491d173f94cd17345e9f1b52da95664889002abb50936456e45');
      assert.deepEqual(
        [...new Set(progress.map((p) => p.stepText))],
        [
          '[stage-0 1/4] FROM docker.io/local/busybox:1@sha256:877d297feecd073461b733047887d2d363faeaa61d30e23e8214647cb1086121',
          '[stage-0 2/4] COPY --chmod=755 a.sh /a.sh',
          '[stage-0 3/4] RUN <<EOF (echo from-heredoc...)',
          '[stage-0 4/4] RUN --mount=type=cache,target=/cache /a.sh',
        ],
      );
      const heredoc = output.indexOf('[stage-0 3/4] RUN <<EOF (echo from-heredoc...)');
      assert.deepEqual(output.slice(heredoc + 1, heredoc + 3).sort(), ['from-heredoc', 'heredoc-stderr']);
      assert.ok(output.includes('script ran'));
      assert.equal(progress.at(-1)!.fraction, 1);
      assert.deepEqual(tracker.taggedReferences, []);
    });

    it('caps a huge log line and stays linear on 100,000 log lines', () => {
      const digest = 'sha256:' + 'b'.repeat(64);
      const vertex = Buffer.concat([bytesField(1, Buffer.from(digest)), bytesField(3, Buffer.from('[1/1] RUN noisy'))]);
      const log = (text: string) =>
        bytesField(3, Buffer.concat([bytesField(1, Buffer.from(digest)), Buffer.from([0x18, 0x01]), bytesField(4, Buffer.from(text))]));
      const output: string[] = [];
      const tracker = new BuildkitProgressTracker({ onOutput: (line) => output.push(line) });
      tracker.consume(trace(bytesField(1, vertex)));
      // One line of 600,000 characters, sent in 100 pieces.
      for (let i = 0; i < 100; i++) tracker.consume(trace(log('x'.repeat(6000))));
      tracker.consume(trace(log('\n')));
      const long = output.at(-1)!;
      assert.ok(long.length < MAX_LINE_KEPT + 200, `kept ${long.length} characters`);
      assert.match(long, / … \[534464 more characters of this line were dropped\.\]$/);
      const started = process.hrtime.bigint();
      const lines = Array.from({ length: 1000 }, (_, i) => `line ${i}\n`).join('');
      for (let i = 0; i < 100; i++) tracker.consume(trace(log(lines)));
      tracker.finish();
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      assert.ok(ms < 3000, `100,000 log lines took ${ms.toFixed(0)} ms`);
      assert.equal(tracker.outputTail.length, 40);
      assert.equal(tracker.outputTail.at(-1), 'line 999');
    });

    it("makes an unreadable trace the build's error, quoting it", () => {
      const tracker = new BuildkitProgressTracker();
      tracker.consume(trace(Buffer.from([0x0a, 0x7f])));
      assert.match(
        tracker.error ?? '',
        /^The Docker engine sent BuildKit progress that cannot be read: a field runs past the end of the message/,
      );
      const other = new BuildkitProgressTracker();
      other.consume({ id: 'moby.buildkit.trace', aux: { not: 'base64' } });
      assert.match(other.error ?? '', /cannot be read: \{"not":"base64"\}/);
      const id = new BuildkitProgressTracker();
      id.consume({ id: 'moby.image.id', aux: { ID: 'sha256:short' } });
      assert.match(id.error ?? '', /not a sha256 digest/);
    });
  });

  describe('Dockerfile checks before a build', () => {
    it('finds the instructions only BuildKit runs, with their lines', () => {
      const scan = scanDockerfile(
        [
          '# syntax=docker/dockerfile:1.7',
          '# escape=\\',
          'FROM local/busybox:1 AS base',
          'RUN --mount=type=cache,target=/root/.cache \\',
          '    --network=none make',
          'COPY --chmod=755 --link a /a',
          '# RUN --security=insecure is only a comment',
          'RUN <<EOF',
          'echo hi',
          'EOF',
          'ADD --checksum=sha256:abc https://example.invalid/x /x',
          'COPY --chown=1:1 b /b',
          '',
        ].join('\n'),
      );
      assert.equal(scan.syntax, 'docker/dockerfile:1.7');
      assert.deepEqual(scan.buildkitOnly, [
        { feature: 'RUN --mount', line: 4 },
        { feature: 'RUN --network', line: 4 },
        { feature: 'COPY --link', line: 6 },
        { feature: 'RUN <<EOF', line: 8 },
        { feature: 'ADD --checksum', line: 11 },
      ]);
      assert.deepEqual(scanDockerfile('FROM a\nRUN echo "<<not a heredoc" && cat <<< x\nCOPY --chown=1 a b\n').buildkitOnly, []);
    });

    it('says whether a base image may come from the Synapse registry', () => {
      const registry = 'docker.synapse.org';
      assert.equal(mayPullFrom(scanDockerfile('FROM docker.synapse.org/syn123/base:1\n'), registry), true);
      assert.equal(mayPullFrom(scanDockerfile('FROM DOCKER.SYNAPSE.ORG/syn123/base:1 AS b\n'), registry), true);
      assert.equal(mayPullFrom(scanDockerfile('FROM python:3\nCOPY --from=docker.synapse.org/syn1/tools:2 /t /t\n'), registry), true);
      assert.equal(mayPullFrom(scanDockerfile('ARG BASE=docker.synapse.org/syn1/b\nFROM $BASE\n'), registry), true);
      assert.equal(mayPullFrom(scanDockerfile('FROM python:3\nFROM ghcr.io/docker.synapse.org/x\n'), registry), false);
      assert.equal(mayPullFrom(scanDockerfile('FROM docker.synapse.org.evil.example/syn1/x\n'), registry), false);
    });

    it('reads which BuildKit feature a classic builder refused', () => {
      assert.equal(
        buildkitFeatureInError(
          'failed to process "--chmod=755": the --chmod option requires BuildKit. Refer to https://docs.docker.com/go/buildkit/ to learn how to build images with BuildKit enabled',
        ),
        'COPY --chmod',
      );
      assert.equal(buildkitFeatureInError('Dockerfile parse error line 3: Unknown flag: mount'), 'RUN --mount');
      assert.equal(buildkitFeatureInError("The command '/bin/sh -c false' returned a non-zero code: 1"), undefined);
    });
  });
});
