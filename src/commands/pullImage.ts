// Pull: from a tag node, a repository node (pick a tag), or the palette (paste a reference, or
// walk projects → repositories → tags).
import * as vscode from 'vscode';
import { imageReference } from '../core/references';
import { parseImageReference, NameError } from '../core/naming';
import { DockerRepository } from '../core/synapse/types';
import { repositoryLabel } from '../core/tree/model';
import { pullReference } from '../flows/transferFlow';
import { projectChoices } from '../flows/targetSteps';
import { showError } from '../ui/errors';
import { CommandDefinition, nodeOfKind } from './command';
import type { Services } from '../services';

export const pullImageCommand: CommandDefinition = {
  id: 'synapseDocker.pullImage',
  run: async (services, argument?: unknown) => {
    if (typeof argument === 'string') return pullReference(services, argument);
    const tag = nodeOfKind(argument, 'tag');
    if (tag) return pullReference(services, imageReference(tag.parent.repository, tag.commit.tag));
    const repository = nodeOfKind(argument, 'repository');
    try {
      const reference = repository ? await pickTag(services, repository.repository) : await askForReference(services);
      return reference ? pullReference(services, reference) : false;
    } catch (error) {
      showError(services, vscode.l10n.t('Pull failed'), error);
      return false;
    }
  },
};

async function pickTag(services: Services, repository: DockerRepository): Promise<string | undefined> {
  const client = await services.session.client();
  const page = await client.listDockerTags(repository.id, { limit: 50, offset: 0 });
  const picked = await vscode.window.showQuickPick(
    page.results.map((commit) => ({ label: commit.tag, description: commit.digest.slice(0, 19), commit })),
    { title: vscode.l10n.t('Pull from {0}', repositoryLabel(repository)), placeHolder: vscode.l10n.t('Tag to pull') },
  );
  return picked ? imageReference(repository, picked.commit.tag) : undefined;
}

async function askForReference(services: Services): Promise<string | undefined> {
  const registry = services.settings().registry;
  const browse = vscode.l10n.t('Browse Synapse projects…');
  const choice = await vscode.window.showQuickPick(
    [{ label: `$(edit) ${vscode.l10n.t('Enter an image reference…')}` }, { label: `$(list-tree) ${browse}` }],
    {
      title: vscode.l10n.t('Pull an image from Synapse'),
    },
  );
  if (!choice) return undefined;
  if (choice.label.endsWith(browse)) return browseForTag(services);
  return vscode.window.showInputBox({
    title: vscode.l10n.t('Pull an image from Synapse'),
    prompt: vscode.l10n.t('Image reference, e.g. {0}/syn123/my-tool:latest', registry),
    ignoreFocusOut: true,
    validateInput: (value) => {
      if (!value.trim()) return undefined;
      const parsed = parseImageReference(value.trim(), { registry });
      return parsed instanceof NameError ? parsed.message : undefined;
    },
  });
}

async function browseForTag(services: Services): Promise<string | undefined> {
  const client = await services.session.client();
  const projects = await projectChoices(client, services.pins.list());
  const project = await vscode.window.showQuickPick(
    projects.map((p) => ({ label: p.name, description: p.id, project: p })),
    { title: vscode.l10n.t('Project') },
  );
  if (!project) return undefined;
  // One page (50): a palette walk must not fetch a huge project whole.
  const repositories = (await client.listDockerRepositories(project.project.id)).items;
  const repository = await vscode.window.showQuickPick(
    repositories.filter((r) => r.isManaged).map((r) => ({ label: repositoryLabel(r), repository: r })),
    { title: vscode.l10n.t('Repository in {0}', project.label) },
  );
  return repository ? pickTag(services, repository.repository) : undefined;
}
