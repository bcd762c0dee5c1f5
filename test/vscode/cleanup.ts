// What every runner (test/host/runCodeServer.ts, test/host/runDesktop.ts, test/e2e/run.ts) needs
// to stop cleanly: a prefixed log to stderr, and cleanup steps run once, last pushed first, whether
// the run ends normally, fails, or is interrupted (SIGINT, SIGTERM, SIGHUP); and its fresh folders.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export type CleanupStep = () => Promise<void> | void;

export interface RunnerCleanup {
  /** Writes `[prefix] message` to stderr. */
  log(message: string): void;
  /** Steps to run at the end; push them as resources are acquired (they run in reverse order). */
  cleanups: CleanupStep[];
  /** Runs the steps once (later calls return the same promise); a step's error is logged, not thrown. */
  cleanup(): Promise<void>;
  /** Runs the runner's main, cleans up, and exits with its code (1, saying what could not run, when it throws). */
  runAndExit(main: () => Promise<number>, what: string): void;
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
  const runAndExit = (main: () => Promise<number>, what: string): void => {
    void main()
      .catch((error: unknown) => {
        console.error(`\n  ${what} could not run: ${error instanceof Error ? error.message : String(error)}\n`);
        return 1;
      })
      .then(async (code) => {
        await cleanup();
        process.exit(code);
      });
  };
  return { log, cleanups, cleanup, runAndExit };
}

export interface RunFolders {
  runDir: string;
  userData: string;
  extensions: string;
  serverData: string;
  browser: string;
  workspace: string;
}

/**
 * Fresh state for one runner: an empty results folder, and a short temp folder (socket paths)
 * with VS Code's and the browser's folders and a small workspace holding a Dockerfile. On
 * cleanup, VS Code's logs are copied into the results and the temp folder goes, unless
 * SYNAPSE_DOCKER_KEEP=1.
 */
export function createRunFolders(
  runner: Pick<RunnerCleanup, 'log' | 'cleanups'>,
  options: { prefix: string; resultsDir: string; greeting: string },
): RunFolders {
  fs.rmSync(options.resultsDir, { recursive: true, force: true });
  fs.mkdirSync(options.resultsDir, { recursive: true });
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), options.prefix));
  const folders: RunFolders = {
    runDir,
    userData: path.join(runDir, 'user-data'),
    extensions: path.join(runDir, 'extensions'),
    serverData: path.join(runDir, 'server-data'),
    browser: path.join(runDir, 'browser'),
    workspace: path.join(runDir, 'workspace'),
  };
  for (const dir of Object.values(folders)) fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(folders.workspace, 'Dockerfile'), 'FROM local/busybox:1\nCOPY hello.txt /hello.txt\nRUN cat /hello.txt\n');
  fs.writeFileSync(path.join(folders.workspace, 'hello.txt'), `${options.greeting}\n`);
  runner.cleanups.push(() => {
    // VS Code's logs (server, extension host, the extension's output channel) outlive the run.
    const logs = path.join(folders.userData, 'logs');
    if (fs.existsSync(logs)) fs.cpSync(logs, path.join(options.resultsDir, 'vscode-logs'), { recursive: true });
    if (process.env.SYNAPSE_DOCKER_KEEP === '1') runner.log(`kept ${runDir}`);
    else fs.rmSync(runDir, { recursive: true, force: true });
  });
  return folders;
}
