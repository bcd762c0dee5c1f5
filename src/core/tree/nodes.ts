// The tree's elements: plain typed data with a parent link. The VS Code layer maps them to
// TreeItems in one place; ids come from Synapse ids and tag names so expansion and selection
// survive a refresh.
import { DockerCommit, DockerRepository, ProjectHeader } from '../synapse/types';

export interface ProjectNode {
  kind: 'project';
  id: string;
  project: ProjectHeader;
  pinned: boolean;
  parent?: undefined;
}

export interface RepositoryNode {
  kind: 'repository';
  id: string;
  repository: DockerRepository;
  /** The path after the registry host (syn123/my-tool); the entity name for external repositories. */
  label: string;
  parent: ProjectNode;
}

export interface TagNode {
  kind: 'tag';
  id: string;
  commit: DockerCommit;
  parent: RepositoryNode;
}

export type ContainerNode = ProjectNode | RepositoryNode;

export interface LoadMoreNode {
  kind: 'loadMore';
  id: string;
  parent?: ContainerNode;
}

/** What a message node offers to do when clicked. */
export type MessageAction = 'signIn' | 'retry' | 'pushHere' | 'clearFilter' | 'retryDocker' | 'openEndpointSetting';

export interface MessageNode {
  kind: 'message';
  id: string;
  parent?: ContainerNode;
  severity: 'info' | 'warning' | 'error';
  text: string;
  action?: MessageAction;
}

export type TreeNode = ProjectNode | RepositoryNode | TagNode | LoadMoreNode | MessageNode;

export function containerKey(node: ContainerNode | undefined): string {
  if (!node) return 'root';
  return node.kind === 'project' ? node.project.id : node.repository.id;
}
