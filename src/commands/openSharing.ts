// "Sharing…" on a project or repository (or from the palette, with a picker): its sharing settings in the Sharing view.
import * as vscode from 'vscode';
import { SharingSubject } from '../core/sharing';
import { repositoryLabel } from '../core/tree/model';
import { showError } from '../ui/errors';
import type { Services } from '../services';
import { CommandDefinition, nodeOfKind } from './command';

export const openSharingCommand: CommandDefinition = {
  id: 'synapseDocker.openSharing',
  run: async (services, argument?: unknown) => {
    try {
      const subject = subjectOf(argument) ?? (await pickSubject(services));
      return subject ? services.sharing.open(subject) : undefined;
    } catch (error) {
      showError(services, vscode.l10n.t("Couldn't open the sharing settings"), error);
      return undefined;
    }
  },
};

/** A tree node, or a subject handed over by the Sharing view's "Inherited from …" row. */
function subjectOf(argument: unknown): SharingSubject | undefined {
  // A subject first: its `kind` (project, repository) reads like a tree node's, but it names itself.
  const given = argument as Partial<SharingSubject> | undefined;
  if (
    given &&
    typeof given.id === 'string' &&
    typeof given.name === 'string' &&
    (given.kind === 'project' || given.kind === 'repository')
  ) {
    return { id: given.id, name: given.name, kind: given.kind, parentId: given.parentId };
  }
  const project = nodeOfKind(argument, 'project');
  if (project) return { id: project.project.id, name: project.project.name, kind: 'project' };
  const repository = nodeOfKind(argument, 'repository');
  if (repository)
    return { id: repository.repository.id, name: repository.label, kind: 'repository', parentId: repository.parent.project.id };
  return undefined;
}

/** The palette: a project, then the project itself or one of its repositories (one page of each). */
async function pickSubject(services: Services): Promise<SharingSubject | undefined> {
  const client = await services.session.client();
  const projects = (await client.listProjects({})).items;
  const pinned = services.pins.list().filter((pin) => !projects.some((p) => p.id === pin.id));
  const project = await vscode.window.showQuickPick(
    [...pinned, ...projects].map((p) => ({ label: p.name, description: p.id, project: p })),
    { title: vscode.l10n.t('Sharing settings of…'), placeHolder: vscode.l10n.t('Project') },
  );
  if (!project) return undefined;
  const repositories = (await client.listDockerRepositories(project.project.id)).items.filter((r) => r.isManaged);
  const whole = {
    label: `$(project) ${project.project.name}`,
    description: vscode.l10n.t('the project itself'),
    subject: { id: project.project.id, name: project.project.name, kind: 'project' } as SharingSubject,
  };
  const picked = await vscode.window.showQuickPick(
    [
      whole,
      ...repositories.map((r) => ({
        label: `$(package) ${repositoryLabel(r)}`,
        description: r.id,
        subject: { id: r.id, name: repositoryLabel(r), kind: 'repository', parentId: project.project.id } as SharingSubject,
      })),
    ],
    { title: vscode.l10n.t('Sharing settings of…'), placeHolder: vscode.l10n.t('The project or one of its repositories') },
  );
  return picked?.subject;
}
