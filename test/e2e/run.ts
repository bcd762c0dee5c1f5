// node out/test/e2e/run.js
// End-to-end journeys: code-server on 127.0.0.1 with the packaged extension (synapse-docker.vsix,
// made by `npm run package`) installed through code-server's --install-extension, the workbench in
// Debian's Chromium driven by playwright-core, journeys in out/test/e2e/*.e2e.js run by mocha in
// this process. Screenshots go to test-results/e2e/; on a failure also the page's HTML.
//
// Environment: SYNAPSE_SANDBOX_JSON (as for the host tests), SYNAPSE_DOCKER_VSIX (another .vsix),
// SYNAPSE_DOCKER_E2E_GREP (only journeys whose title matches), SYNAPSE_DOCKER_KEEP=1,
// SYNAPSE_DOCKER_SUITE (the suite's name, e.g. e2e-podman: its results go to test-results/<name>).
// code-server runs with a private HOME (<run folder>/home), never the user's.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as MochaModule from 'mocha';
import { createRunFolders, createRunnerCleanup } from '../vscode/cleanup';
import { ensureCodeServer, installVsix, outboundAttemptsInLog, repoRoot, startCodeServer } from '../vscode/codeServer';
import { launchChromium, workbenchUrl, type RunningBrowser } from '../vscode/browser';
import { readSandboxInfo, sandboxJsonPath, sandboxSettings } from '../vscode/sandboxInfo';
import { setE2EContext } from './context';
import { waitForWorkbench } from './workbench';

type MochaClass = typeof import('mocha');
const Mocha: MochaClass =
  (MochaModule as unknown as { Mocha?: MochaClass }).Mocha ??
  (MochaModule as unknown as { default?: MochaClass }).default ??
  (MochaModule as unknown as MochaClass);

const root = repoRoot();
const resultsDir = path.join(root, 'test-results', path.basename(process.env.SYNAPSE_DOCKER_SUITE || 'e2e'));

const { log, cleanups, runAndExit } = createRunnerCleanup('e2e');

function safeName(title: string): string {
  return (
    title
      .replace(/[^a-zA-Z0-9._-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 100) || 'test'
  );
}

async function main(): Promise<number> {
  const started = Date.now();
  const sandboxFile = sandboxJsonPath(root);
  const sandbox = readSandboxInfo(sandboxFile);
  // The journeys run the packaged artifact, installed as a user would install it.
  const vsix = path.resolve(process.env.SYNAPSE_DOCKER_VSIX ?? path.join(root, 'synapse-docker.vsix'));
  const journeys = fs.existsSync(__dirname)
    ? fs
        .readdirSync(__dirname)
        .filter((f) => f.endsWith('.e2e.js'))
        .sort()
        .map((f) => path.join(__dirname, f))
    : [];
  if (journeys.length === 0) throw new Error(`no *.e2e.js journeys in ${__dirname} (run the build first)`);

  const install = await ensureCodeServer();
  log(`code-server ${install.version} ${install.reused ? '(reused)' : `installed in ${install.seconds} s`}`);
  const dirs = createRunFolders({ log, cleanups }, { prefix: 'sde-', resultsDir, greeting: 'hello from the e2e journeys' });
  log(`installing ${path.relative(root, vsix)}: ${installVsix(install, vsix, dirs.extensions).split('\n').pop()}`);
  // A private HOME for the server and its extension host: the extension looks for ~/.synapseConfig
  // (journey 8 writes one there), and the real one must be neither offered nor touched.
  const home = path.join(dirs.runDir, 'home');
  fs.mkdirSync(home, { recursive: true });

  const server = await startCodeServer({
    install,
    userDataDir: dirs.userData,
    extensionsDir: dirs.extensions,
    serverDataDir: dirs.serverData,
    logFile: path.join(resultsDir, 'code-server.log'),
    settings: {
      ...sandboxSettings(sandbox),
      // The test engines have no bridge network: RUN steps of the journeys' builds use none.
      'synapseDocker.build.network': 'none',
      // Quieter screenshots: no minimap, no breadcrumbs.
      'editor.minimap.enabled': false,
      'breadcrumbs.enabled': false,
    },
    env: {
      HOME: home,
      ...(sandbox.dockerHost ? { DOCKER_HOST: sandbox.dockerHost } : {}),
      SYNAPSE_SANDBOX_JSON: sandboxFile,
    },
  });
  cleanups.push(() => server.stop());
  log(`code-server pid ${server.pid} at ${server.url}`);

  const browser: RunningBrowser = await launchChromium(dirs.browser);
  cleanups.push(async () => {
    fs.writeFileSync(
      path.join(resultsDir, 'browser-console.log'),
      [...browser.consoleLines, ...browser.blockedRequests.map((u) => `[blocked non-loopback request] ${u}`)].join('\n') + '\n',
    );
    await browser.close();
  });
  const { page } = browser;
  const screenshot = async (name: string) => {
    const file = path.join(resultsDir, name.endsWith('.png') ? name : `${name}.png`);
    await page.screenshot({ path: file });
    return file;
  };
  setE2EContext({
    page,
    server,
    sandbox,
    sandboxFile,
    resultsDir,
    workspace: dirs.workspace,
    home,
    serverDirs: [dirs.userData, dirs.extensions, dirs.serverData],
    browserProfile: dirs.browser,
    screenshot,
  });

  const url = workbenchUrl(server.url, dirs.workspace);
  log(`opening ${url}`);
  await page.goto(url, { waitUntil: 'domcontentloaded' });
  await waitForWorkbench(page);

  const mocha = new Mocha({ ui: 'bdd', timeout: 60_000, reporter: 'spec', color: process.stdout.isTTY, bail: false });
  const grep = process.env.SYNAPSE_DOCKER_E2E_GREP;
  if (grep) mocha.grep(grep);
  mocha.rootHooks({
    // Reported as a failing "after all" hook when the workbench or the server reached beyond loopback.
    afterAll: function checkLoopbackOnly() {
      const outbound = [
        ...browser.blockedRequests.map((u) => `browser: ${u}`),
        ...outboundAttemptsInLog(server.logFile).map((l) => `server: ${l}`),
      ];
      if (outbound.length) throw new Error(`non-loopback traffic was attempted:\n${outbound.join('\n')}`);
    },
    afterEach: async function (this: Mocha.Context) {
      const test = this.currentTest;
      if (!test || test.state !== 'failed') return;
      const name = `failed-${safeName(test.fullTitle())}`;
      await page.screenshot({ path: path.join(resultsDir, `${name}.png`) }).catch(() => undefined);
      const html = await page.content().catch((error: Error) => `<!-- could not read the page: ${error.message} -->`);
      fs.writeFileSync(path.join(resultsDir, `${name}.html`), html);
      log(`saved ${path.relative(root, path.join(resultsDir, name))}.png/.html`);
    },
  });
  for (const file of journeys) mocha.addFile(file);
  const { failures, tests } = await new Promise<{ failures: number; tests: number }>((resolve) => {
    let count = 0;
    const runner = mocha.run((failed) => resolve({ failures: failed, tests: count }));
    runner.on('test end', () => count++);
  });
  log(`done in ${Math.round((Date.now() - started) / 100) / 10} s; screenshots in ${path.relative(root, resultsDir)}/`);
  if (tests === 0) {
    console.log('  no tests ran');
    return 1;
  }
  return failures > 0 ? 1 : 0;
}

runAndExit(main, 'e2e journeys');
