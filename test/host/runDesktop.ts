// npm run test:desktop → node out/test/host/runDesktop.js
// The extension-host suite (the same out/test/host/**/*.test.js as under code-server) in desktop
// VS Code through @vscode/test-electron. VS Code comes from $VSCODE_EXECUTABLE_PATH when set, else
// test-electron downloads it (from the internet: that fails offline, which this says clearly).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runTests } from '@vscode/test-electron';
import { createRunnerCleanup } from '../vscode/cleanup';
import { repoRoot, writeUserSettings } from '../vscode/codeServer';
import { formatDuration, printMochaStyle } from '../vscode/report';
import { extensionDevelopmentPath, readSandboxInfo, sandboxJsonPath, sandboxSettings } from '../vscode/sandboxInfo';
import type { HostTestResults } from './index';

const root = repoRoot();
const resultsDir = path.join(root, 'test-results', 'desktop');

const { log, cleanups, cleanup, runAndExit } = createRunnerCleanup('desktop');

async function main(): Promise<number> {
  const started = Date.now();
  const sandboxFile = sandboxJsonPath(root);
  const sandbox = readSandboxInfo(sandboxFile);
  const devPath = extensionDevelopmentPath(root);
  const testsIndex = path.join(root, 'out', 'test', 'host', 'index.js');
  if (!fs.existsSync(testsIndex)) throw new Error(`${testsIndex} is missing: run npm run build`);

  const executable = process.env.VSCODE_EXECUTABLE_PATH;
  if (executable && !fs.existsSync(executable)) {
    throw new Error(`VSCODE_EXECUTABLE_PATH=${executable} does not exist`);
  }
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
    console.error('  note: no DISPLAY; desktop VS Code needs one (run under xvfb-run -a)');
  }

  fs.rmSync(resultsDir, { recursive: true, force: true });
  fs.mkdirSync(resultsDir, { recursive: true });
  const resultsFile = path.join(resultsDir, 'results.json');
  // Short base: VS Code's IPC sockets live in the user data dir.
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sdd-'));
  const dirs = {
    userData: path.join(runDir, 'ud'),
    extensions: path.join(runDir, 'ext'),
    workspace: path.join(runDir, 'workspace'),
  };
  for (const dir of Object.values(dirs)) fs.mkdirSync(dir, { recursive: true });
  cleanups.push(() => {
    if (fs.existsSync(path.join(dirs.userData, 'logs'))) {
      fs.cpSync(path.join(dirs.userData, 'logs'), path.join(resultsDir, 'vscode-logs'), { recursive: true });
    }
    if (process.env.SYNAPSE_DOCKER_KEEP === '1') log(`kept ${runDir}`);
    else fs.rmSync(runDir, { recursive: true, force: true });
  });
  fs.writeFileSync(path.join(dirs.workspace, 'Dockerfile'), 'FROM local/busybox:1\nCOPY hello.txt /hello.txt\nRUN cat /hello.txt\n');
  fs.writeFileSync(path.join(dirs.workspace, 'hello.txt'), 'hello from the desktop host tests\n');
  writeUserSettings(dirs.userData, sandboxSettings(sandbox));

  let runError: unknown;
  try {
    await runTests({
      ...(executable ? { vscodeExecutablePath: executable } : {}),
      extensionDevelopmentPath: devPath,
      extensionTestsPath: testsIndex,
      launchArgs: [
        dirs.workspace,
        '--user-data-dir',
        dirs.userData,
        '--extensions-dir',
        dirs.extensions,
        '--disable-extensions', // other installed extensions; the one under development still loads
        '--disable-workspace-trust',
        '--disable-telemetry',
        '--disable-updates',
        '--skip-welcome',
        '--skip-release-notes',
        '--disable-gpu',
        '--no-sandbox',
      ],
      extensionTestsEnv: {
        ...(sandbox.dockerHost ? { DOCKER_HOST: sandbox.dockerHost } : {}),
        SYNAPSE_DOCKER_TEST_RESULTS: resultsFile,
        SYNAPSE_SANDBOX_JSON: sandboxFile,
        SYNAPSE_DOCKER_TEST_HOST: 'vscode-desktop',
        // Desktop VS Code keeps SecretStorage in <user-data>/User/globalStorage/state.vscdb, encrypted
        // with Electron's safeStorage, so no file may hold the token in clear: nothing is excluded.
        SYNAPSE_DOCKER_SCAN_DIRS: [dirs.userData, dirs.extensions, dirs.workspace].join(path.delimiter),
        SYNAPSE_DOCKER_SECRET_STORE: '',
      },
    });
  } catch (error) {
    runError = error;
  } finally {
    await cleanup(); // VS Code has exited: keep its logs, remove the run folder
  }

  if (!fs.existsSync(resultsFile)) {
    const message = runError instanceof Error ? runError.message : String(runError ?? 'VS Code exited without running the suite');
    if (!executable) {
      console.error(
        `\n  Desktop VS Code is not available: @vscode/test-electron could not download it (${message}).\n` +
          `  This machine has no internet access, so the download cannot work here.\n` +
          `  Set VSCODE_EXECUTABLE_PATH to an installed VS Code (e.g. /usr/share/code/code), or run the same\n` +
          `  suite in code-server instead: node out/test/host/runCodeServer.js\n`,
      );
    } else {
      console.error(`\n  VS Code (${executable}) did not run the suite: ${message}\n`);
    }
    return 1;
  }
  const results = JSON.parse(fs.readFileSync(resultsFile, 'utf8')) as HostTestResults;
  const tally = printMochaStyle(results.tests, Date.now() - started);
  if (results.error) console.log(`  error: ${results.error}`);
  log(`done in ${formatDuration(Date.now() - started)}`);
  return tally.failing === 0 && tally.passing > 0 && !results.error ? 0 : 1;
}

runAndExit(main, 'desktop host tests');
