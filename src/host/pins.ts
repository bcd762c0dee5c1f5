// Projects the user pinned by synID (public projects are not in GET /projects), kept per
// endpoint in globalState.
import * as vscode from 'vscode';
import { PinnedProject } from '../core/tree/model';

export class PinnedProjects {
  constructor(
    private readonly memento: vscode.Memento,
    private readonly endpoint: () => string,
  ) {}

  list(): PinnedProject[] {
    return this.memento.get<PinnedProject[]>(this.key(), []);
  }

  has(id: string): boolean {
    return this.list().some((p) => p.id === id);
  }

  async add(project: PinnedProject): Promise<void> {
    await this.memento.update(this.key(), [...this.list().filter((p) => p.id !== project.id), project]);
  }

  async remove(id: string): Promise<void> {
    await this.memento.update(
      this.key(),
      this.list().filter((p) => p.id !== id),
    );
  }

  private key(): string {
    return `synapseDocker.pinnedProjects:${this.endpoint()}`;
  }
}
