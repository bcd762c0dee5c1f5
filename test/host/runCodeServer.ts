// node out/test/host/runCodeServer.js
// Runs the extension-host suite (out/test/host/**/*.test.js) in a real VS Code: code-server on
// 127.0.0.1, the workbench in Debian's Chromium, the extension and the tests passed through the
// browser's ?payload=. The extension host writes a JSON result file; this prints it mocha-style and
// exits non-zero on any failure or when no test ran. Needs the stack (.synapse-sandbox/sandbox.json).
//
// Environment: SYNAPSE_SANDBOX_JSON (other sandbox.json), SYNAPSE_DOCKER_EXTENSION_PATH (other
// extension folder), SYNAPSE_DOCKER_HOST_TIMEOUT (seconds to wait for the results, default 240),
// SYNAPSE_DOCKER_TEST_GREP (only tests whose title matches), SYNAPSE_DOCKER_KEEP=1 (keep the run folder),
// SYNAPSE_DOCKER_LOCALE (run VS Code in this display language and only the suites in test/host/locale;
// for qps-ploc a pseudo-translation of l10n/bundle.l10n.json is made for the run, outside the repo),
// SYNAPSE_DOCKER_SUITE (the suite's name, e.g. host-podman: its results go to test-results/<name>).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { getL10nPseudoLocalized, type l10nJsonFormat } from '@vscode/l10n-dev';
import { createRunFolders, createRunnerCleanup } from '../vscode/cleanup';
import { ensureCodeServer, outboundAttemptsInLog, repoRoot, sleep, startCodeServer, type RunningCodeServer } from '../vscode/codeServer';
import { launchChromium, workbenchUrl, type RunningBrowser } from '../vscode/browser';
import { formatDuration, printMochaStyle, type ReportedTest } from '../vscode/report';
import { extensionDevelopmentPath, readSandboxInfo, sandboxJsonPath, sandboxSettings, sandboxUser } from '../vscode/sandboxInfo';
import { scanForSecret } from '../vscode/secretScan';
import type { HostTestResults } from './index';

const root = repoRoot();
const displayLanguage = process.env.SYNAPSE_DOCKER_LOCALE || undefined;
const PSEUDO_LANGUAGE = 'qps-ploc';
const suiteName = process.env.SYNAPSE_DOCKER_SUITE || (displayLanguage ? `host-${displayLanguage}` : 'host');
const resultsDir = path.join(root, 'test-results', path.basename(suiteName));

const { log, cleanups, runAndExit } = createRunnerCleanup('host');

async function waitForResults(file: string, server: RunningCodeServer, timeoutMs: number): Promise<HostTestResults> {
  const deadline = Date.now() + timeoutMs;
  let serverExited = false;
  void server.exited.then(() => (serverExited = true));
  for (;;) {
    if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, 'utf8')) as HostTestResults;
    if (serverExited) throw new Error(`code-server exited before the tests reported; see ${server.logFile}`);
    if (Date.now() > deadline) {
      throw new Error(
        `no test results after ${Math.round(timeoutMs / 1000)} s (the extension host never ran the suite); see ${server.logFile}`,
      );
    }
    await sleep(250);
  }
}

/**
 * A copy of the built extension with a pseudo-translated l10n bundle beside the English one, so
 * nothing is written into the repository (or the .vsix). A copy, not links: VS Code gives a module
 * its extension's API by the module's real path.
 */
function withPseudoTranslation(extensionDir: string, runDir: string): string {
  const dir = path.join(runDir, 'extension-qps-ploc');
  fs.mkdirSync(path.join(dir, 'l10n'), { recursive: true });
  for (const entry of ['package.json', 'package.nls.json', 'dist', 'media'])
    fs.cpSync(path.join(extensionDir, entry), path.join(dir, entry), { recursive: true });
  const english = JSON.parse(fs.readFileSync(path.join(extensionDir, 'l10n', 'bundle.l10n.json'), 'utf8')) as l10nJsonFormat;
  const pseudo = Object.fromEntries(
    Object.entries(getL10nPseudoLocalized(english)).map(([key, value]) => [key, typeof value === 'string' ? value : value.message]),
  );
  fs.writeFileSync(path.join(dir, 'l10n', 'bundle.l10n.json'), JSON.stringify(english));
  fs.writeFileSync(path.join(dir, 'l10n', `bundle.l10n.${PSEUDO_LANGUAGE}.json`), JSON.stringify(pseudo, null, 1));
  // The manifest's strings (commands, views, settings) too.
  const manifestStrings = JSON.parse(fs.readFileSync(path.join(extensionDir, 'package.nls.json'), 'utf8')) as l10nJsonFormat;
  fs.writeFileSync(path.join(dir, `package.nls.${PSEUDO_LANGUAGE}.json`), JSON.stringify(getL10nPseudoLocalized(manifestStrings), null, 1));
  return dir;
}

