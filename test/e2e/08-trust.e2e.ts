// Journey 8, trust: a folder cannot decide where the token goes, the token offer says where it
// will be sent, and an unusable endpoint setting is shown in the view with the way to fix it.
// 1. The workbench opens a hostile folder whose .vscode/settings.json names a recording loopback
//    server (started here) as endpoint, registry, portal and tcp:// Docker engine. alice signs in
//    from the palette: the token box names the user's own endpoint, the tree lists the sandbox's
//    projects, the registry check runs against the user's engine and registry, and the recorder
//    receives nothing (not even a connection).
// 2. A ~/.synapseConfig holding bob's token (in the private HOME run.ts gives code-server): "Synapse:
//    Sign In" offers it as "Use the token from ~/.synapseConfig [default] — sent to <sandbox>";
//    choosing it signs bob in.
// 3. The user's endpoint setting becomes ftp://x: the view says why, ending "— Open Settings";
//    clicking it opens the Settings editor on synapseDocker.endpoint, where the sandbox's endpoint
//    is typed back; the view recovers (bob signed in again, projects listed) without a reload.
//
// Expects: nobody signed in (journey 7), no notification; repairs that itself when it is not so.
// Leaves:  nobody signed in, the run's workspace folder open again with the welcome view, the
//          user settings file as it was, no ~/.synapseConfig, no notification.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { workbenchUrl } from '../vscode/browser';
import { sandboxUser } from '../vscode/sandboxInfo';
import { e2e } from './context';
import {
  activationLines,
  assertNoTokenInClear,
  beginJourney,
  CONTAINER,
  extensionLogLines,
  PROJECT_NAME,
  settleForScreenshot,
  SIDE_BAR_WIDTH,
  signedInUser,
  skipAfterFailure,
  VIEW,
  waitForActivations,
} from './journey';
import {
  accountStatusBarItem,
  clearAllNotifications,
  closeContextMenu,
  closeQuickInput,
  focusWorkbench,
  openViewContainer,
  quickInput,
  quickInputText,
  quickPickRow,
  resizeSideBar,
  runCommand,
  signOutThroughPalette,
  treeRow,
  waitForNotification,
  waitForProgressToFinish,
  waitForQuickInput,
  waitForStatusBarItem,
  waitForWorkbench,
  welcomeButton,
  welcomeView,
} from './workbench';

const FIRST_USER = 'alice';
const OFFERED_USER = 'bob'; // the token in ~/.synapseConfig: a different user shows which token signed in
const INVALID_ENDPOINT = 'ftp://x';
const ENDPOINT_PROBLEM = 'The Synapse endpoint must use https, not ftp.';
const ENDPOINT_KEY = 'synapseDocker.endpoint';

/** A loopback HTTP server that answers 500 to everything and remembers every connection and request. */
interface Recorder {
  port: number;
  connections: number;
  requests: string[];
  close(): Promise<void>;
}

