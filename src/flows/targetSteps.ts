// The wizard steps shared by build, tag and push: which project, which repository in it, which
// tag. Each validates as the user types and explains a rejected name with the rule it broke.
import * as vscode from 'vscode';
import { SynapseClient } from '../core/synapse/client';
import { validateProjectId, validateRepositoryName, validateTag, suggestRepositoryName } from '../core/naming';
import { PinnedProject, repositoryLabel } from '../core/tree/model';
import { ConcurrencyLimiter } from '../core/util/limiter';
import { input, pick, StepInfo, WizardStep } from '../ui/wizard';

/** Where an image goes in Synapse: what the wizard steps below produce once all are answered. */
export interface ImageTarget {
  project: { id: string; name: string };
  /** The repository name after the synID, e.g. my-tool. */
  repositoryName: string;
  /** Whether the repository already exists in Synapse (push needs edit rights, not create). */
  repositoryExists: boolean;
  tag: string;
}

/** The wizard's state while the steps run: each answer is there once its step was answered. */
export type ImageTargetState = Partial<ImageTarget>;

/** The finished wizard's answers as a target; throws if a step left its answer out (a bug, not a user error). */
export function completeTarget(state: ImageTargetState): ImageTarget {
  const { project, repositoryName, tag } = state;
  if (!project || !repositoryName || tag === undefined)
    throw new Error('The image target wizard finished without a project, repository or tag.');
  return { project, repositoryName, repositoryExists: state.repositoryExists ?? false, tag };
}

/** The project a step after the project step works in. */
function chosenProject(state: ImageTargetState): ImageTarget['project'] {
  if (!state.project) throw new Error('The repository and tag steps need the project step first.');
  return state.project;
}

/**
 * The projects to choose from, in one walk for every caller: the pinned ones first, then the
 * first page of the user's projects by last activity, each once.
 */
export async function projectChoices(client: SynapseClient, pinned: PinnedProject[]): Promise<PinnedProject[]> {
  const page = await client.listProjects({ sort: 'LAST_ACTIVITY' });
  const seen = new Set<string>();
  return [...pinned, ...page.items].filter((p) => !seen.has(p.id) && seen.add(p.id)).map((p) => ({ id: p.id, name: p.name }));
}

interface ProjectItem extends vscode.QuickPickItem {
  project: { id: string; name: string };
  canAdd?: boolean;
  /** A synID the user typed, not one of the listed projects. */
  typed?: boolean;
}

interface RepositoryItem extends vscode.QuickPickItem {
  repositoryName: string;
  exists: boolean;
}

/** Projects: pinned ones and the first page of the user's, those the user can add to first; or a typed synID. */
export function projectStep<S extends ImageTargetState>(client: SynapseClient, pinned: PinnedProject[]): WizardStep<S> {
  return async (state: S, info: StepInfo) => {
    const items: ProjectItem[] = (await projectChoices(client, pinned)).map((p) => ({
      label: p.name,
      description: p.id,
      project: { id: p.id, name: p.name },
    }));
    const chosen = await pick<ProjectItem>(info, {
      placeholder: vscode.l10n.t('Synapse project to push to (or type a synID)'),
      items,
      activeItem: items.find((i) => i.project.id === state.project?.id),
      refine: (update) => sortByAddPermission(client, items, update),
      itemsForValue: (value) => typedProjectItem(value, items),
    });
    if (chosen.typed) {
      // Look it up for its name; a typed id that is no project is refused by the push preflight.
      const entity = await client.getEntity(chosen.project.id);
      chosen.project.name = entity.name;
    }
    if (state.project?.id !== chosen.project.id) state.repositoryName = undefined;
    state.project = chosen.project;
  };
}

/** Checks canAddChild for the listed projects (3 at a time) and puts the writable ones first. */
async function sortByAddPermission(client: SynapseClient, items: ProjectItem[], update: (items: ProjectItem[]) => void): Promise<void> {
  const limiter = new ConcurrencyLimiter(3);
  await Promise.all(
    items.map((item) =>
      limiter.run(async () => {
        try {
          item.canAdd = (await client.getPermissions(item.project.id)).canAddChild;
        } catch {
          item.canAdd = false;
        }
        if (!item.canAdd) item.detail = `$(lock) ${vscode.l10n.t('You cannot push to this project')}`;
      }),
    ),
  );
  update([...items].sort((a, b) => Number(b.canAdd) - Number(a.canAdd)));
}

function typedProjectItem(value: string, items: ProjectItem[]): ProjectItem[] {
  const typed = value.trim().toLowerCase();
  if (!/^syn/.test(typed) || items.some((i) => i.project.id === typed)) return [];
  const problem = validateProjectId(typed);
  if (problem) return [{ label: `$(error) ${problem.message}`, project: { id: '', name: '' }, kind: vscode.QuickPickItemKind.Separator }];
  return [
    {
      label: vscode.l10n.t('Use project {0}', typed),
      description: vscode.l10n.t('typed synID'),
      project: { id: typed, name: typed },
      typed: true,
      alwaysShow: true,
    },
  ];
}

/** Repositories: the project's existing managed ones, or a new name validated as typed. */
export function repositoryStep<S extends ImageTargetState>(client: SynapseClient, registry: string, suggestion?: string): WizardStep<S> {
  return async (state: S, info: StepInfo) => {
    const project = chosenProject(state);
    const page = await client.listDockerRepositories(project.id);
    const prefix = `${project.id}/`;
    const items: RepositoryItem[] = page.items
      .filter((r) => r.isManaged)
      .map((r) => {
        const path = repositoryLabel(r);
        return {
          label: path.startsWith(prefix) ? path.slice(prefix.length) : path,
          description: vscode.l10n.t('existing repository'),
          repositoryName: path.slice(prefix.length),
          exists: true,
        };
      });
    const suggested = suggestion ? suggestRepositoryName(suggestion) : '';
    const chosen = await pick<RepositoryItem>(info, {
      placeholder: vscode.l10n.t('Repository in {0} — pick one or type a new name', project.name),
      items,
      activeItem: items.find((i) => i.repositoryName === state.repositoryName),
      itemsForValue: (value) => newRepositoryItem(value || suggested, items, { registry, projectId: project.id }),
    });
    state.repositoryName = chosen.repositoryName;
    state.repositoryExists = chosen.exists;
  };
}

function newRepositoryItem(value: string, items: RepositoryItem[], within: { registry: string; projectId: string }): RepositoryItem[] {
  const name = value.trim();
  if (!name || items.some((i) => i.repositoryName === name)) return [];
  const problem = validateRepositoryName(name, within);
  if (problem) {
    return [{ label: `$(error) ${problem.message}`, repositoryName: '', exists: false, kind: vscode.QuickPickItemKind.Separator }];
  }
  return [
    {
      label: `$(add) ${name}`,
      description: vscode.l10n.t('new repository {0}/{1}/{2}', within.registry, within.projectId, name),
      repositoryName: name,
      exists: false,
      alwaysShow: true,
    },
  ];
}

export function tagStep<S extends ImageTargetState>(defaultTag: string): WizardStep<S> {
  return async (state: S, info: StepInfo) => {
    state.tag = await input(info, {
      prompt: vscode.l10n.t('Tag for {0}/{1}', chosenProject(state).id, state.repositoryName ?? ''),
      value: state.tag ?? defaultTag,
      validate: (value) => validateTag(value)?.message,
    });
  };
}
