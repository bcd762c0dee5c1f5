// Following the engine's NDJSON progress stream: the engine answers 200 for build/push/pull and
// reports failure inside the stream, so every event is scanned.
import type { IncomingMessage } from 'node:http';
import { NdjsonParser, StreamEvent } from './progress';
import { DockerOperationError, DockerCancelledError, StreamingOperation, connectionBrokeMessage } from './errors';

/**
 * Reads an engine stream to its end, feeding each event to `consume`. Rejects with
 * DockerCancelledError as soon as the signal aborts (the connection is dropped, which stops the
 * engine), or when the connection breaks.
 */
export function followStream(
  stream: NodeJS.ReadableStream,
  operation: StreamingOperation,
  consume: (event: StreamEvent) => void,
  signal?: AbortSignal,
): Promise<void> {
  const response = stream as IncomingMessage;
  // A client-wide idle timeout (createDockerClient sets one) must not cut a long, silent build
  // step or a slow layer: once the engine has answered, only the user cancels.
  response.socket?.setTimeout?.(0);
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const parser = new NdjsonParser((event) => {
      try {
        consume(event);
      } catch (error) {
        fail(error instanceof Error ? error : new Error(String(error)));
      }
    });
    const cleanup = () => {
      signal?.removeEventListener('abort', onAbort);
      response.removeListener('data', onData);
      response.removeListener('end', onEnd);
      response.removeListener('error', onError);
      response.removeListener('aborted', onAborted);
    };
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      cleanup();
      response.destroy?.();
      reject(error);
    };
    const onAbort = () => fail(new DockerCancelledError(operation));
    const onData = (chunk: Buffer | string) => {
      if (!settled) parser.push(chunk);
    };
    const onEnd = () => {
      if (settled) return;
      parser.end();
      if (response.complete === false) {
        fail(new DockerOperationError(operation, connectionBrokeMessage(operation), 'connection closed'));
        return;
      }
      settled = true;
      cleanup();
      resolve();
    };
    const onError = (error: Error) => {
      if (signal?.aborted) return fail(new DockerCancelledError(operation));
      fail(new DockerOperationError(operation, connectionBrokeMessage(operation, error.message), error.message));
    };
    // The engine closed the connection mid-answer (stopped, restarted, crashed): no detail to add.
    const onAborted = () =>
      signal?.aborted
        ? fail(new DockerCancelledError(operation))
        : fail(new DockerOperationError(operation, connectionBrokeMessage(operation), 'aborted'));
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    response.on('data', onData);
    response.on('end', onEnd);
    response.on('error', onError);
    response.on('aborted', onAborted);
  });
}
