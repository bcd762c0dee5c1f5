// A BuildKit session (POST /session, upgraded to HTTP/2 cleartext): the engine's BuildKit calls
// back into it over gRPC, to ask for registry credentials while it pulls base images and, where
// the session serves them, for the build context's files (buildkitFileSync.ts).
// dockerode 5 opens such a session too, but answers every registry a Dockerfile names with the
// same credentials, and loads its .proto files from beside its own sources (absent once bundled);
// this one answers only for the one registry the credentials belong to, anonymously for every
// other, and speaks gRPC's framing through node:http2 with hand-written messages.
import { randomUUID } from 'node:crypto';
import * as http2 from 'node:http2';
import type { Duplex } from 'node:stream';
import type Docker from 'dockerode';
import type { SyncSource } from './buildContext';
import { FILE_SYNC_DIFF_COPY, FileSyncSent, serveDiffCopy } from './buildkitFileSync';
import { decodeStrings, encodeMessage, GrpcFrameReader, grpcFrame } from './buildkitProto';

const AUTH_CREDENTIALS = '/moby.filesync.v1.Auth/Credentials';
const HEALTH_CHECK = '/grpc.health.v1.Health/Check';
/** gRPC status codes. */
const GRPC_OK = '0';
const GRPC_UNIMPLEMENTED = '12';
const GRPC_INVALID_ARGUMENT = '3';
/** A gRPC request larger than this is refused (the messages answered here are tiny). */
const MAX_REQUEST_BYTES = 64 * 1024;

export interface SessionCredentials {
  username: string;
  password: string;
  /** The registry host they belong to, e.g. docker.synapse.org or 127.0.0.1:5000. */
  serveraddress: string;
}

/** Folders the session serves to BuildKit's file sync, by dir name ("context", "dockerfile"). */
export interface FileSyncOffer {
  sources: ReadonlyMap<string, SyncSource>;
  /** Lets BuildKit keep what it received for the next build of the same context (the CLI's is per folder too). */
  sharedKey: string;
}

export interface BuildkitSession {
  id: string;
  /** Registry hosts BuildKit asked credentials for, in order (credentials went only to the matching one). */
  readonly asked: string[];
  /** What BuildKit's file sync asked for, by dir name. */
  readonly sent: FileSyncSent;
  close(): void;
}

function normaliseHost(host: string): string {
  return host
    .replace(/^[a-z]+:\/\//i, '')
    .replace(/\/.*$/, '')
    .toLowerCase();
}

/** True when BuildKit's question is about the registry the credentials belong to. */
export function credentialsApply(askedHost: string, credentials: SessionCredentials): boolean {
  return normaliseHost(askedHost) === normaliseHost(credentials.serveraddress);
}

/** The message of a gRPC request body (one uncompressed frame), or undefined when it is not one. */
function unframe(body: Buffer): Buffer | undefined {
  try {
    return new GrpcFrameReader().push(body)[0];
  } catch {
    return undefined;
  }
}

function answer(stream: http2.ServerHttp2Stream, message: Buffer): void {
  stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
  stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': GRPC_OK }));
  stream.end(grpcFrame(message));
}

function refuse(stream: http2.ServerHttp2Stream, code: string, message: string): void {
  stream.respond(
    { ':status': 200, 'content-type': 'application/grpc', 'grpc-status': code, 'grpc-message': encodeURIComponent(message) },
    { endStream: true },
  );
}

function serve(
  stream: http2.ServerHttp2Stream,
  path: string,
  credentials: SessionCredentials | undefined,
  asked: string[],
  onAsked?: (host: string, answered: boolean) => void,
): void {
  if (path !== AUTH_CREDENTIALS && path !== HEALTH_CHECK) {
    // FetchToken, GetTokenAuthority…: "unimplemented" makes BuildKit fall back to Credentials.
    stream.resume();
    refuse(stream, GRPC_UNIMPLEMENTED, `${path} is not served by this session`);
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  stream.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size <= MAX_REQUEST_BYTES) chunks.push(chunk);
  });
  stream.on('end', () => {
    if (stream.destroyed || stream.headersSent) return;
    const message = size <= MAX_REQUEST_BYTES ? unframe(Buffer.concat(chunks)) : undefined;
    if (!message) return refuse(stream, GRPC_INVALID_ARGUMENT, 'not a gRPC message');
    if (path === HEALTH_CHECK) return answer(stream, encodeMessage([[1, 1]])); // SERVING
    const host = decodeStrings(message).get(1) ?? '';
    if (asked.length < 100) asked.push(host);
    // Only the registry the credentials belong to gets them; any other is pulled from anonymously.
    const applies = credentials !== undefined && credentialsApply(host, credentials);
    onAsked?.(host, applies);
    answer(
      stream,
      applies
        ? encodeMessage([
            [1, credentials.username],
            [2, credentials.password],
          ])
        : encodeMessage([]),
    );
  });
}

/**
 * Opens a session on the engine that answers BuildKit's registry-credential questions for the
 * one registry of `credentials` (and health checks). Rejects when the engine has no session
 * endpoint (Podman) or refuses it.
 */
export function openBuildkitSession(
  docker: Docker,
  credentials: SessionCredentials | undefined,
  signal?: AbortSignal,
  onAsked?: (host: string, answered: boolean) => void,
  fileSync?: FileSyncOffer,
): Promise<BuildkitSession> {
  const id = randomUUID();
  const methods = [AUTH_CREDENTIALS, HEALTH_CHECK, ...(fileSync ? [FILE_SYNC_DIFF_COPY] : [])];
  return new Promise<BuildkitSession>((resolve, reject) => {
    docker.modem.dial(
      {
        method: 'POST',
        path: '/session',
        hijack: true,
        abortSignal: signal,
        headers: {
          Upgrade: 'h2c',
          'X-Docker-Expose-Session-Uuid': id,
          'X-Docker-Expose-Session-Name': 'synapse-docker',
          'X-Docker-Expose-Session-Grpc-Method': methods,
          ...(fileSync ? { 'X-Docker-Expose-Session-Sharedkey': fileSync.sharedKey } : {}),
        },
        statusCodes: { 101: true, 200: true, 404: 'no such endpoint', 500: 'server error' },
      } as unknown as Parameters<Docker['modem']['dial']>[0],
      (error: unknown, socket: unknown) => {
        if (error) return reject(error);
        const connection = socket as Duplex & { setTimeout?: (ms: number) => void };
        // The client's idle timeout must not end a session that waits through a long build.
        connection.setTimeout?.(0);
        const asked: string[] = [];
        const sent: FileSyncSent = new Map();
        const server = http2.createServer();
        server.on('stream', (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, _flags: number, rawHeaders: string[]) => {
          const path = String(headers[':path'] ?? '');
          if (fileSync && path === FILE_SYNC_DIFF_COPY) return serveDiffCopy(stream, rawHeaders, fileSync.sources, sent);
          serve(stream, path, credentials, asked, onAsked);
        });
        server.on('session', (session) => session.on('error', () => undefined));
        connection.on('error', () => undefined);
        server.emit('connection', connection);
        resolve({
          id,
          asked,
          sent,
          close: () => {
            server.close();
            connection.destroy();
          },
        });
      },
    );
  });
}
