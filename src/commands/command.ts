// The shape every command file exports; extension.ts registers them all from one list.
import * as vscode from 'vscode';
import { SynapseSession } from '../auth/session';
import { TreeNode } from '../core/tree/nodes';
import { Logger } from '../core/util/log';
import { SynapseSettings } from '../settings';
import { DockerAccess } from '../docker/dockerAccess';
import { SharingFlow } from '../flows/sharing';
import { LocalImageIndex } from '../docker/localImages';
import { PinnedProjects } from '../tree/pins';
import { ProjectsTreeProvider } from '../tree/provider';

/** The collaborators commands may use, built once in the composition root. */
export interface CommandServices {
  session: SynapseSession;
  logger: Logger;
  output: vscode.LogOutputChannel;
  settings: () => SynapseSettings;
  tree: ProjectsTreeProvider;
  treeView: vscode.TreeView<TreeNode>;
  pins: PinnedProjects;
  docker: DockerAccess;
  localImages: LocalImageIndex;
  /** Per-workspace memory, e.g. the last tag used for each Dockerfile. */
  workspaceState: vscode.Memento;
  /** Sharing settings: the Sharing view and its changes. */
  sharing: SharingFlow;
}

export interface CommandDefinition {
  id: string;
  run(services: CommandServices, ...args: unknown[]): unknown;
}

/** Narrows a command argument to a tree node of the given kind (menus pass the node first). */
export function nodeOfKind<K extends TreeNode['kind']>(value: unknown, ...kinds: K[]): Extract<TreeNode, { kind: K }> | undefined {
  const kind = (value as TreeNode | undefined)?.kind;
  return kind !== undefined && (kinds as string[]).includes(kind) ? (value as Extract<TreeNode, { kind: K }>) : undefined;
}
