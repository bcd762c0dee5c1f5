/** The logging surface the core writes to; the VS Code layer backs it with a LogOutputChannel. */
export interface Logger {
  trace(message: string): void;
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export const silentLogger: Logger = {
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

// A JWT (three base64url parts, the first starting with '{"' encoded) — the shape of every PAT.
const TOKEN_PATTERN = /eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]+/g;

/** Replaces anything shaped like a token, so a log line can never carry a secret. */
export function redactSecrets(text: string): string {
  return text.replace(TOKEN_PATTERN, '[redacted token]');
}
