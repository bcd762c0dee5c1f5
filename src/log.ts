// The one output channel, exposed to the core as its Logger. Every line passes through the
// redactor, so even a mistaken log call cannot write a token.
import * as vscode from 'vscode';
import { Logger, redactSecrets } from './core/util/log';

export function createLogger(channel: vscode.LogOutputChannel): Logger {
  return {
    trace: (message) => channel.trace(redactSecrets(message)),
    debug: (message) => channel.debug(redactSecrets(message)),
    info: (message) => channel.info(redactSecrets(message)),
    warn: (message) => channel.warn(redactSecrets(message)),
    error: (message) => channel.error(redactSecrets(message)),
  };
}
