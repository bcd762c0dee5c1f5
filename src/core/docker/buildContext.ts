// The build context, prepared the way the docker CLI does it: walk the context directory, drop
// what `.dockerignore` excludes (real Docker semantics, `!` exceptions included), always keep the
// Dockerfile and `.dockerignore`, and pack the rest as a tar *stream* (never the whole context in
// memory). A Dockerfile outside the context is added under a generated name.
import ignore from '@balena/dockerignore';
import * as l10n from '@vscode/l10n';
import { createHash } from 'node:crypto';
import { Dirent, Stats } from 'node:fs';
import { lstat, opendir, readFile, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import * as tar from 'tar-fs';

export interface BuildContextOptions {
  /** The context directory. */
  contextDir: string;
  /** The Dockerfile: absolute, or relative to contextDir. Default `Dockerfile` in the context. */
  dockerfile?: string;
  /** Stops the walk, and destroys the stream if it already exists. */
  signal?: AbortSignal;
}

export interface BuildContextSummary {
  contextDir: string;
  /** Absolute path of the Dockerfile on disk. */
  dockerfilePath: string;
  /** The name the engine gets as `dockerfile` (a path inside the tar, with `/`). */
  dockerfileName: string;
  /** True when the Dockerfile lives outside the context and was added under a generated name. */
  dockerfileOutsideContext: boolean;
  /** The ignore file that applied (`<Dockerfile>.dockerignore` wins over `<context>/.dockerignore`). */
  ignoreFile?: string;
  ignorePatterns: number;
  filesIncluded: number;
  directoriesIncluded: number;
  symlinksIncluded: number;
  /** Regular files and symlinks excluded one by one. */
  filesExcluded: number;
  /** Directories excluded as a whole (their contents were not even walked). */
  directoriesExcluded: number;
  /** Sum of the sizes of the included files (the tar adds ~512 bytes of header per entry). */
  bytesIncluded: number;
  /** Sockets, FIFOs and devices, which a tar cannot carry (the CLI skips them too). */
  specialFilesSkipped: number;
}

export interface BuildContext {
  /** The tar, produced as it is read (backpressure respected). Read it once. */
  stream: Readable;
  /** Pass this as the engine's `dockerfile` parameter. */
  dockerfile: string;
  summary: BuildContextSummary;
}

export class BuildContextError extends Error {
  constructor(message: string, readonly path?: string) {
    super(message);
    this.name = 'BuildContextError';
  }
}

const IGNORE_FILE = '.dockerignore';

function toPosix(relative: string): string {
  return relative.split(path.sep).join('/');
}

function isInside(parent: string, child: string): boolean {
  const relative = path.relative(parent, child);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
}

/** Reads ignore patterns the way the CLI does: one per line, `#` comments, blank lines skipped. */
export function parseDockerignore(text: string): string[] {
  return text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

async function readIgnoreFile(file: string): Promise<string[] | undefined> {
  try {
    return parseDockerignore(await readFile(file, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new BuildContextError(l10n.t('Couldn\'t read {0}: {1}', file, (error as Error).message), file);
  }
}

function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new Error(l10n.t('The build was cancelled.'));
}

/**
 * Walks and filters the context, then returns a tar stream of it with the counts for the log.
 * The walk only keeps the list of included paths; file contents are read while the tar is read.
 */
export async function createBuildContext(options: BuildContextOptions): Promise<BuildContext> {
  const contextDir = path.resolve(options.contextDir);
  let contextStat: Stats;
  try {
    contextStat = await stat(contextDir);
  } catch (error) {
    throw new BuildContextError(l10n.t('The build context {0} does not exist: {1}', contextDir, (error as Error).message), contextDir);
  }
  if (!contextStat.isDirectory()) throw new BuildContextError(l10n.t('The build context {0} is not a folder.', contextDir), contextDir);

  const dockerfilePath = path.resolve(contextDir, options.dockerfile ?? 'Dockerfile');
  let dockerfileStat: Stats;
  try {
    dockerfileStat = await stat(dockerfilePath);
  } catch {
    throw new BuildContextError(l10n.t('The Dockerfile {0} does not exist.', dockerfilePath), dockerfilePath);
  }
  if (!dockerfileStat.isFile()) throw new BuildContextError(l10n.t('The Dockerfile {0} is not a file.', dockerfilePath), dockerfilePath);

  const inside = isInside(contextDir, dockerfilePath);
  let dockerfileName: string;
  let outsideContent: Buffer | undefined;
  if (inside) {
    dockerfileName = toPosix(path.relative(contextDir, dockerfilePath));
  } else {
    outsideContent = await readFile(dockerfilePath);
    const hash = createHash('sha256').update(dockerfilePath).update('\0').update(outsideContent).digest('hex').slice(0, 16);
    dockerfileName = `.synapse-dockerfile-${hash}`;
  }

  // BuildKit's rule, applied here for both builders: <Dockerfile>.dockerignore wins.
  let ignoreFile: string | undefined = `${dockerfilePath}.dockerignore`;
  let patterns = await readIgnoreFile(ignoreFile);
  if (patterns === undefined) {
    ignoreFile = path.join(contextDir, IGNORE_FILE);
    patterns = await readIgnoreFile(ignoreFile);
    if (patterns === undefined) ignoreFile = undefined;
  }
  patterns ??= [];
  const matcher = ignore({ ignorecase: false }).add(patterns);
  // Exception patterns, cleaned like the CLI does, to decide which excluded folders to walk.
  const exceptions = patterns
    .filter((pattern) => pattern.startsWith('!'))
    .map((pattern) => path.posix.normalize(pattern.slice(1).trim()).replace(/^\/+/, ''));
  /** The CLI's rule: walk an excluded folder only if an exception pattern starts with its path. */
  const mayBringBack = (relativeDir: string) => exceptions.some((exception) => `${exception}/`.startsWith(`${relativeDir}/`));

  // Always sent, whatever the patterns say (the CLI adds them back as exceptions).
  const forced = new Set<string>([IGNORE_FILE]);
  if (inside) forced.add(dockerfileName);
  const forcedDirs = new Set<string>();
  for (const file of forced) {
    for (let dir = path.posix.dirname(file); dir !== '.'; dir = path.posix.dirname(dir)) forcedDirs.add(dir);
  }

  const summary: BuildContextSummary = {
    contextDir,
    dockerfilePath,
    dockerfileName,
    dockerfileOutsideContext: !inside,
    ignoreFile,
    ignorePatterns: patterns.length,
    filesIncluded: 0,
    directoriesIncluded: 0,
    symlinksIncluded: 0,
    filesExcluded: 0,
    directoriesExcluded: 0,
    bytesIncluded: 0,
    specialFilesSkipped: 0,
  };

  const entries: string[] = [];
  const walk = async (relativeDir: string): Promise<void> => {
    throwIfAborted(options.signal);
    const absoluteDir = relativeDir ? path.join(contextDir, relativeDir) : contextDir;
    let dir;
    try {
      dir = await opendir(absoluteDir);
    } catch (error) {
      throw new BuildContextError(l10n.t('Couldn\'t read {0}: {1}', absoluteDir, (error as Error).message), absoluteDir);
    }
    const children: Dirent[] = [];
    for await (const child of dir) children.push(child);
    children.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const child of children) {
      const relative = relativeDir ? `${relativeDir}/${child.name}` : child.name;
      const isForced = forced.has(relative);
      const excluded = !isForced && patterns!.length > 0 && matcher.ignores(relative);
      if (child.isDirectory()) {
        if (!excluded) {
          entries.push(relative);
          summary.directoriesIncluded++;
          await walk(relative);
        } else if (mayBringBack(relative) || forcedDirs.has(relative)) {
          // An exception (or the Dockerfile) may bring back something below: walk it, leave the
          // directory entry itself out, as the CLI does.
          await walk(relative);
        } else {
          summary.directoriesExcluded++;
        }
        continue;
      }
      if (excluded) {
        summary.filesExcluded++;
        continue;
      }
      if (child.isFile()) {
        const info = await lstat(path.join(absoluteDir, child.name)).catch((error: Error) => {
          throw new BuildContextError(l10n.t('Couldn\'t read {0}: {1}', path.join(absoluteDir, child.name), error.message));
        });
        entries.push(relative);
        summary.filesIncluded++;
        summary.bytesIncluded += info.size;
      } else if (child.isSymbolicLink()) {
        entries.push(relative);
        summary.symlinksIncluded++;
      } else {
        summary.specialFilesSkipped++;
      }
    }
  };
  await walk('');
  throwIfAborted(options.signal);
  if (outsideContent) {
    summary.filesIncluded++;
    summary.bytesIncluded += outsideContent.length;
  }

  // Like the CLI for a Dockerfile outside the context: the generated name is appended to the
  // tar's .dockerignore, so the engine drops the file once it has read it (COPY . never sees it).
  let ignoreContent: Buffer | undefined;
  if (outsideContent) {
    const contextIgnore = path.join(contextDir, IGNORE_FILE);
    const original = await readFile(contextIgnore).catch(() => undefined);
    ignoreContent = Buffer.concat([original ?? Buffer.alloc(0), Buffer.from(`\n${dockerfileName}\n`)]);
    const index = entries.indexOf(IGNORE_FILE);
    if (index >= 0) entries.splice(index, 1);
    else summary.filesIncluded++;
  }

  const pack = tar.pack(contextDir, {
    entries,
    // The entries list is complete: tar-fs must not add directory contents on its own.
    ignore: () => true,
    // Like the CLI: owned by root in the image, whoever owns the files here.
    map: (header) => ({ ...header, uid: 0, gid: 0, uname: '', gname: '' }),
    strict: false,
    finalize: outsideContent === undefined,
    finish: (packer) => {
      if (outsideContent === undefined || ignoreContent === undefined) return;
      packer.entry(
        { name: IGNORE_FILE, size: ignoreContent.length, mode: 0o644, mtime: new Date(), uid: 0, gid: 0, type: 'file' },
        ignoreContent,
      );
      packer.entry(
        { name: dockerfileName, size: outsideContent.length, mode: 0o644, mtime: dockerfileStat.mtime, uid: 0, gid: 0, type: 'file' },
        outsideContent,
      );
      packer.finalize();
    },
  });
  // tar-fs 3 returns a streamx stream; wrap it in a Node stream (backpressure kept) for callers.
  const stream = Readable.from(pack as unknown as AsyncIterable<Buffer>, { objectMode: false });
  if (options.signal) {
    const onAbort = () => stream.destroy(options.signal!.reason instanceof Error ? options.signal!.reason : new Error('cancelled'));
    options.signal.addEventListener('abort', onAbort, { once: true });
    stream.once('close', () => options.signal!.removeEventListener('abort', onAbort));
  }
  return { stream, dockerfile: dockerfileName, summary };
}
