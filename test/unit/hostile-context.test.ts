// Hostile build contexts, one row each: what a repository could hold to confuse the packer
// (unreadable or vanishing files, names that are not text, links that point away, special files,
// tricky .dockerignore patterns, Dockerfiles that are links). Each row is built through the
// stack's real engine (or packed, when the case is about the pack itself), and the image's
// /ctx (COPY . /ctx/) is listed from inside the build, so what the engine really received is
// what is asserted. The docker CLI (classic builder, 28.2 against engine 20.10) was run on the
// same trees; the rows say where the behaviour is the CLI's.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type Docker from 'dockerode';
import { BuildContextError, buildImage, BuildResult, createBuildContext } from '../../src/core/docker';
import { displayName } from '../../src/core/docker/buildContext';
import { runUnprivileged } from './helpers/contextWorker';
import { BASE_IMAGE, ImageJanitor, stackEngine, StackEngine, uniqueId } from './helpers/docker-fixtures';

/** Lists /ctx from inside the build: NUL-separated "type, ./name, link target" triples, in hex. */
const LISTING =
  'RUN cd /ctx && find . ! -name . -exec sh -c \'for f; do printf "%s\\0%s\\0%s\\0" "$(stat -c %F "$f")" "$f" "$(busybox readlink "$f")"; done\' sh {} + | od -An -tx1 -v';
const LISTING_DOCKERFILE = `FROM ${BASE_IMAGE}\nCOPY . /ctx/\n${LISTING}\n`;

/** "type name" or "type name -> target", names shown with escapes (displayName), sorted. */
function listingFrom(output: string[]): string[] {
  const hex = output.filter((line) => /^\s*([0-9a-f]{2}\s+)*[0-9a-f]{2}\s*$/.test(line)).join(' ');
  const bytes = Buffer.from(
    hex
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map((pair) => parseInt(pair, 16)),
  );
  const fields: Buffer[] = [];
  let start = 0;
  for (let index = 0; index < bytes.length; index++) {
    if (bytes[index] === 0) {
      fields.push(bytes.subarray(start, index));
      start = index + 1;
    }
  }
  const rows: string[] = [];
  for (let index = 0; index + 2 < fields.length; index += 3) {
    const [type, name, link] = [fields[index].toString('utf8'), displayName(fields[index + 1]), fields[index + 2]];
    rows.push(link.length ? `${type} ${name} -> ${displayName(link)}` : `${type} ${name}`);
  }
  return rows.sort();
}

interface Given {
  /** Default: the case's folder. */
  contextDir?: string;
  dockerfile?: string;
  /** Build in a worker that file permissions apply to (the tests run as root). */
  unprivileged?: boolean;
  /** Runs after the walk, before any byte is sent. */
  afterWalk?: () => void;
}

type Outcome =
  | { ok: true; listing: string[]; output: string[]; summary: BuildResult['context'] }
  | { ok: false; error: Error & { path?: string; code?: string } };

interface Row {
  title: string;
  /** Makes the case in `dir` (the context) and `outside` (a sibling folder). */
  given: (dir: string, outside: string) => Given;
  then: (outcome: Outcome, dir: string, outside: string) => void;
}

function ok(outcome: Outcome): Extract<Outcome, { ok: true }> {
  if (!outcome.ok) assert.fail(`the build failed: ${outcome.error.name}: ${outcome.error.message}`);
  return outcome;
}

function failed(outcome: Outcome): Extract<Outcome, { ok: false }>['error'] {
  if (outcome.ok) assert.fail(`the build succeeded; /ctx held ${JSON.stringify(outcome.listing)}`);
  assert.doesNotMatch(outcome.error.message, /Docker socket|Docker is not running|Docker engine/, 'a file error read as an engine problem');
  return outcome.error;
}

function write(file: string, content: string | Buffer = 'x'): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
}

