// Podman 4.x builds with a Buildah that has no heredocs: it reads a heredoc's lines as
// instructions and fails with `Unknown instruction: "ECHO"`. The extension names the heredoc and
// its line instead. A loopback Podman (helpers/fake-engine.ts) streams Buildah's answer as the
// stack's Podman 4.3.1 sends it; dockerd never gets this far (its classic builder is refused the
// heredoc before anything is sent: docker-build.test.ts).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { buildImage, BuildFailedError, createDockerClient, DockerOperationError } from '../../src/core/docker';
import { makeTree } from './helpers/docker-fixtures';
import { FakeEngine, PODMAN_4_3 } from './helpers/fake-engine';

// Buildah 1.28.2 (Podman 4.3.1), for the Dockerfile below: its STEP lines, then the error.
const BUILDAH_HEREDOC_ERROR =
  'building at STEP "ECHO ": Build error: Unknown instruction: "ECHO" &imagebuilder.Step{Env:[]string{"PATH=/bin"}, Command:"echo", Args:[]string{""}, Flags:[]string{}, Attrs:map[string]bool(nil), Message:"ECHO ", Original:"echo hi"}';

function buildahStream(error: string): string {
  return (
    [
      { stream: 'STEP 1/4: FROM local/busybox:1\n' },
      { stream: 'STEP 2/4: RUN <<EOF\n' },
      { stream: '--> ef9e83f9740\n' },
      { stream: 'STEP 3/4: echo hi\n' },
      { errorDetail: { message: error }, error },
    ]
      .map((event) => JSON.stringify(event))
      .join('\n') + '\n'
  );
}

describe('a heredoc on Podman 4 (loopback Podman)', () => {
  let engine: FakeEngine;
  const dirs: string[] = [];
  let answer = '';

  before(async () => {
    engine = new FakeEngine();
    engine.flavour = PODMAN_4_3;
    engine.route = (method, url, res) => {
      if (method !== 'POST' || url !== '/build') return false;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(answer);
      return true;
    };
    await engine.listen();
  });

  after(async () => {
    await engine.close();
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  const context = () => {
    const dir = makeTree({ Dockerfile: 'FROM local/busybox:1\n\nRUN <<EOF\necho hi\nEOF\n' });
    dirs.push(dir);
    return dir;
  };

  it('names the heredoc and its line, and what to do, when Buildah took its lines for instructions', async () => {
    answer = buildahStream(BUILDAH_HEREDOC_ERROR);
    const docker = createDockerClient(engine.endpoint);
    await assert.rejects(
      buildImage({ docker, endpoint: engine.endpoint, contextDir: context(), tags: ['synapse-test/heredoc:1'] }),
      (error: unknown) => {
        assert.ok(error instanceof DockerOperationError && !(error instanceof BuildFailedError), `got ${String(error)}`);
        assert.equal(
          error.message,
          'The Dockerfile uses RUN <<EOF (line 3), which Podman 4.3.1 cannot build: its builder, Buildah, took the heredoc\'s lines for instructions (Unknown instruction: "ECHO"). ' +
            'Use a newer Podman, or write those lines as RUN commands.',
        );
        assert.equal(error.raw, BUILDAH_HEREDOC_ERROR);
        return true;
      },
    );
    assert.ok(engine.calls.includes('POST /build'), 'Podman was asked: only it knows whether its Buildah reads heredocs');
  });

  it('any other failure of that build stays the failing step with its error', async () => {
    const other = 'building at STEP "RUN <<EOF": while running runtime: exit status 1';
    answer = buildahStream(other);
    const docker = createDockerClient(engine.endpoint);
    await assert.rejects(
      buildImage({ docker, endpoint: engine.endpoint, contextDir: context(), tags: ['synapse-test/heredoc:2'] }),
      (error: unknown) => {
        assert.ok(error instanceof BuildFailedError, `got ${String(error)}`);
        assert.equal(error.step, 'STEP 3/4: echo hi');
        assert.equal(error.raw, other);
        return true;
      },
    );
  });
});
