// Notifications stay short and offer the next step as buttons. A button acts when clicked; nobody
// waits for the answer, so an unanswered notification never holds a command (or a test) open.
import * as vscode from 'vscode';

export interface NextStep {
  title: string;
  run(): unknown;
}

type Level = 'info' | 'warning' | 'error';

function show(level: Level, message: string, titles: string[]): Thenable<string | undefined> {
  if (level === 'info') return vscode.window.showInformationMessage(message, ...titles);
  if (level === 'warning') return vscode.window.showWarningMessage(message, ...titles);
  return vscode.window.showErrorMessage(message, ...titles);
}

/** Shows `message` with a button per step; resolves once a button was clicked or the notification closed. */
export function notify(level: Level, message: string, ...steps: NextStep[]): Thenable<void> {
  return show(level, message, steps.map((step) => step.title)).then(async (choice) => {
    await steps.find((step) => step.title === choice)?.run();
  });
}

/** A step that runs one of the extension's (or VS Code's) commands. */
export function commandStep(title: string, command: string, ...args: unknown[]): NextStep {
  return { title, run: () => vscode.commands.executeCommand(command, ...args) };
}