async function startRecorder(): Promise<Recorder> {
  const requests: string[] = [];
  let connections = 0;
  const server = http.createServer((request, response) => {
    const headers = [
      request.headers.authorization ? 'Authorization' : '',
      request.headers['x-registry-auth'] ? 'X-Registry-Auth' : '',
    ].filter(Boolean);
    requests.push(`${request.method} ${request.url}${headers.length ? ` (${headers.join(', ')})` : ''}`);
    request.resume();
    response.writeHead(500, { 'content-type': 'text/plain' }).end('recorder');
  });
  // Counted before any HTTP parsing: a TLS handshake or a raw engine connection counts too.
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    get connections() {
      return connections;
    },
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function assertRecorderUntouched(recorder: Recorder, when: string): void {
  assert.equal(
    recorder.connections,
    0,
    `${when}: the folder's server got ${recorder.connections} connection(s): ${recorder.requests.join(', ') || '(no complete HTTP request)'}`,
  );
}

/** Opens `folder` in the workbench (a new extension host) and waits for the extension to activate there. */
async function openFolder(page: Page, folder: string): Promise<string> {
  const { server } = e2e();
  const before = activationLines().length;
  await closeQuickInput(page);
  await clearAllNotifications(page);
  await page.goto(workbenchUrl(server.url, folder), { waitUntil: 'domcontentloaded' });
  await waitForWorkbench(page);
  await openViewContainer(page, CONTAINER, 60_000);
  await resizeSideBar(page, SIDE_BAR_WIDTH);
  const activated = (await waitForActivations(page, before + 1)).at(-1)!;
  await waitForProgressToFinish(page, 15_000);
  return activated;
}

/** The user settings file, parsed (the harness writes plain JSON; the Settings editor keeps it so). */
/** The user settings file; undefined while code-server is rewriting it (truncated, or half written). */
function readUserSettings(): Record<string, unknown> | undefined {
  const text = fs.readFileSync(e2e().server.settingsFile, 'utf8');
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch (error) {
    if (error instanceof SyntaxError) return undefined;
    throw error;
  }
}

/** The text field of synapseDocker.endpoint in the open Settings editor. */
function endpointInput(page: Page) {
  return page.locator(`.settings-editor .setting-item-contents[data-key="${ENDPOINT_KEY}"] .setting-item-control input`);
}

/** "Preferences: Open User Settings", then types the endpoint setting's id into its search box; returns the editor. */
async function openEndpointInSettingsEditor(page: Page) {
  await runCommand(page, 'Preferences: Open User Settings');
  const settingsEditor = page.locator('.settings-editor');
  await settingsEditor.waitFor({ state: 'visible', timeout: 15_000 });
  await settingsEditor.locator('.settings-header .suggest-input-container').click();
  await page.keyboard.press('ControlOrMeta+a'); // replaces an earlier search
  await page.keyboard.type(ENDPOINT_KEY);
  await endpointInput(page).waitFor({ state: 'visible', timeout: 15_000 });
  return settingsEditor;
}

/** Waits until the Settings editor has written `value` as the endpoint into the user settings file. */
async function waitForUserSetting(page: Page, value: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (readUserSettings()?.[ENDPOINT_KEY] !== value && Date.now() < deadline) await page.waitForTimeout(200);
  assert.equal(readUserSettings()?.[ENDPOINT_KEY], value, `the Settings editor wrote ${ENDPOINT_KEY} = ${value} to the user settings file`);
}

/** Waits until a predicate over the Synapse Docker log lines holds; returns the matching lines. */
async function waitForLogLines(
  page: Page,
  accept: (line: string) => boolean,
  count: number,
  what: string,
  timeoutMs = 20_000,
): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  let lines = extensionLogLines(accept);
  while (lines.length < count && Date.now() < deadline) {
    await page.waitForTimeout(250);
    lines = extensionLogLines(accept);
  }
  assert.ok(lines.length >= count, `waited ${timeoutMs} ms for ${what}: ${lines.length} of ${count} log lines`);
  return lines;
}

