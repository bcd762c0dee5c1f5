// Shared by the suites that run inside the extension host (test/host/*.test.ts): the sandbox they
// run against, waiting, and running commands without letting a test hang.
// Environment (set by the runners): SYNAPSE_SANDBOX_JSON, the path of .synapse-sandbox/sandbox.json.
import * as vscode from 'vscode';
import { readSandboxInfo, type SandboxInfo } from '../vscode/sandboxInfo';
import type { LoadMoreNode, MessageNode, ProjectNode, RepositoryNode, TagNode, TreeNode } from '../../src/core/tree/nodes';

export { sandboxUser, type SandboxInfo, type SandboxUser } from '../vscode/sandboxInfo';

/** A tag as the sandbox's REST API lists it (GET /repo/v1/entity/{id}/dockerTag). */
export interface RestTag {
  tag: string;
  digest: string;
  createdOn: string;
}

/** A request the sandbox recorded (GET /__admin/stats). */
export type { RequestStat as StatsRequest } from '../sandbox/server/control';

/** The sandbox the runner pointed the host at ($SYNAPSE_SANDBOX_JSON), checked by readSandboxInfo. */
export function readSandbox(): SandboxInfo {
  const file = process.env.SYNAPSE_SANDBOX_JSON;
  if (!file) throw new Error('SYNAPSE_SANDBOX_JSON is not set: the runner must pass the path of sandbox.json');
  return readSandboxInfo(file);
}

export const EXTENSION_ID = 'sage-synapse-tools.synapse-docker';

/** A tree item's label and description as plain text. */
export function labelOf(item: vscode.TreeItem): string {
  const label = item.label;
  return typeof label === 'string' ? label : (label?.label ?? '');
}

export function descriptionOf(item: vscode.TreeItem): string {
  return typeof item.description === 'string' ? item.description : '';
}

/** The nodes of one kind among a node's children. */
export const projects = (nodes: TreeNode[]) => nodes.filter((n): n is ProjectNode => n.kind === 'project');
export const repositories = (nodes: TreeNode[]) => nodes.filter((n): n is RepositoryNode => n.kind === 'repository');
export const tags = (nodes: TreeNode[]) => nodes.filter((n): n is TagNode => n.kind === 'tag');
export const loadMores = (nodes: TreeNode[]) => nodes.filter((n): n is LoadMoreNode => n.kind === 'loadMore');
export const messages = (nodes: TreeNode[]) => nodes.filter((n): n is MessageNode => n.kind === 'message');

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `probe` every 100 ms until it returns something truthy, which it returns; throws after `timeoutMs`. */
export async function waitFor<T>(what: string, probe: () => T | Promise<T>, timeoutMs = 10_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last = await probe();
  while (!last && Date.now() < deadline) {
    await sleep(100);
    last = await probe();
  }
  if (!last) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
  return last as NonNullable<T>;
}

/** Runs a command and returns its result; rejects instead of hanging when it does not finish within `timeoutMs`. */
export async function runCommand<T = unknown>(command: string, args: unknown[] = [], timeoutMs = 15_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${command} did not finish within ${timeoutMs / 1000} s`)), timeoutMs);
  });
  try {
    return await Promise.race([Promise.resolve(vscode.commands.executeCommand<T>(command, ...args)), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs a command that may wait on the user (an error notification's buttons, an input box): after
 * `patienceMs` those are dismissed, as a user would, and the command then has 10 s to finish.
 * Never rejects: says how the command ended.
 */
export async function runCommandDismissingPrompts(
  command: string,
  args: unknown[] = [],
  patienceMs = 3_000,
): Promise<{ error?: unknown; timedOut: boolean; dismissed: boolean }> {
  let settled: { error?: unknown } | undefined;
  const done = Promise.resolve(vscode.commands.executeCommand(command, ...args)).then(
    () => (settled = {}),
    (error: unknown) => (settled = { error }),
  );
  await Promise.race([done, sleep(patienceMs)]);
  let dismissed = false;
  if (!settled) {
    dismissed = true;
    await vscode.commands.executeCommand('notifications.clearAll');
    await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
    await Promise.race([done, sleep(10_000)]);
  }
  const outcome = settled as { error?: unknown } | undefined;
  return { error: outcome?.error, timedOut: !outcome, dismissed };
}
