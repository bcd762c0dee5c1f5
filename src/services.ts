// The collaborators built once in the composition root (extension.ts) and handed to commands and
// flows. Every layer may import this type; it imports types only (lint: no runtime import here),
// so it adds no edge a bundle or a cycle could follow.
import type * as vscode from 'vscode';
import type { SynapseSession } from './host/session';
import type { TreeNode } from './core/tree/nodes';
import type { Logger } from './core/util/log';
import type { BuildSettings, SynapseSettings } from './host/settings';
import type { DockerAccess } from './host/dockerAccess';
import type { LocalImageIndex } from './host/localImages';
import type { PinnedProjects } from './host/pins';
import type { ProjectsTreeProvider } from './tree/provider';
import type { SubmissionsTreeProvider } from './tree/submissions';
import type { LevelId, SharingSettings, SharingSubject } from './core/sharing';

export interface Services {
  session: SynapseSession;
  logger: Logger;
  output: vscode.LogOutputChannel;
  /** The connection settings (host/settings.ts reads every setting; nothing else does). */
  settings: () => SynapseSettings;
  /** The build options for a Dockerfile (its folder's settings apply; user values only in Restricted Mode). */
  buildSettings: (dockerfile: vscode.Uri) => BuildSettings;
  tree: ProjectsTreeProvider;
  treeView: vscode.TreeView<TreeNode>;
  pins: PinnedProjects;
  docker: DockerAccess;
  localImages: LocalImageIndex;
  /** Per-workspace memory, e.g. the last tag used for each Dockerfile. */
  workspaceState: vscode.Memento;
  /** The Submissions view (challenge submissions and their statuses). */
  submissions: SubmissionsTreeProvider;
  /** Sharing settings: the Sharing view and its changes (flows/sharing.ts). */
  sharing: SharingActions;
}

/** What the sharing commands ask of flows/sharing.ts (declared here so that services.ts names no flow). */
export interface SharingActions {
  open(subject: SharingSubject): Promise<SharingSettings | undefined>;
  reload(): Promise<SharingSettings | undefined>;
  addPrincipal(given?: { name?: string; level?: LevelId }): Promise<boolean>;
  changeLevel(element: unknown, given?: LevelId): Promise<boolean>;
  removePrincipal(element: unknown): Promise<boolean>;
  createLocal(): Promise<boolean>;
  restoreInheritance(): Promise<boolean>;
}
