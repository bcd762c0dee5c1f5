// The shape every command file exports; extension.ts registers them all from one list (index.ts).
import type { TreeNode } from '../core/tree/nodes';
import type { Services } from '../services';
import type { CommandId } from './ids';

export interface CommandDefinition {
  id: CommandId;
  run(services: Services, ...args: unknown[]): unknown;
}

/** Narrows a command argument to a tree node of the given kind (menus pass the node first). */
export function nodeOfKind<K extends TreeNode['kind']>(value: unknown, ...kinds: K[]): Extract<TreeNode, { kind: K }> | undefined {
  const kind = (value as TreeNode | undefined)?.kind;
  return kind !== undefined && (kinds as string[]).includes(kind) ? (value as Extract<TreeNode, { kind: K }>) : undefined;
}
