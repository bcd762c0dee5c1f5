// The build wizard asks the Docker engine first: with the engine gone, "Build Image for Synapse"
// says so at once, with Retry, and asks nothing; with the engine back, the same command gets past
// the check to the wizard's first question.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { EXTENSION_ID, readSandbox, runCommand, sleep, waitFor } from './helpers';

type Shown = { kind: 'error' | 'warning' | 'info'; message: string; items: string[] };
type AnyFunction = (...args: unknown[]) => unknown;

/**
 * Records notifications (answered at once, as if closed) and the wizard's quick inputs (each
 * opened one is hidden at once, as a user pressing Escape would) while `step` runs.
 */
async function recording(step: (shown: Shown[], asked: string[]) => Promise<unknown>): Promise<{ shown: Shown[]; asked: string[] }> {
  const window = vscode.window as unknown as Record<string, AnyFunction>;
  const names = { showErrorMessage: 'error', showWarningMessage: 'warning', showInformationMessage: 'info' } as const;
  const originals = Object.fromEntries(
    [...Object.keys(names), 'createQuickPick', 'createInputBox', 'showQuickPick'].map((name) => [name, window[name]]),
  );
  const shown: Shown[] = [];
  const asked: string[] = [];
  try {
    for (const [name, kind] of Object.entries(names)) {
      window[name] = (message: unknown, ...rest: unknown[]) => {
        shown.push({
          kind,
          message: String(message),
          items: rest
            .map((item) => (typeof item === 'string' ? item : (item as { title?: string })?.title))
            .filter((i): i is string => typeof i === 'string'),
        });
        return Promise.resolve(undefined);
      };
    }
    for (const name of ['createQuickPick', 'createInputBox']) {
      window[name] = (...args: unknown[]) => {
        const input = originals[name].apply(vscode.window, args) as vscode.QuickPick<vscode.QuickPickItem> | vscode.InputBox;
        const show = input.show.bind(input);
        input.show = () => {
          asked.push(`${name}: ${input.title ?? ''}`);
          show();
          setTimeout(() => input.hide(), 200);
        };
        return input;
      };
    }
    window.showQuickPick = (...args: unknown[]) => {
      asked.push(`showQuickPick: ${JSON.stringify((args[1] as { title?: string })?.title)}`);
      return Promise.resolve(undefined);
    };
    await step(shown, asked);
  } finally {
    for (const [name, original] of Object.entries(originals)) window[name] = original;
  }
  return { shown, asked };
}

describe('Build: the engine is checked before the wizard asks anything', function () {
  this.timeout(90_000);
  const config = () => vscode.workspace.getConfiguration('synapseDocker');
  let folder: string;
  let dockerfile: vscode.Uri;
  let userDockerHost: unknown;

  before(async () => {
    await vscode.extensions.getExtension(EXTENSION_ID)!.activate();
    folder = fs.mkdtempSync(path.join(os.tmpdir(), 'build-engine-'));
    fs.writeFileSync(path.join(folder, 'Dockerfile'), 'FROM local/busybox:1\n');
    dockerfile = vscode.Uri.file(path.join(folder, 'Dockerfile'));
    userDockerHost = config().inspect('dockerHost')?.globalValue;
  });

  after(async () => {
    await config().update('dockerHost', userDockerHost, vscode.ConfigurationTarget.Global);
    fs.rmSync(folder, { recursive: true, force: true });
    await vscode.commands.executeCommand('notifications.clearAll');
  });

  it('says at once that the engine cannot be reached, with Retry, and asks no question', async () => {
    const gone = path.join(folder, 'no-engine', 'docker.sock');
    await config().update('dockerHost', `unix://${gone}`, vscode.ConfigurationTarget.Global);
    await sleep(200); // the setting's change resets the connection
    const started = Date.now();
    const { shown, asked } = await recording(() => runCommand('synapseDocker.buildImage', [dockerfile], 30_000));
    const tookMs = Date.now() - started;
    assert.deepEqual(asked, [], 'no question before the engine answered');
    assert.deepEqual(
      shown.map((s) => [s.kind, s.items]),
      [['error', ['Retry']]],
      JSON.stringify(shown),
    );
    assert.equal(
      shown[0].message,
      `The Docker engine cannot be reached, so nothing can be built: Docker is not running: there is no socket at unix://${gone} (setting). Start Docker, or set synapseDocker.dockerHost.`,
    );
    assert.ok(tookMs < 10_000, `the answer took ${tookMs} ms`);
  });

  it('with the engine back, gets past the check to the first question', async () => {
    const sandbox = readSandbox();
    assert.ok(sandbox.dockerHost, 'the stack has an engine');
    await config().update('dockerHost', sandbox.dockerHost, vscode.ConfigurationTarget.Global);
    await sleep(200);
    const { shown, asked } = await recording(async (seen, questions) => {
      await runCommand('synapseDocker.buildImage', [dockerfile], 30_000).catch(() => undefined);
      await waitFor('a question or a notification', () => questions.length + seen.length > 0 || undefined, 15_000).catch(() => undefined);
    });
    // Signed out, the first step needs a sign-in (an error naming it); signed in, it asks the project.
    assert.ok(!shown.some((s) => s.message.startsWith('The Docker engine cannot be reached')), JSON.stringify(shown));
    assert.ok(asked.length > 0 || shown.some((s) => s.kind === 'error'), `nothing happened: ${JSON.stringify({ shown, asked })}`);
  });
});