async function main(): Promise<number> {
  const started = Date.now();
  const sandboxFile = sandboxJsonPath(root);
  const sandbox = readSandboxInfo(sandboxFile);
  const alice = sandboxUser(sandbox, 'alice');
  const builtExtension = extensionDevelopmentPath(root);
  const testsIndex = path.join(root, 'out', 'test', 'host', 'index.js');
  if (!fs.existsSync(testsIndex)) throw new Error(`${testsIndex} is missing: run npm run build`);

  const install = await ensureCodeServer();
  log(`code-server ${install.version} ${install.reused ? '(reused)' : `installed in ${install.seconds} s`}`);

  // Fresh state for every run, under a short folder (socket paths).
  const dirs = createRunFolders({ log, cleanups }, { prefix: 'sdh-', resultsDir, greeting: 'hello from the host tests' });
  const devPath = displayLanguage === PSEUDO_LANGUAGE ? withPseudoTranslation(builtExtension, dirs.runDir) : builtExtension;
  if (displayLanguage) log(`display language ${displayLanguage}; extension from ${devPath}`);
  const resultsFile = path.join(resultsDir, 'results.json');

  const server = await startCodeServer({
    install,
    userDataDir: dirs.userData,
    extensionsDir: dirs.extensions,
    serverDataDir: dirs.serverData,
    logFile: path.join(resultsDir, 'code-server.log'),
    settings: sandboxSettings(sandbox),
    displayLanguage,
    env: {
      ...(sandbox.dockerHost ? { DOCKER_HOST: sandbox.dockerHost } : {}),
      SYNAPSE_DOCKER_TEST_RESULTS: resultsFile,
      SYNAPSE_SANDBOX_JSON: sandboxFile,
      SYNAPSE_DOCKER_TEST_HOST: `code-server ${install.version}${displayLanguage ? ` (${displayLanguage})` : ''}`,
      ...(displayLanguage ? { SYNAPSE_DOCKER_TEST_LOCALE: displayLanguage } : {}),
      // VS Code's files on the server side; code-server keeps SecretStorage in the browser
      // (localStorage "secrets.provider", sealed with a key half from <user-data>/serve-web-key-half),
      // so no server-side file is allowed to hold the token.
      SYNAPSE_DOCKER_SCAN_DIRS: [dirs.userData, dirs.extensions, dirs.serverData, dirs.workspace].join(path.delimiter),
      SYNAPSE_DOCKER_SECRET_STORE: '',
    },
  });
  cleanups.push(() => server.stop());
  log(`code-server pid ${server.pid} at ${server.url}`);

  const browser: RunningBrowser = await launchChromium(dirs.browser);
  cleanups.push(() => browser.close());
  const url = workbenchUrl(server.url, dirs.workspace, {
    extensionDevelopmentPath: devPath,
    extensionTestsPath: testsIndex,
  });
  log(`opening ${url}`);
  await browser.page.goto(url, { waitUntil: 'domcontentloaded' });

  let results: HostTestResults;
  try {
    results = await waitForResults(resultsFile, server, Number(process.env.SYNAPSE_DOCKER_HOST_TIMEOUT ?? 240) * 1000);
  } catch (error) {
    await browser.page.screenshot({ path: path.join(resultsDir, 'workbench.png') }).catch(() => undefined);
    throw error;
  } finally {
    fs.writeFileSync(
      path.join(resultsDir, 'browser-console.log'),
      [...browser.consoleLines, ...browser.blockedRequests.map((u) => `[blocked non-loopback request] ${u}`)].join('\n') + '\n',
    );
  }

  // The workbench as the tests left it (the extension host ends after the suite).
  await sleep(1000);
  await browser.page.screenshot({ path: path.join(resultsDir, 'workbench.png') }).catch((error: Error) => {
    log(`screenshot failed: ${error.message}`);
  });

  // The browser side: its profile (localStorage, IndexedDB: where the web workbench keeps
  // SecretStorage and extension state) must never hold the token in clear.
  await browser.close();
  const browserScan = scanForSecret([dirs.browser], alice.token);
  const tests: ReportedTest[] = results.tests.map((t) => ({ ...t }));
  tests.push({
    titlePath: ['code-server browser side', 'keeps no plain copy of the token in the browser profile'],
    state: browserScan.hits.length === 0 && browserScan.filesScanned > 0 ? 'passed' : 'failed',
    message:
      browserScan.filesScanned === 0
        ? `scanned no files under ${dirs.browser}`
        : `the token appears in clear in: ${browserScan.hits.map((h) => `${h.file} (${h.encoding})`).join(', ')}`,
  });

  const outbound = [
    ...browser.blockedRequests.map((u) => `browser: ${u}`),
    ...outboundAttemptsInLog(server.logFile).map((l) => `server: ${l}`),
  ];
  tests.push({
    titlePath: ['code-server browser side', 'contacts nothing outside 127.0.0.1 (browser and server)'],
    state: outbound.length === 0 ? 'passed' : 'failed',
    message: `non-loopback traffic was attempted:\n${outbound.join('\n')}`,
  });
  const tally = printMochaStyle(tests, Date.now() - started);
  if (results.error) console.log(`  error: ${results.error}`);
  log(`done in ${formatDuration(Date.now() - started)}; screenshot ${path.relative(root, path.join(resultsDir, 'workbench.png'))}`);
  const ok = tally.failing === 0 && tally.passing > 0 && !results.error;
  if (tally.passing + tally.failing === 0) console.log('  no tests ran');
  return ok ? 0 : 1;
}

runAndExit(main, 'host tests');
