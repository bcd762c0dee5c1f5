// Test data of the Docker benchmark (docker.bench.ts): deterministic, incompressible random bytes
// (an AES-CTR key stream from a seed), the layers of the push/pull image and the build contexts.
// Everything is written once into a temp folder the benchmark deletes at the end.
import { createCipheriv, createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Deterministic, incompressible bytes: the AES-128-CTR key stream of a seed. */
export class RandomStream {
  private readonly cipher;
  private static readonly zeros = Buffer.alloc(4 << 20);

  constructor(seed: string) {
    const digest = createHash('sha256').update(seed).digest();
    this.cipher = createCipheriv('aes-128-ctr', digest.subarray(0, 16), digest.subarray(16, 32));
  }

  /** The next `size` bytes (size ≤ 4 MiB). */
  next(size: number): Buffer {
    return this.cipher.update(RandomStream.zeros.subarray(0, size));
  }

  /** Writes the next `size` bytes to a new file. */
  writeFile(file: string, size: number): void {
    const fd = fs.openSync(file, 'w');
    try {
      for (let left = size; left > 0;) {
        const chunk = this.next(Math.min(left, RandomStream.zeros.length));
        fs.writeSync(fd, chunk);
        left -= chunk.length;
      }
    } finally {
      fs.closeSync(fd);
    }
  }
}

/** A small seeded PRNG (mulberry32) for sizes and names: same seed, same context (and the same flows in toast-pacing.test). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ---- the push/pull image ----------------------------------------------------------------------

/**
 * The random layer files of the image, generated once; every image of the benchmark shares them
 * (hard links) and differs only by a small salt file per layer, which is enough to make every
 * layer a new blob: nothing is ever "already exists" or "mounted from" another repository.
 */
export function writeLayerData(dir: string, layers: number, layerBytes: number): string[] {
  fs.mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  for (let i = 0; i < layers; i++) {
    const file = path.join(dir, `layer${i}.bin`);
    new RandomStream(`synapse-docker-bench layer ${i}`).writeFile(file, layerBytes);
    files.push(file);
  }
  return files;
}

/** A build context for one image: `COPY lN /lN/` per layer, each holding the shared data and a salt. */
export function writeImageContext(dir: string, layerFiles: string[], salt: string): void {
  fs.mkdirSync(dir, { recursive: true });
  const lines = ['FROM scratch'];
  layerFiles.forEach((file, i) => {
    const layerDir = path.join(dir, `l${i}`);
    fs.mkdirSync(layerDir);
    fs.linkSync(file, path.join(layerDir, 'data.bin'));
    fs.writeFileSync(path.join(layerDir, 'salt'), `${salt} layer ${i}\n`);
    lines.push(`COPY l${i} /l${i}/`);
  });
  fs.writeFileSync(path.join(dir, 'Dockerfile'), `${lines.join('\n')}\n`);
}

// ---- build contexts -----------------------------------------------------------------------------

/** The `.dockerignore` of the build contexts: it drops exactly half of the files and of the bytes. */
export const BENCH_DOCKERIGNORE = [
  '# Synapse Docker build benchmark: half of the files (and of the bytes) are ignored',
  '.git',
  'node_modules',
  '**/*.tmp',
  '**/cache',
  '*.md',
  '!README.md',
  '',
].join('\n');

export interface ContextStats {
  dir: string;
  files: number;
  bytes: number;
  /** What the .dockerignore keeps (Dockerfile and .dockerignore included). */
  keptFiles: number;
  keptBytes: number;
}

/**
 * A context of `files` files totalling ~`totalBytes` (sizes log-uniform, ~1 KB…250 KB before
 * scaling), in folders of 200: per folder 100 kept `*.dat`, 60 ignored `*.tmp` and 40 ignored
 * files under `cache/` (a whole ignored folder). Kept and ignored files come in pairs of equal
 * size, so exactly half the count and half the bytes go. Dockerfile: `FROM scratch` + `COPY . /ctx/`.
 */
export function writeBuildContext(dir: string, files: number, totalBytes: number, seed: string): ContextStats {
  const perDir = 200;
  const dirs = Math.ceil(files / perDir);
  const pairs = Math.floor(files / 2);
  const random = prng(createHash('sha256').update(seed).digest().readUInt32LE(0));
  const raw = Array.from({ length: pairs }, () => Math.exp(Math.log(1024) + random() * (Math.log(256 * 1024) - Math.log(1024))));
  const scale = totalBytes / 2 / raw.reduce((sum, size) => sum + size, 0);
  const sizes = raw.map((size) => Math.max(1, Math.round(size * scale)));
  const bytes = new RandomStream(seed);

  fs.mkdirSync(dir, { recursive: true });
  let written = 0;
  let writtenBytes = 0;
  let keptFiles = 0;
  let keptBytes = 0;
  const write = (file: string, size: number, kept: boolean) => {
    bytes.writeFile(file, size);
    written++;
    writtenBytes += size;
    if (kept) {
      keptFiles++;
      keptBytes += size;
    }
  };
  let pair = 0;
  for (let d = 0; d < dirs && pair < pairs; d++) {
    const folder = path.join(dir, `d${String(d).padStart(3, '0')}`);
    fs.mkdirSync(path.join(folder, 'cache'), { recursive: true });
    for (let i = 0; i < perDir / 2 && pair < pairs; i++, pair++) {
      const name = `f${String(pair).padStart(6, '0')}`;
      write(path.join(folder, `${name}.dat`), sizes[pair], true);
      // The ignored twin: 60 % by extension, 40 % in the ignored cache/ folder.
      write(i < 60 ? path.join(folder, `${name}.tmp`) : path.join(folder, 'cache', `${name}.bin`), sizes[pair], false);
    }
  }
  const small = (name: string, content: string, kept: boolean) => {
    fs.writeFileSync(path.join(dir, name), content);
    if (kept) {
      keptFiles++;
      keptBytes += Buffer.byteLength(content);
    }
  };
  small('Dockerfile', 'FROM scratch\nCOPY . /ctx/\n', true);
  small('.dockerignore', BENCH_DOCKERIGNORE, true);
  small('README.md', 'Synapse Docker build benchmark context (generated).\n', true);
  small('NOTES.md', 'Ignored by *.md.\n', false);
  return { dir, files: written, bytes: writtenBytes, keptFiles, keptBytes };
}