const rows: Row[] = [
  {
    title: 'an unreadable file: refused before anything is sent, naming the file (CLI: "no permission to read from <file>")',
    given: (dir) => {
      write(path.join(dir, 'Dockerfile'), LISTING_DOCKERFILE);
      write(path.join(dir, 'secret.txt'), 'secret');
      fs.chmodSync(path.join(dir, 'secret.txt'), 0o000);
      return { unprivileged: true };
    },
    then: (outcome, dir) => {
      const error = failed(outcome);
      assert.equal(error.name, 'BuildContextError');
      assert.equal(error.message, `Permission denied reading secret.txt in the build context ${dir}.`);
      assert.equal(error.code, 'EACCES');
    },
  },
  {
    title: 'an unreadable folder: refused, naming the folder (CLI: "can\'t stat <folder>")',
    given: (dir) => {
      write(path.join(dir, 'Dockerfile'), LISTING_DOCKERFILE);
      write(path.join(dir, 'private', 'key.pem'), 'key');
      fs.chmodSync(path.join(dir, 'private'), 0o000);
      return { unprivileged: true };
    },
    then: (outcome, dir) => {
      const error = failed(outcome);
      assert.equal(error.message, `Permission denied reading private in the build context ${dir}.`);
    },
  },
  {
    title: 'an unreadable folder that .dockerignore excludes is never opened, so the build works (the CLI refuses it anyway)',
    given: (dir) => {
      write(path.join(dir, 'Dockerfile'), LISTING_DOCKERFILE);
      write(path.join(dir, '.dockerignore'), 'private\n');
      write(path.join(dir, 'private', 'key.pem'), 'key');
      write(path.join(dir, 'a.txt'), 'a');
      fs.chmodSync(path.join(dir, 'private'), 0o000);
      return { unprivileged: true };
    },
    then: (outcome) => {
      assert.deepEqual(ok(outcome).listing, ['regular file ./.dockerignore', 'regular file ./Dockerfile', 'regular file ./a.txt']);
      assert.equal(outcome.ok && outcome.summary.directoriesExcluded, 1);
    },
  },
  {
    title: 'a file deleted after the walk, before it is sent: the file is named, not "Docker is not running"',
    given: (dir) => {
      write(path.join(dir, 'Dockerfile'), LISTING_DOCKERFILE);
      write(path.join(dir, 'gone.txt'), 'here during the walk');
      return { afterWalk: () => fs.rmSync(path.join(dir, 'gone.txt')) };
    },
    then: (outcome, dir) => {
      const error = failed(outcome);
      assert.ok(error instanceof BuildContextError, `got ${error.name}`);
      assert.equal(error.message, `gone.txt vanished while the build context ${dir} was being packed.`);
      assert.equal(error.code, 'ENOENT');
    },
  },
  {
    title: 'a name that is not UTF-8 is sent byte for byte (as the CLI does)',
    given: (dir) => {
      write(path.join(dir, 'Dockerfile'), LISTING_DOCKERFILE);
      fs.writeFileSync(Buffer.concat([Buffer.from(`${dir}/b`), Buffer.from([0xff, 0xfe]), Buffer.from('.txt')]), 'latin');
      return {};
    },
    then: (outcome) => {
      assert.deepEqual(ok(outcome).listing, ['regular file ./Dockerfile', 'regular file ./b\\xff\\xfe.txt']);
      assert.equal(outcome.ok && outcome.summary.filesIncluded, 2);
    },
  },
  {
    title: 'names with a newline, a backslash, a leading dash, 200 characters, and a 400-byte path (as the CLI does)',
    given: (dir) => {
      write(path.join(dir, 'Dockerfile'), LISTING_DOCKERFILE);
      write(path.join(dir, 'new\nline.txt'));
      write(path.join(dir, 'back\\slash.txt'));
      write(path.join(dir, '-rf'));
      write(path.join(dir, `${'l'.repeat(196)}.txt`));
      write(path.join(dir, 'd'.repeat(200), 'f'.repeat(200)));
      return {};
    },
    then: (outcome) => {
      assert.deepEqual(
        ok(outcome).listing,
        [
          'directory ./' + 'd'.repeat(200),
          'regular file ./-rf',
          'regular file ./Dockerfile',
          'regular file ./back\\slash.txt',
          'regular file ./' + 'd'.repeat(200) + '/' + 'f'.repeat(200),
          'regular file ./' + 'l'.repeat(196) + '.txt',
          'regular file ./new\\nline.txt',
        ].sort(),
      );
    },
  },
  {
    title: 'a loop of symbolic links is sent as the two links, never followed (as the CLI does)',
    given: (dir) => {
      write(path.join(dir, 'Dockerfile'), LISTING_DOCKERFILE);
      fs.symlinkSync('loop2', path.join(dir, 'loop1'));
      fs.symlinkSync('loop1', path.join(dir, 'loop2'));
      return {};
    },
    then: (outcome) => {
      assert.deepEqual(ok(outcome).listing, [
        'regular file ./Dockerfile',
        'symbolic link ./loop1 -> loop2',
        'symbolic link ./loop2 -> loop1',
      ]);
      assert.equal(outcome.ok && outcome.summary.symlinksIncluded, 2);
    },
  },
  {
    title: 'a relative link to a file outside the context is sent as the link; the file stays home (as the CLI does)',
    given: (dir, outside) => {
      write(path.join(dir, 'Dockerfile'), `${LISTING_DOCKERFILE}RUN cat /ctx/leak 2>&1 || true\n`);
      write(path.join(outside, 'secret.txt'), 'outside-secret-content');
      fs.symlinkSync(`../${path.basename(outside)}/secret.txt`, path.join(dir, 'leak'));
      return {};
    },
    then: (outcome, _dir, outside) => {
      const built = ok(outcome);
      assert.deepEqual(built.listing, ['regular file ./Dockerfile', `symbolic link ./leak -> ../${path.basename(outside)}/secret.txt`]);
      assert.ok(!built.output.some((line) => line.includes('outside-secret-content')), "the target's content reached the engine");
      assert.ok(
        built.output.some((line) => /can't open '\/ctx\/leak'/.test(line)),
        `output: ${built.output.join('\n')}`,
      );
    },
  },
  {
    title: 'an absolute link is sent as the link with its absolute target (as the CLI does)',
    given: (dir, outside) => {
      write(path.join(dir, 'Dockerfile'), LISTING_DOCKERFILE);
      write(path.join(outside, 'secret.txt'), 'outside-secret-content');
      fs.symlinkSync(path.join(outside, 'secret.txt'), path.join(dir, 'abs'));
      return {};
    },
    then: (outcome, _dir, outside) => {
      assert.deepEqual(ok(outcome).listing, ['regular file ./Dockerfile', `symbolic link ./abs -> ${path.join(outside, 'secret.txt')}`]);
    },
  },
  {
    title: 'a Dockerfile that links to a file outside the context: its content is built, the link itself is in /ctx (as `docker build -f`)',
    given: (dir, outside) => {
      write(path.join(outside, 'real.Dockerfile'), LISTING_DOCKERFILE);
      fs.symlinkSync(path.join(outside, 'real.Dockerfile'), path.join(dir, 'Dockerfile'));
      write(path.join(dir, 'data.txt'), 'data');
      return { dockerfile: 'Dockerfile' };
    },
    then: (outcome, _dir, outside) => {
      const built = ok(outcome);
      assert.deepEqual(built.listing, [
        'regular file ./data.txt',
        `symbolic link ./Dockerfile -> ${path.join(outside, 'real.Dockerfile')}`,
      ]);
      assert.equal(built.summary.dockerfileOutsideContext, true);
      assert.match(built.summary.dockerfileName, /^\.synapse-dockerfile-[0-9a-f]{16}$/);
    },
  },
  {
    title: 'a Dockerfile that links into an ignored subfolder is found there; the engine drops it from /ctx afterwards (as the CLI)',
    given: (dir) => {
      write(path.join(dir, 'build', 'real.df'), LISTING_DOCKERFILE);
      fs.symlinkSync('build/real.df', path.join(dir, 'Dockerfile'));
      write(path.join(dir, '.dockerignore'), 'build\nDockerfile\n');
      write(path.join(dir, 'build', 'other.txt'), 'not sent');
      return {};
    },
    then: (outcome) => {
      const built = ok(outcome);
      assert.equal(built.summary.dockerfileName, 'build/real.df');
      assert.deepEqual(built.listing, ['directory ./build', 'regular file ./.dockerignore']);
    },
  },
  {
    title: 'a Dockerfile that is a dangling link is refused with both paths',
    given: (dir) => {
      fs.symlinkSync('nowhere/Dockerfile', path.join(dir, 'Dockerfile'));
      return {};
    },
    then: (outcome, dir) => {
      const error = failed(outcome);
      assert.equal(
        error.message,
        `The Dockerfile ${path.join(dir, 'Dockerfile')} is a symbolic link to nowhere/Dockerfile, which does not exist.`,
      );
    },
  },
  {
    title: 'a Dockerfile that is a loop of links is refused',
    given: (dir) => {
      fs.symlinkSync('Dockerfile', path.join(dir, 'Dockerfile'));
      return {};
    },
    then: (outcome, dir) => {
      assert.equal(failed(outcome).message, `The Dockerfile ${path.join(dir, 'Dockerfile')} is a loop of symbolic links.`);
    },
  },
  {
    title: 'a FIFO is sent as a FIFO (never opened, so nothing hangs) and a socket is left out (as the CLI does)',
    given: (dir) => {
      write(path.join(dir, 'Dockerfile'), LISTING_DOCKERFILE);
      assert.equal(spawnSync('mkfifo', [path.join(dir, 'pipe')]).status, 0, 'mkfifo failed');
      const server = net.createServer();
      server.listen(path.join(dir, 'sock'));
      sockets.push(server);
      return {};
    },
    then: (outcome) => {
      const built = ok(outcome);
      assert.deepEqual(built.listing, ['fifo ./pipe', 'regular file ./Dockerfile']);
      assert.equal(built.summary.specialFilesIncluded, 1);
      assert.equal(built.summary.specialFilesSkipped, 1);
    },
  },
  {
    title: '.dockerignore with ! exceptions, `..`, `./` and leading `/`: the same files as the CLI',
    given: (dir) => {
      write(path.join(dir, 'Dockerfile'), LISTING_DOCKERFILE);
      for (const file of ['secret.env', 'keep.env', 'abs.txt', 'sub/x.txt', 'sub/y.txt', 'logs/a.log', 'logs/keep.log', 'dot.txt'])
        write(path.join(dir, file), file);
      write(
        path.join(dir, '.dockerignore'),
        `x/../secret.env\n../${path.basename(dir)}/dot.txt\n/abs.txt\n*.env\n!sub/../keep.env\nsub/\n!./sub/y.txt\nlogs/*\n!logs/../logs/keep.log\n./dot.txt\n`,
      );
      return {};
    },
    then: (outcome) => {
      // The CLI's /ctx for the same tree and patterns.
      assert.deepEqual(ok(outcome).listing, [
        'directory ./logs',
        'directory ./sub',
        'regular file ./.dockerignore',
        'regular file ./Dockerfile',
        'regular file ./keep.env',
        'regular file ./logs/keep.log',
        'regular file ./sub/y.txt',
      ]);
    },
  },
  {
    title: 'a Dockerfile and .dockerignore that .dockerignore excludes are still sent; the engine drops them after reading (as the CLI)',
    given: (dir) => {
      write(path.join(dir, 'Dockerfile'), LISTING_DOCKERFILE);
      write(path.join(dir, '.dockerignore'), 'Dockerfile\n.dockerignore\n*.txt\n!keep.txt\n');
      write(path.join(dir, 'keep.txt'), 'k');
      write(path.join(dir, 'drop.txt'), 'd');
      return {};
    },
    then: (outcome) => {
      assert.deepEqual(ok(outcome).listing, ['regular file ./keep.txt']);
    },
  },
  {
    title:
      'a Dockerfile outside the context goes in under a generated name that /ctx never shows, nor a .dockerignore (as `docker build -f`)',
    given: (dir, outside) => {
      write(path.join(outside, 'Build.dockerfile'), LISTING_DOCKERFILE);
      write(path.join(dir, 'app.txt'), 'app');
      return { dockerfile: path.join(outside, 'Build.dockerfile') };
    },
    then: (outcome) => {
      const built = ok(outcome);
      assert.deepEqual(built.listing, ['regular file ./app.txt']);
      assert.equal(built.summary.dockerfileOutsideContext, true);
    },
  },
  {
    title: 'modes are sent as they are, without the umask (as the CLI does: 664 stays 664, 775 stays 775)',
    given: (dir) => {
      write(path.join(dir, 'Dockerfile'), `FROM ${BASE_IMAGE}\nCOPY . /ctx/\nRUN cd /ctx && stat -c "mode %a %n" gw ro d\n`);
      write(path.join(dir, 'gw'));
      fs.chmodSync(path.join(dir, 'gw'), 0o664);
      write(path.join(dir, 'ro'));
      fs.chmodSync(path.join(dir, 'ro'), 0o400);
      fs.mkdirSync(path.join(dir, 'd'));
      fs.chmodSync(path.join(dir, 'd'), 0o775);
      return {};
    },
    then: (outcome) => {
      assert.deepEqual(
        ok(outcome).output.filter((line) => line.startsWith('mode ')),
        ['mode 664 gw', 'mode 400 ro', 'mode 775 d'],
      );
    },
  },
  {
    title: 'an empty context with the Dockerfile outside builds, and /ctx is empty',
    given: (dir, outside) => {
      write(path.join(outside, 'Dockerfile'), `FROM ${BASE_IMAGE}\nCOPY . /ctx/\nRUN ls -A /ctx | wc -l\n`);
      return { dockerfile: path.join(outside, 'Dockerfile') };
    },
    then: (outcome) => {
      const built = ok(outcome);
      assert.ok(
        built.output.some((line) => line.trim() === '0'),
        `output: ${built.output.join('\n')}`,
      );
      assert.equal(built.summary.filesIncluded, 2); // the generated .dockerignore and Dockerfile
    },
  },
  {
    title: 'an empty context without a Dockerfile is refused, naming the Dockerfile it looked for',
    given: () => ({}),
    then: (outcome, dir) => {
      assert.equal(failed(outcome).message, `The Dockerfile ${path.join(dir, 'Dockerfile')} does not exist.`);
    },
  },
];

const sockets: net.Server[] = [];

describe('hostile build contexts (real engine)', function () {
  this.timeout(120_000);
  let stack: StackEngine;
  let docker: Docker;
  const janitor = new ImageJanitor(() => docker);
  const roots: string[] = [];
  const run = uniqueId();
  let counter = 0;

  before(async () => {
    stack = await stackEngine();
    docker = stack.docker;
  });

  after(async () => {
    for (const server of sockets) server.close();
    await janitor.cleanUp();
    for (const root of roots) {
      // chmod back what a row made unreadable, so the folder can go.
      spawnSync('chmod', ['-R', 'u+rwx', root]);
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('has at least 12 rows', () => assert.ok(rows.length >= 12, `${rows.length} rows`));

  for (const row of rows) {
    it(row.title, async () => {
      const root = fs.mkdtempSync(path.join(os.tmpdir(), 'hostile-ctx-'));
      roots.push(root);
      fs.chmodSync(root, 0o755);
      const dir = path.join(root, 'context');
      const outside = path.join(root, 'outside');
      fs.mkdirSync(dir);
      fs.mkdirSync(outside);
      const given = row.given(dir, outside);
      const tag = `synapse-test/hostile-${run}:r${++counter}`;
      janitor.add(tag);
      let outcome: Outcome;
      if (given.unprivileged) {
        const result = await runUnprivileged({
          mode: 'build',
          contextDir: given.contextDir ?? dir,
          dockerfile: given.dockerfile,
          dockerHost: stack.info.dockerHost,
          tag,
        });
        outcome = result.ok
          ? {
              ok: true,
              output: result.output,
              listing: listingFrom(result.output),
              summary: result.summary as unknown as BuildResult['context'],
            }
          : { ok: false, error: Object.assign(new Error(result.error.message), result.error) };
      } else {
        const output: string[] = [];
        try {
          const result = await buildImage({
            docker,
            endpoint: stack.endpoint,
            contextDir: given.contextDir ?? dir,
            dockerfile: given.dockerfile,
            tags: [tag],
            noCache: true,
            onOutput: (line) => output.push(line),
            onContext: given.afterWalk,
          });
          outcome = { ok: true, output, listing: listingFrom(output), summary: result.context };
        } catch (error) {
          outcome = { ok: false, error: error as Error };
        }
      }
      row.then(outcome, dir, outside);
      if (!outcome.ok) {
        // Nothing was built under the tag.
        assert.equal(
          await docker
            .getImage(tag)
            .inspect()
            .then(
              () => true,
              () => false,
            ),
          false,
        );
      }
    });
  }

  it('a file cut short while it is being packed: the file is named, and the stream ends with that error', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'hostile-ctx-'));
    roots.push(root);
    fs.writeFileSync(path.join(root, 'Dockerfile'), 'FROM scratch\n');
    const big = path.join(root, 'big.bin');
    fs.writeFileSync(big, Buffer.alloc(4 * 1024 * 1024, 1));
    const context = await createBuildContext({ contextDir: root });
    let cut = false;
    await assert.rejects(
      (async () => {
        for await (const chunk of context.stream) {
          void chunk;
          if (!cut) {
            cut = true;
            fs.truncateSync(big, 1024);
          }
        }
      })(),
      (error: unknown) => {
        assert.ok(error instanceof BuildContextError, `got ${String(error)}`);
        assert.equal(
          error.message,
          `big.bin changed while the build context ${root} was being packed; build again once it stops changing.`,
        );
        return true;
      },
    );
    assert.equal(
      context.failure()?.message,
      `big.bin changed while the build context ${root} was being packed; build again once it stops changing.`,
    );
  });

  it('the unprivileged worker really cannot read a mode-000 file (the permission rows prove something)', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'hostile-ctx-'));
    roots.push(root);
    fs.writeFileSync(path.join(root, 'Dockerfile'), 'FROM scratch\n');
    fs.writeFileSync(path.join(root, 'locked'), 'x');
    const readable = await runUnprivileged({ mode: 'pack', contextDir: root });
    assert.equal(readable.ok, true, JSON.stringify(readable));
    fs.chmodSync(path.join(root, 'locked'), 0o000);
    const locked = await runUnprivileged({ mode: 'pack', contextDir: root });
    assert.equal(locked.ok, false);
    assert.equal(!locked.ok && locked.error.code, 'EACCES');
  });
});
