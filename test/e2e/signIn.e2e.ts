// Journey: a signed-out user opens the Synapse Docker view, signs in with a personal access token
// through the welcome view's button, and sees their user name in the status bar.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { scanForSecret } from '../vscode/secretScan';
import { sandboxUser } from '../vscode/sandboxInfo';
import { e2e } from './context';
import {
  openViewContainer,
  quickInputText,
  readStatusBar,
  submitQuickInput,
  waitForQuickInput,
  waitForProgressToFinish,
  waitForStatusBarItem,
  welcomeButton,
  welcomeView,
} from './workbench';

const CONTAINER = 'Synapse Docker';
const VIEW = 'Projects';

describe('Sign in to Synapse from the welcome view', function () {
  it('shows the signed-out welcome view with a "Sign in to Synapse" button', async () => {
    const { page, screenshot } = e2e();
    await openViewContainer(page, CONTAINER, 60_000);
    await welcomeView(page, VIEW).waitFor({ state: 'visible', timeout: 30_000 });
    await welcomeButton(page, VIEW, 'Sign in to Synapse').waitFor({ state: 'visible' });
    await waitForProgressToFinish(page, 15_000); // extensions done activating
    await screenshot('01-welcome');
  });

  it("asks for a token and accepts alice's", async () => {
    const { page, sandbox, screenshot } = e2e();
    const alice = sandboxUser(sandbox, 'alice');
    await welcomeButton(page, VIEW, 'Sign in to Synapse').click();
    const box = await waitForQuickInput(page);
    assert.equal(await box.getAttribute('type'), 'password', 'the token input must hide what is typed');
    await box.fill(alice.token);
    await screenshot('02-token-input');
    assert.ok(!(await quickInputText(page)).includes(alice.token), 'the token must not be echoed in the input prompt');
    await submitQuickInput(page, alice.token);
  });

  it("shows alice's user name in the status bar and hides the welcome view", async () => {
    const { page, sandbox, screenshot } = e2e();
    const alice = sandboxUser(sandbox, 'alice');
    const item = await waitForStatusBarItem(page, alice.userName, 30_000);
    assert.ok((await item.innerText()).includes(alice.userName), `status bar: ${await readStatusBar(page)}`);
    await welcomeView(page, VIEW).waitFor({ state: 'hidden', timeout: 15_000 });
    await waitForProgressToFinish(page, 15_000); // the projects finish loading
    await screenshot('03-signed-in');
  });

  it('keeps the token only sealed in the browser secret store, never in clear on disk', async () => {
    const { page, sandbox, serverDirs, workspace, browserProfile } = e2e();
    const alice = sandboxUser(sandbox, 'alice');
    // code-server's SecretStorage: localStorage "secrets.provider", AES-GCM sealed in the browser.
    const sealed = await page.evaluate(() => localStorage.getItem('secrets.provider'));
    assert.ok(sealed, 'expected the sealed secret store in localStorage["secrets.provider"] after sign-in');
    assert.ok(!sealed.includes(alice.token), 'the secret store must not hold the token in clear');
    // Nothing else in the page's storage holds it (extension state lives in IndexedDB).
    const inStorage = await page.evaluate(async (token: string) => {
      const found: string[] = [];
      for (let i = 0; i < localStorage.length; i++) {
        const key = localStorage.key(i)!;
        if ((localStorage.getItem(key) ?? '').includes(token)) found.push(`localStorage:${key}`);
      }
      for (const info of await indexedDB.databases()) {
        if (!info.name) continue;
        const db = await new Promise<IDBDatabase>((resolve, reject) => {
          const req = indexedDB.open(info.name!);
          req.onsuccess = () => resolve(req.result);
          req.onerror = () => reject(req.error);
        });
        for (const storeName of Array.from(db.objectStoreNames)) {
          const values = await new Promise<unknown[]>((resolve, reject) => {
            const req = db.transaction(storeName, 'readonly').objectStore(storeName).getAll();
            req.onsuccess = () => resolve(req.result);
            req.onerror = () => reject(req.error);
          });
          const text = values.map((v) => (v instanceof Uint8Array ? new TextDecoder().decode(v) : JSON.stringify(v))).join('\n');
          if (text.includes(token)) found.push(`indexedDB:${info.name}/${storeName}`);
        }
        db.close();
      }
      return found;
    }, alice.token);
    assert.deepEqual(inStorage, [], 'the token appears in clear in the browser storage');
    // Server side (settings, logs including the extension's output channel, extension state).
    await new Promise((r) => setTimeout(r, 1500));
    const report = scanForSecret([...serverDirs, workspace, browserProfile], alice.token);
    assert.ok(report.filesScanned > 0);
    const leaks = report.hits.map((h) => `${path.relative('/', h.file)} (${h.encoding})`);
    assert.equal(leaks.length, 0, `the token leaked into: ${leaks.join(', ')}`);
    assert.ok(fs.existsSync(workspace));
  });
});
