// Notifications stay short and offer the next step as buttons. A button acts when clicked; nobody
// waits for the answer, so an unanswered notification never holds a command (or a test) open.
import * as vscode from 'vscode';
import { redact } from '../core/util/redact';
import { ToastPacer } from '../core/util/toastPacing';
import type { BuiltinCommandId, CommandId } from '../commands/ids';

export interface NextStep {
  title: string;
  run(): unknown;
}

type Level = 'info' | 'warning' | 'error';

// Every text shown passes through the redactor: an error's message may quote what a server said.
function show(level: Level, rawMessage: string, titles: string[]): Thenable<string | undefined> {
  const message = redact(rawMessage);
  if (level === 'info') return vscode.window.showInformationMessage(message, ...titles);
  if (level === 'warning') return vscode.window.showWarningMessage(message, ...titles);
  return vscode.window.showErrorMessage(message, ...titles);
}

// Every toast this extension adds is counted by the one pacer: notify and withNotificationProgress.
const pacer = new ToastPacer();

/** Shows `message` with a button per step; resolves once a button was clicked or the notification closed. */
export function notify(level: Level, message: string, ...steps: NextStep[]): Thenable<void> {
  const titled = steps.map((step) => ({ step, title: redact(step.title) }));
  pacer.addResult();
  return show(
    level,
    message,
    titled.map(({ title }) => title),
  ).then(async (choice) => {
    await titled.find(({ title }) => title === choice)?.step.run();
  });
}

/** A step that runs one of the extension's (or VS Code's) commands. */
export function commandStep(title: string, command: CommandId | BuiltinCommandId, ...args: unknown[]): NextStep {
  return { title, run: () => vscode.commands.executeCommand(command, ...args) };
}

/**
 * vscode.window.withProgress in a notification toast. When the toasts just shown leave no room for
 * this one and its result, it starts later: at most 0.86 s after the toast before the last one
 * (core/util/toastPacing).
 */
export async function withNotificationProgress<R>(
  options: Omit<vscode.ProgressOptions, 'location'>,
  task: (progress: vscode.Progress<{ message?: string; increment?: number }>, token: vscode.CancellationToken) => Thenable<R>,
): Promise<R> {
  const waitMs = pacer.reserveProgress();
  if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
  return vscode.window.withProgress({ ...options, location: vscode.ProgressLocation.Notification }, task);
}
