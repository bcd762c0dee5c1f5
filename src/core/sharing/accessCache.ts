// What the signed-in user may do with each project and repository (pull, push, share), from one
// GET /entity/{id}/permissions per entity: loaded when a project or repository is expanded (or a
// repository selected), at most once until it is invalidated (a refresh, a sharing change).
import { SynapseClient } from '../synapse/client';
import { OwnAccess, ownAccess, SubjectKind } from './levels';

interface Entry {
  access?: OwnAccess;
  /** A load in flight; one started before an invalidate finds its entry gone and keeps nothing. */
  pending?: Promise<OwnAccess | undefined>;
}

export class OwnAccessCache {
  private readonly entries = new Map<string, Entry>();
  private readonly listeners = new Set<(id: string | undefined) => void>();

  get(id: string): OwnAccess | undefined {
    return this.entries.get(id)?.access;
  }

  /** The access, loading it once; a failed load answers undefined (the tree then just says nothing about it). */
  ensure(client: SynapseClient, id: string, kind: SubjectKind): Promise<OwnAccess | undefined> {
    const known = this.entries.get(id);
    if (known?.access) return Promise.resolve(known.access);
    if (known?.pending) return known.pending;
    const entry: Entry = {};
    this.entries.set(id, entry);
    entry.pending = client.getPermissions(id).then(
      (permissions) => {
        if (this.entries.get(id) !== entry) return undefined;
        entry.access = ownAccess(permissions, kind);
        entry.pending = undefined;
        this.emit(id);
        return entry.access;
      },
      () => {
        // Not kept: the next expand asks again.
        if (this.entries.get(id) === entry) this.entries.delete(id);
        return undefined;
      },
    );
    return entry.pending;
  }

  /** Forgets one entity's access (or everyone's), so the next look asks Synapse again. */
  invalidate(ids?: Iterable<string>): void {
    if (!ids) {
      this.entries.clear();
      this.emit(undefined);
      return;
    }
    for (const id of ids) {
      if (this.entries.delete(id)) this.emit(id);
    }
  }

  /** Called with the id whose access was loaded or forgotten (undefined: all). */
  onDidChange(listener: (id: string | undefined) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(id: string | undefined): void {
    for (const listener of this.listeners) listener(id);
  }
}
