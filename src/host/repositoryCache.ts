// Resolved DockerRepository entities, remembered across restarts by id and the modifiedOn of
// their child header: expanding a project whose repositories did not change costs one request.
import * as vscode from 'vscode';
import { RepositoryCache } from '../core/synapse/client';
import { DockerRepository } from '../core/synapse/types';

interface Entry {
  modifiedOn?: string;
  repository: DockerRepository;
}

const MAX_ENTRIES = 5000;
const SAVE_DELAY_MS = 500;

export class PersistentRepositoryCache implements RepositoryCache, vscode.Disposable {
  private entries: Map<string, Entry>;
  private loadedFor: string;
  private saveTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly memento: vscode.Memento,
    private readonly endpoint: () => string,
  ) {
    this.loadedFor = endpoint();
    this.entries = this.load();
  }

  get(id: string, modifiedOn: string | undefined): DockerRepository | undefined {
    this.switchEndpointIfNeeded();
    const entry = this.entries.get(id);
    return entry && modifiedOn !== undefined && entry.modifiedOn === modifiedOn ? entry.repository : undefined;
  }

  set(repository: DockerRepository, modifiedOn: string | undefined): void {
    this.switchEndpointIfNeeded();
    this.entries.delete(repository.id); // re-insert so the newest entries survive trimming
    this.entries.set(repository.id, { modifiedOn, repository });
    while (this.entries.size > MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value as string);
    this.scheduleSave();
  }

  dispose(): void {
    if (this.saveTimer) {
      clearTimeout(this.saveTimer);
      void this.save();
    }
  }

  private scheduleSave(): void {
    // Many repositories resolve at once when a project expands: write once after the burst.
    if (this.saveTimer) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined;
      void this.save();
    }, SAVE_DELAY_MS);
  }

  private save(): Thenable<void> {
    return this.memento.update(this.key(this.loadedFor), [...this.entries.entries()]);
  }

  private load(): Map<string, Entry> {
    return new Map(this.memento.get<Array<[string, Entry]>>(this.key(this.loadedFor), []));
  }

  private switchEndpointIfNeeded(): void {
    const endpoint = this.endpoint();
    if (endpoint === this.loadedFor) return;
    this.dispose(); // flush what belongs to the previous endpoint
    this.loadedFor = endpoint;
    this.entries = this.load();
  }

  private key(endpoint: string): string {
    return `synapseDocker.repositoryCache:${endpoint}`;
  }
}
