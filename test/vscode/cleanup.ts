// What every runner (test/host/runCodeServer.ts, test/host/runDesktop.ts, test/e2e/run.ts) needs
// to stop cleanly: a prefixed log to stderr, and cleanup steps run once, last pushed first, whether
// the run ends normally, fails, or is interrupted (SIGINT, SIGTERM, SIGHUP).

export type CleanupStep = () => Promise<void> | void;

export interface RunnerCleanup {
  /** Writes `[prefix] message` to stderr. */
  log(message: string): void;
  /** Steps to run at the end; push them as resources are acquired (they run in reverse order). */
  cleanups: CleanupStep[];
  /** Runs the steps once (later calls return the same promise); a step's error is logged, not thrown. */
  cleanup(): Promise<void>;
}

/**
 * Creates the runner's log and cleanup list, and installs SIGINT/SIGTERM/SIGHUP handlers that run
 * the cleanup then exit with 130.
 */
export function createRunnerCleanup(prefix: string): RunnerCleanup {
  const log = (message: string): void => {
    process.stderr.write(`[${prefix}] ${message}\n`);
  };
  const cleanups: CleanupStep[] = [];
  let cleaning: Promise<void> | undefined;
  const cleanup = (): Promise<void> => {
    cleaning ??= (async () => {
      for (const fn of cleanups.reverse()) {
        try {
          await fn();
        } catch (error) {
          log(`cleanup: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
    })();
    return cleaning;
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      log(`${signal}: stopping`);
      void cleanup().finally(() => process.exit(130));
    });
  }
  return { log, cleanups, cleanup };
}
