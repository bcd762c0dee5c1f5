// POST /dockerRegistryListener/v1/events: the registry tells Synapse about pushes (synapse-api.md §3.7).
import { EntityRecord, SandboxModel } from './model';

/**
 * Which manifest media types create commits. `strict` is the Oct-2024 source (Docker v2 only);
 * `wide` adds what PLFM-9133 (2025) very likely allows: OCI manifest, OCI index, manifest list.
 * The default is strict, so no test passes only because the sandbox is kinder than Synapse.
 */
export type ManifestPolicy = 'strict' | 'wide';
export const MANIFEST_POLICIES: readonly ManifestPolicy[] = ['strict', 'wide'];
export const DEFAULT_MANIFEST_POLICY: ManifestPolicy = 'strict';

const DOCKER_V2_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
const RECORDED_MEDIA_TYPES: Record<ManifestPolicy, ReadonlySet<string>> = {
  strict: new Set([DOCKER_V2_MANIFEST]),
  wide: new Set([
    DOCKER_V2_MANIFEST,
    'application/vnd.docker.distribution.manifest.list.v2+json',
    'application/vnd.oci.image.manifest.v1+json',
    'application/vnd.oci.image.index.v1+json',
  ]),
};

/** Whether a push event with this `target.mediaType` creates a commit (layer blobs and the rest never do). */
export function recordsCommit(policy: ManifestPolicy, mediaType: string | undefined): boolean {
  return mediaType !== undefined && RECORDED_MEDIA_TYPES[policy].has(mediaType);
}

interface RegistryEvent {
  action?: string;
  target?: { mediaType?: string; repository?: string; tag?: string; digest?: string };
  request?: { host?: string };
  actor?: { name?: string };
}

/** What one notification changed, so that a failure can undo all of it. */
interface Undo {
  created: EntityRecord[];
  touched: Array<{ repository: EntityRecord; commits: number; etag: string; modifiedOn: number; modifiedBy: string }>;
}

/**
 * Applies the events of one notification as one transaction (DockerManagerImpl.dockerRegistryNotification is a
 * @WriteTransaction): the first failing event rolls back the earlier ones and the rest are skipped. The failure
 * is only reported (returned); the HTTP answer is always 204.
 */
export function processRegistryEvents(
  model: SandboxModel,
  registryHost: string,
  body: unknown,
  policy: ManifestPolicy = DEFAULT_MANIFEST_POLICY,
): string[] {
  const events = (body as { events?: unknown } | null)?.events;
  if (!Array.isArray(events)) return ['The notification has no events array.'];
  const undo: Undo = { created: [], touched: [] };
  for (const event of events as RegistryEvent[]) {
    try {
      processPush(model, registryHost, event, policy, undo);
    } catch (error) {
      rollBack(model, undo);
      return [(error as Error).message];
    }
  }
  return [];
}

function rollBack(model: SandboxModel, undo: Undo): void {
  for (const change of undo.touched.reverse()) {
    change.repository.commits.length = change.commits;
    Object.assign(change.repository, { etag: change.etag, modifiedOn: change.modifiedOn, modifiedBy: change.modifiedBy });
  }
  for (const entity of undo.created) model.removeEntity(entity);
}

function processPush(model: SandboxModel, registryHost: string, event: RegistryEvent, policy: ManifestPolicy, undo: Undo): void {
  if (event.action !== 'push') return; // pull and mount need nothing
  const target = event.target ?? {};
  if (!recordsCommit(policy, target.mediaType)) return;
  const host = event.request?.host;
  if (host !== registryHost) return; // not our registry
  const userId = event.actor?.name ?? '';
  if (!model.users.has(userId)) throw new Error(`Unknown actor "${userId}" in push event.`);
  const path = target.repository ?? '';
  const repositoryName = `${host}/${path}`;
  const parentId = path.split('/')[0];
  if (!/^syn\d+$/.test(parentId)) throw new Error(`Invalid Entity ID: ${parentId}`);
  if (!target.digest) throw new Error(`Push event for ${repositoryName} has no digest.`);

  const existingId = model.managedRepositoryId(repositoryName);
  let repository = existingId ? model.entities.get(existingId) : undefined;
  if (!repository) {
    const parent = model.entities.get(parentId);
    if (!parent) throw new Error(`parentId ${parentId} does not exist.`);
    if (parent.kind !== 'project') throw new Error('Parent must be a project.');
    repository = model.createManagedRepository(repositoryName, parentId, userId);
    undo.created.push(repository);
  }
  // A push by digest only has no tag; Synapse's tag listing never shows such commits.
  if (target.tag) {
    undo.touched.push({
      repository,
      commits: repository.commits.length,
      etag: repository.etag,
      modifiedOn: repository.modifiedOn,
      modifiedBy: repository.modifiedBy,
    });
    model.addCommit(repository, target.tag, target.digest, userId);
  }
}
