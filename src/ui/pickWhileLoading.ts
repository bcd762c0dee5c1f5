// A picker that opens at once and stays busy until its items have loaded. A lookup before a picker
// gets no progress toast: VS Code drops a fourth toast that follows three others within 0.8 s (its
// spam protection), and after a quick pick the one dropped was the refusal or the receipt.
import * as vscode from 'vscode';
import { whileLinked } from '../core/accounts';

export interface PickWhileLoadingOptions extends vscode.QuickPickOptions {
  /** Aborts the load as well (the account's signal). */
  signal?: AbortSignal;
  /** Called instead of showing an empty list; the picker closes. */
  whenEmpty?: () => void;
}

/** Resolves the picked item, or undefined when the picker was closed (which aborts the load) or the list was empty. */
export async function pickWhileLoading<T extends vscode.QuickPickItem>(
  load: (signal: AbortSignal) => Promise<T[]>,
  options: PickWhileLoadingOptions,
): Promise<T | undefined> {
  const { signal, whenEmpty, ...pickOptions } = options;
  const closed = new AbortController();
  const closeEmpty = new vscode.CancellationTokenSource();
  let empty = false;
  const items = whileLinked([closed.signal, signal], load).then((list) => {
    if (list.length === 0 && whenEmpty) {
      empty = true;
      closeEmpty.cancel();
    }
    return list;
  });
  // Closing the picker aborts the load; its rejection then has nobody waiting for it.
  items.catch(() => undefined);
  try {
    const picked = await vscode.window.showQuickPick(items, pickOptions, closeEmpty.token);
    if (empty) {
      whenEmpty!();
      return undefined;
    }
    return picked;
  } finally {
    closed.abort();
    closeEmpty.dispose();
  }
}
