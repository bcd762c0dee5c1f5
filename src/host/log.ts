// The one output channel, exposed to the core as its Logger. Every line, whoever writes it (the
// logger, build output, a mistaken direct call), passes through the redactor first.
import * as vscode from 'vscode';
import { Logger } from '../core/util/log';
import { redact } from '../core/util/redact';

export function createLogger(channel: vscode.LogOutputChannel): Logger {
  return {
    trace: (message) => channel.trace(redact(message)),
    debug: (message) => channel.debug(redact(message)),
    info: (message) => channel.info(redact(message)),
    warn: (message) => channel.warn(redact(message)),
    error: (message) => channel.error(redact(message)),
  };
}

const WRITERS = new Set<PropertyKey>(['trace', 'debug', 'info', 'warn', 'error', 'append', 'appendLine', 'replace']);

function redactArgument(value: unknown): unknown {
  if (typeof value === 'string') return redact(value);
  if (value instanceof Error) return redact(value.stack ?? `${value.name}: ${value.message}`);
  if (value === null || typeof value !== 'object') return value;
  try {
    return redact(JSON.stringify(value));
  } catch {
    return redact(String(value));
  }
}

/** The channel as the rest of the extension sees it: every write redacted, everything else as is. */
export function redactingChannel(channel: vscode.LogOutputChannel): vscode.LogOutputChannel {
  return new Proxy(channel, {
    get(target, property) {
      const value = Reflect.get(target, property, target) as unknown;
      if (typeof value !== 'function') return value;
      if (!WRITERS.has(property)) return value.bind(target);
      return (...args: unknown[]) => (value as (...a: unknown[]) => unknown).apply(target, args.map(redactArgument));
    },
  });
}
