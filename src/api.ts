// What activate() returns: enough for tests and other extensions to see the signed-in state and
// walk the registered tree, never the token itself.
import type * as vscode from 'vscode';
import type { TreeNode } from './core/tree/nodes';
import type { RefreshReport } from './core/challenges/poller';
import type { SubmissionsNode } from './core/challenges/nodes';
import type { SharingElement } from './core/sharing/elements';

export interface SynapseDockerApi {
  currentUser(): { userName: string; ownerId: string } | undefined;
  hasStoredToken(): Promise<boolean>;
  /** The account status bar item's text and tooltip; undefined while it is hidden (signed out). */
  accountStatus(): { text: string; tooltip: string } | undefined;
  /** The registered projects tree's data provider. */
  tree: {
    getChildren(node?: TreeNode): Promise<TreeNode[]>;
    getTreeItem(node: TreeNode): vscode.TreeItem;
  };
  /** The Submissions view's data provider and its poller. */
  submissions: {
    getChildren(node?: SubmissionsNode): Promise<SubmissionsNode[]>;
    getTreeItem(node: SubmissionsNode): vscode.TreeItem;
    /** Reads every pending submission's status now (one request each). */
    refreshPending(): Promise<RefreshReport>;
    pending(): string[];
    polling(): { scheduled: boolean; delayMs: number; active: boolean };
  };
  /** The Sharing view's data provider, and the view's message (the read-only note). */
  sharing: {
    getChildren(): SharingElement[];
    getTreeItem(element: SharingElement): vscode.TreeItem;
    message(): string | undefined;
  };
}
