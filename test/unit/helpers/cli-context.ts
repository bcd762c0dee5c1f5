// What the real docker CLI sends as a classic build's context, to compare the extension's with: a
// loopback engine on a unix socket (answering /_ping as dockerd 28 does) takes the body of its
// POST /build and answers with a finished build. No engine, no network: only the CLI's own walk.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { isolatedCliEnv } from '../../sandbox/engines';
import { SocketEngine } from './fake-engine';

const BLOCK = 512;

/** The entry names of a tar (folders with a trailing "/"), in its order: ustar prefixes, PAX and GNU long names. */
export function tarNames(tar: Buffer): string[] {
  const names: string[] = [];
  let longName: string | undefined;
  const text = (from: number, length: number) => {
    const field = tar.subarray(from, from + length);
    const end = field.indexOf(0);
    return field.subarray(0, end === -1 ? length : end).toString('utf8');
  };
  for (let at = 0; at + BLOCK <= tar.length;) {
    if (tar.subarray(at, at + BLOCK).every((byte) => byte === 0)) break;
    const type = String.fromCharCode(tar[at + 156] || 0x30);
    const size = parseInt(text(at + 124, 12).trim() || '0', 8);
    const body = tar.subarray(at + BLOCK, at + BLOCK + size);
    const prefix = text(at + 345, 155);
    const name = longName ?? (prefix ? `${prefix}/${text(at, 100)}` : text(at, 100));
    at += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
    if (type === 'x') {
      const record = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(body.toString('utf8'));
      longName = record?.[1];
      continue;
    }
    if (type === 'L') {
      longName = body.toString('utf8').replace(/\0+$/, '');
      continue;
    }
    longName = undefined;
    names.push(type === '5' && !name.endsWith('/') ? `${name}/` : name);
  }
  return names;
}

class BuildRecorder extends SocketEngine {
  body?: Buffer;

  constructor() {
    super('cli-context-');
  }

  protected async answer(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = (req.url ?? '').replace(/^\/v[0-9.]+\//, '/').replace(/\?.*$/, '');
    if (url === '/_ping') {
      res.writeHead(200, { 'content-type': 'text/plain', 'api-version': '1.51', ostype: 'linux', 'builder-version': '1' });
      res.end(req.method === 'HEAD' ? undefined : 'OK');
      return;
    }
    if (req.method === 'POST' && url === '/build') {
      this.body = Buffer.concat(chunks);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        [
          { stream: 'Step 1/1 : FROM scratch\n' },
          { aux: { ID: `sha256:${'0'.repeat(64)}` } },
          { stream: 'Successfully built 000000000000\n' },
        ]
          .map((line) => `${JSON.stringify(line)}\n`)
          .join(''),
      );
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ message: `no route ${req.method} ${url}` }));
  }
}

/** The CLI's context for a folder (`docker build <dir>`, classic builder): its tar's names, or why it refused. */
export async function cliContext(cli: string, contextDir: string): Promise<{ names?: string[]; refusal?: string }> {
  const engine = new BuildRecorder();
  const config = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-context-config-'));
  await engine.listen();
  try {
    const result = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
      const child = spawn(cli, ['build', '-q', contextDir], {
        env: { ...isolatedCliEnv(config, engine.endpoint.host), DOCKER_BUILDKIT: '0' },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stderr }));
    });
    if (result.code !== 0) return { refusal: result.stderr.replace(/^DEPRECATED:[\s\S]*?\n\n/, '').trim() };
    if (!engine.body) throw new Error(`the CLI exited without sending a build: ${result.stderr}`);
    return { names: tarNames(engine.body) };
  } finally {
    await engine.close();
    fs.rmSync(config, { recursive: true, force: true });
  }
}