describe('Journey 8: trust — a hostile folder cannot move the token; the token offer names its endpoint; an invalid endpoint shows in the view', function () {
  this.timeout(120_000);
  skipAfterFailure();

  let recorder: Recorder;
  let hostileFolder: string;
  let originalUserSettings: string;
  let configFile: string;

  before(async () => {
    const { workspace, home, server } = e2e();
    recorder = await startRecorder();
    originalUserSettings = fs.readFileSync(server.settingsFile, 'utf8');
    configFile = path.join(home, '.synapseConfig');
    hostileFolder = path.join(path.dirname(workspace), 'hostile-workspace');
    fs.mkdirSync(path.join(hostileFolder, '.vscode'), { recursive: true });
    fs.copyFileSync(path.join(workspace, 'Dockerfile'), path.join(hostileFolder, 'Dockerfile'));
    const at = `127.0.0.1:${recorder.port}`;
    fs.writeFileSync(
      path.join(hostileFolder, '.vscode', 'settings.json'),
      `${JSON.stringify(
        {
          'synapseDocker.endpoint': `http://${at}`,
          'synapseDocker.registry': at,
          'synapseDocker.portalUrl': `http://${at}`,
          'synapseDocker.dockerHost': `tcp://${at}`,
        },
        null,
        2,
      )}\n`,
    );
  });

  after(async () => {
    // Also when a step failed before "leaves …" could: nothing of this journey stays behind.
    fs.rmSync(configFile, { force: true });
    if (fs.readFileSync(e2e().server.settingsFile, 'utf8') !== originalUserSettings)
      fs.writeFileSync(e2e().server.settingsFile, originalUserSettings);
    await recorder?.close();
  });

  it(`opens a folder whose settings name another endpoint, registry, portal and tcp:// engine; ${FIRST_USER} signs in and only the user's sandbox is contacted`, async () => {
    const { page, sandbox, screenshot } = e2e();
    await beginJourney(page, 'Journey 8', undefined);
    const activated = await openFolder(page, hostileFolder);
    assert.ok(activated.includes(`(endpoint ${sandbox.synapseEndpoint}, signed out)`), `activation in the hostile folder: ${activated}`);
    await welcomeButton(page, VIEW, 'Sign in to Synapse').waitFor({ state: 'visible', timeout: 30_000 });

    const signInsBefore = extensionLogLines((l) => l.includes(`] Signed in to `)).length;
    const registryChecksBefore = extensionLogLines((l) => l.includes(`accepted the token of ${FIRST_USER}`)).length;
    await runCommand(page, 'Synapse: Sign In');
    const box = await waitForQuickInput(page);
    assert.equal(
      await box.getAttribute('type'),
      'password',
      `expected the token box (no token to offer), got: ${await quickInputText(page)}`,
    );
    const prompt = await quickInputText(page);
    assert.ok(prompt.includes(`It will be sent to ${sandbox.synapseEndpoint}.`), `the token box names the user's endpoint: ${prompt}`);
    assert.ok(!prompt.includes(String(recorder.port)), `the token box names the folder's server: ${prompt}`);
    await box.fill(sandboxUser(sandbox, FIRST_USER).token);
    await box.press('Enter');

    await waitForStatusBarItem(page, new RegExp(`^\\s*\\S*\\s*${FIRST_USER}\\s*$`), 30_000);
    await waitForNotification(page, `Signed in to Synapse as ${FIRST_USER}.`, 15_000);
    await treeRow(page, VIEW, PROJECT_NAME).first().waitFor({ state: 'visible', timeout: 30_000 });
    await waitForProgressToFinish(page, 15_000);
    const signIn = (await waitForLogLines(page, (l) => l.includes(`] Signed in to `), signInsBefore + 1, 'the sign-in log line')).at(-1)!;
    assert.ok(signIn.includes(`Signed in to ${sandbox.synapseEndpoint} as ${FIRST_USER} (`), `log: ${signIn}`);
    // The engine's registry login check (POST /auth) ran, against the user's engine and registry.
    const registryCheck = (
      await waitForLogLines(
        page,
        (l) => l.includes(`accepted the token of ${FIRST_USER}`),
        registryChecksBefore + 1,
        'the registry login check',
      )
    ).at(-1)!;
    assert.ok(registryCheck.includes(`Registry ${sandbox.registry} accepted the token of ${FIRST_USER}`), `log: ${registryCheck}`);
    await page.waitForTimeout(1_000); // anything sent late would still arrive
    assertRecorderUntouched(recorder, 'after sign-in and browsing');

    // For the screenshot: the folder's settings beside the view that ignores them.
    await focusWorkbench(page);
    await page.keyboard.press('F1');
    const quickOpen = await waitForQuickInput(page);
    await quickOpen.fill('.vscode/settings.json');
    await quickPickRow(page, 'settings.json').first().waitFor({ state: 'visible', timeout: 15_000 });
    await quickOpen.press('Enter');
    const editor = page.locator('.editor-instance .monaco-editor').first();
    await editor.locator('.view-lines', { hasText: `tcp://127.0.0.1:${recorder.port}` }).waitFor({ state: 'visible', timeout: 15_000 });
    await settleForScreenshot(page, { keepNotifications: true });
    assert.equal(await signedInUser(page), FIRST_USER);
    await screenshot('journey8-01-hostile-folder-ignored');
  });

  it(`offers the token in ~/.synapseConfig naming the endpoint it will be sent to; choosing it signs ${OFFERED_USER} in`, async () => {
    const { page, sandbox, screenshot } = e2e();
    await clearAllNotifications(page);
    await signOutThroughPalette(page, FIRST_USER);
    await clearAllNotifications(page);
    fs.writeFileSync(configFile, `[default]\nusername = ${OFFERED_USER}\nauthtoken = ${sandboxUser(sandbox, OFFERED_USER).token}\n`, {
      mode: 0o600,
    });

    await runCommand(page, 'Synapse: Sign In');
    await waitForQuickInput(page);
    const offerText = `Use the token from ~/.synapseConfig [default] — sent to ${sandbox.synapseEndpoint}`;
    const offer = quickPickRow(page, offerText).first();
    await offer.waitFor({ state: 'visible', timeout: 15_000 });
    assert.equal(((await offer.locator('.label-name').first().textContent()) ?? '').trim(), offerText);
    assert.equal(((await offer.locator('.label-description').first().textContent()) ?? '').trim(), OFFERED_USER);
    await quickPickRow(page, 'Enter a personal access token…').first().waitFor({ state: 'visible' });
    assert.ok(
      !(await quickInputText(page)).includes(String(recorder.port)),
      `the offer names the folder's server: ${await quickInputText(page)}`,
    );
    await offer.hover();
    await screenshot('journey8-02-token-offer');

    await offer.click();
    await quickInput(page).waitFor({ state: 'hidden', timeout: 10_000 });
    await waitForStatusBarItem(page, new RegExp(`^\\s*\\S*\\s*${OFFERED_USER}\\s*$`), 30_000);
    await waitForNotification(page, `Signed in to Synapse as ${OFFERED_USER}.`, 15_000);
    await treeRow(page, VIEW, PROJECT_NAME).first().waitFor({ state: 'visible', timeout: 30_000 });
    await waitForProgressToFinish(page, 15_000);
    fs.rmSync(configFile, { force: true });
    assertRecorderUntouched(recorder, 'after signing in with the offered token');
  });

  it(`shows an invalid endpoint typed into the user settings (${INVALID_ENDPOINT}) in the view with "Open Settings"`, async () => {
    const { page, screenshot } = e2e();
    await clearAllNotifications(page);
    const settingsEditor = await openEndpointInSettingsEditor(page);
    const input = endpointInput(page);
    await input.fill(INVALID_ENDPOINT);
    await input.press('Enter');
    await waitForUserSetting(page, INVALID_ENDPOINT);

    const message = treeRow(page, VIEW, `${ENDPOINT_PROBLEM} — Open Settings`).first();
    await message.waitFor({ state: 'visible', timeout: 30_000 });
    assert.equal(((await message.locator('.label-name').textContent()) ?? '').trim(), `${ENDPOINT_PROBLEM} — Open Settings`);
    // The account was for another endpoint: nobody is shown signed in, and the message is all the view shows.
    await accountStatusBarItem(page).waitFor({ state: 'detached', timeout: 15_000 });
    await treeRow(page, VIEW, PROJECT_NAME).first().waitFor({ state: 'detached', timeout: 15_000 });
    await welcomeView(page, VIEW).waitFor({ state: 'hidden', timeout: 5_000 });
    await waitForProgressToFinish(page, 15_000);
    await settleForScreenshot(page);
    await screenshot('journey8-03-invalid-endpoint');
    // Close every editor, so what opens the Settings editor next is the message.
    await runCommand(page, 'View: Close All Editors');
    await settingsEditor.waitFor({ state: 'detached', timeout: 10_000 });
  });

  it('clicking the message opens the Settings editor on synapseDocker.endpoint; typing the endpoint back recovers the view without a reload', async () => {
    const { page, sandbox, screenshot } = e2e();
    const activations = activationLines().length;
    await treeRow(page, VIEW, `${ENDPOINT_PROBLEM} — Open Settings`).first().click();
    const settingsEditor = page.locator('.settings-editor');
    await settingsEditor.waitFor({ state: 'visible', timeout: 15_000 });
    const search = settingsEditor.locator('.settings-header .suggest-input-container .view-lines');
    await search.filter({ hasText: ENDPOINT_KEY }).waitFor({ state: 'visible', timeout: 10_000 });
    assert.equal(
      ((await search.innerText()) ?? '').replace(/\s+/g, ' ').trim(),
      ENDPOINT_KEY,
      'the Settings editor searches for the endpoint setting',
    );
    const setting = settingsEditor.locator(`.setting-item-contents[data-key="${ENDPOINT_KEY}"]`);
    await setting.waitFor({ state: 'visible', timeout: 10_000 });
    const shown = await settingsEditor
      .locator('.settings-tree-container .setting-item-contents[data-key]')
      .evaluateAll((els) => els.map((el) => el.getAttribute('data-key')));
    assert.deepEqual(shown, [ENDPOINT_KEY], 'the endpoint setting is the one shown');
    const input = endpointInput(page);
    assert.equal(await input.inputValue(), INVALID_ENDPOINT);
    await screenshot('journey8-04-settings-editor');

    await input.fill(sandbox.synapseEndpoint);
    await input.press('Enter');
    // The file gets the value; the extension sees the change and restores bob's session for that endpoint.
    await waitForUserSetting(page, sandbox.synapseEndpoint);
    await waitForStatusBarItem(page, new RegExp(`^\\s*\\S*\\s*${OFFERED_USER}\\s*$`), 30_000);
    await treeRow(page, VIEW, PROJECT_NAME).first().waitFor({ state: 'visible', timeout: 30_000 });
    await treeRow(page, VIEW, `${ENDPOINT_PROBLEM} — Open Settings`).first().waitFor({ state: 'detached', timeout: 10_000 });
    await waitForProgressToFinish(page, 15_000);
    assert.equal(activationLines().length, activations, 'recovered without a reload (no new activation)');
    assertRecorderUntouched(recorder, 'after the endpoint was fixed');
    // The open Settings editor keeps showing what the field held when it rendered (a VS Code quirk
    // seen here); reopened, it shows the value now in effect.
    await runCommand(page, 'View: Close All Editors');
    await settingsEditor.waitFor({ state: 'detached', timeout: 10_000 });
    await openEndpointInSettingsEditor(page);
    assert.equal(
      await endpointInput(page).inputValue(),
      sandbox.synapseEndpoint,
      'the reopened Settings editor shows the restored endpoint',
    );
    await settleForScreenshot(page);
    await screenshot('journey8-05-recovered');
  });

  it('no token of the journey is in clear in the browser storage or on disk', async () => {
    await assertNoTokenInClear(e2e().page, [FIRST_USER, OFFERED_USER]);
  });

  it('leaves nobody signed in, the run’s folder open again, the settings as they were', async () => {
    const { page, server, workspace } = e2e();
    await closeContextMenu(page);
    await closeQuickInput(page);
    await clearAllNotifications(page);
    fs.rmSync(configFile, { force: true });
    if (fs.readFileSync(server.settingsFile, 'utf8') !== originalUserSettings) fs.writeFileSync(server.settingsFile, originalUserSettings);
    // Reopening the run's folder starts a new extension host, which reads the restored settings.
    const activated = await openFolder(page, workspace);
    const user = / signed in as (\S+)\)$/.exec(activated)?.[1];
    if (user) {
      await waitForStatusBarItem(page, new RegExp(`^\\s*\\S*\\s*${user}\\s*$`), 15_000);
      await signOutThroughPalette(page, user);
    }
    await welcomeView(page, VIEW).waitFor({ state: 'visible', timeout: 15_000 });
    await clearAllNotifications(page);
    assert.equal(fs.readFileSync(server.settingsFile, 'utf8'), originalUserSettings);
  });
});
