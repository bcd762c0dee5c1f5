// Process and loopback helpers shared by the stack's services (engine, sandbox, registry).
// Every service is spawned detached with its own log, recorded by pid (+ start time, so a recycled
// pid is never mistaken for ours) and stopped by that pid only.
import { spawn, execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';

/** What the stack records about a process it started. */
export interface ProcessRecord {
  pid: number;
  /** Kernel start time (clock ticks since boot) from /proc/<pid>/stat; guards against pid reuse. */
  startTime?: string;
  log: string;
  command: string[];
}

/**
 * Spawns a long-running service detached from this process, stdout+stderr appended to `log`.
 * `secrets` are masked in the command line written to the log and to the record.
 */
export function spawnDetached(
  command: string,
  args: string[],
  log: string,
  options: { env?: NodeJS.ProcessEnv; secrets?: string[] } = {},
): ProcessRecord {
  fs.mkdirSync(path.dirname(log), { recursive: true });
  const shown = [command, ...args].map((arg) => (options.secrets ?? []).reduce((text, secret) => text.split(secret).join('***'), arg));
  const fd = fs.openSync(log, 'a');
  fs.writeSync(fd, `\n--- ${new Date().toISOString()} ${shown.join(' ')}\n`);
  try {
    const child = spawn(command, args, { detached: true, stdio: ['ignore', fd, fd], env: options.env ?? process.env });
    if (child.pid === undefined) throw new Error(`could not start ${command} (see ${log})`);
    // The child must outlive this CLI; it is stopped later by pid.
    child.unref();
    return { pid: child.pid, startTime: processStartTime(child.pid), log, command: shown };
  } finally {
    fs.closeSync(fd);
  }
}

function processStartTime(pid: number): string | undefined {
  const stat = readProcStat(pid);
  return stat?.fields[19];
}

function readProcStat(pid: number): { state: string; fields: string[] } | undefined {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name in parentheses may contain spaces: split after the last ')'.
    const fields = text
      .slice(text.lastIndexOf(')') + 2)
      .trim()
      .split(/\s+/);
    return { state: fields[0], fields };
  } catch {
    return undefined;
  }
}

/** True while the recorded process is alive (not a zombie) and is still the one we started. */
export function isRunning(record: ProcessRecord | undefined): boolean {
  if (!record) return false;
  try {
    process.kill(record.pid, 0);
  } catch {
    return false;
  }
  const stat = readProcStat(record.pid);
  if (!stat) return process.platform !== 'linux';
  if (stat.state === 'Z' || stat.state === 'X') return false;
  return record.startTime === undefined || stat.fields[19] === record.startTime;
}

/** SIGTERM, wait up to `timeoutMs`, then SIGKILL. Returns how it ended. */
export async function stopProcess(record: ProcessRecord, timeoutMs: number): Promise<'not running' | 'stopped' | 'killed'> {
  if (!isRunning(record)) return 'not running';
  process.kill(record.pid, 'SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isRunning(record)) return 'stopped';
    await sleep(100);
  }
  if (isRunning(record)) process.kill(record.pid, 'SIGKILL');
  while (isRunning(record)) await sleep(50);
  return 'killed';
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The last lines a log got since its newest start header (older runs are noise), to show next to a failure. */
export function logTail(log: string, lines = 15): string {
  try {
    const text = fs.readFileSync(log, 'utf8');
    const lastRun = text.slice(Math.max(0, text.lastIndexOf('\n--- ') + 1));
    return lastRun
      .trimEnd()
      .split('\n')
      .slice(-lines)
      .map((l) => `    ${l}`)
      .join('\n');
  } catch {
    return '    (no log)';
  }
}

export interface WaitOptions {
  /** The service's name, for the error message. */
  service: string;
  timeoutMs: number;
  /** When given, the wait fails at once if this process dies. */
  process?: ProcessRecord;
  log?: string;
}

/**
 * The one "wait until it answers" loop: polls `check` until it returns a value other than
 * undefined, failing with the service's name, the reason seen last and its log. A service that
 * never comes up is stopped before the error is thrown, so a failed start leaves nothing running.
 */
export async function waitUntil<T>(check: () => Promise<T | undefined>, options: WaitOptions): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let lastProblem = 'no answer yet';
  const log = options.log ?? options.process?.log;
  const fail = (why: string): Error =>
    new Error(`${options.service} ${why} (last seen: ${lastProblem}).` + (log ? `\n  log: ${log}\n${logTail(log)}` : ''));
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastProblem = error instanceof Error ? error.message : String(error);
    }
    if (options.process && !isRunning(options.process)) throw fail('exited while starting');
    if (Date.now() > deadline) {
      if (options.process) await stopProcess(options.process, 15_000);
      throw fail(`did not answer within ${options.timeoutMs / 1000} s`);
    }
    await sleep(100);
  }
}

export interface LocalResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * A small HTTP client for loopback services only (TCP or unix socket). Refuses any other host,
 * so nothing in the stack can talk beyond this machine by mistake.
 */
export function localRequest(
  target: { url: string; socketPath?: string },
  options: { method?: string; headers?: Record<string, string>; body?: string; timeoutMs?: number } = {},
): Promise<LocalResponse> {
  const url = new URL(target.url);
  if (!target.socketPath && !isLoopbackHost(url.hostname)) {
    return Promise.reject(new Error(`refusing to contact non-loopback host ${url.hostname}`));
  }
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        socketPath: target.socketPath,
        hostname: target.socketPath ? undefined : url.hostname,
        port: target.socketPath ? undefined : url.port,
        path: url.pathname + url.search,
        method: options.method ?? 'GET',
        headers: options.body === undefined ? options.headers : { 'content-type': 'application/json', ...options.headers },
        timeout: options.timeoutMs ?? 2000,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') }),
        );
        response.on('error', reject);
      },
    );
    request.on('timeout', () => request.destroy(new Error(`timed out after ${options.timeoutMs ?? 2000} ms`)));
    request.on('error', reject);
    request.end(options.body);
  });
}

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** A port that is free on 127.0.0.1 right now (the OS picks it). */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Runs a short command to completion; rejects with its stderr on failure. */
export function runCommand(command: string, args: string[], options: { cwd?: string } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd: options.cwd, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${command} ${args.join(' ')} failed: ${stderr.trim() || error.message}`));
      else resolve(stdout);
    });
  });
}

/** Finds an executable on PATH (or at an absolute path). */
export function findExecutable(name: string, extraDirs: string[] = []): string | undefined {
  if (path.isAbsolute(name)) return isExecutable(name) ? name : undefined;
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), ...extraDirs];
  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    if (dir && isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** Writes a file atomically (write + rename), so readers never see half a JSON document. */
export function writeFileAtomic(file: string, content: string, mode = 0o644): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, content, { mode });
  fs.renameSync(temporary, file);
}
