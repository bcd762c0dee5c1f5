// The shared body of the copy actions on tag nodes.
import * as vscode from 'vscode';
import { TagNode } from '../core/tree/nodes';
import { CommandDefinition, nodeOfKind } from './command';
import type { CommandId } from './ids';

export function copyFromTag(id: CommandId, describe: (tag: TagNode) => string): CommandDefinition {
  return {
    id,
    run: async (_services, node?: unknown) => {
      const tag = nodeOfKind(node, 'tag');
      if (!tag) return undefined;
      const text = describe(tag);
      await vscode.env.clipboard.writeText(text);
      vscode.window.setStatusBarMessage(vscode.l10n.t('Copied {0}', text), 4000);
      return text;
    },
  };
}
