// The strings users copy: image references by tag and by digest, and the pull command.
import { DockerCommit, DockerRepository } from './synapse/types';
import { portalBase } from './synapse/endpoint';

export function imageReference(repository: DockerRepository, tag: string): string {
  return `${repository.repositoryName}:${tag}`;
}

export function digestReference(repository: DockerRepository, commit: DockerCommit): string {
  return `${repository.repositoryName}@${commit.digest}`;
}

/** By digest, so what is pulled is exactly what the tree shows even if the tag moves. */
export function pullCommand(repository: DockerRepository, commit: DockerCommit): string {
  return `docker pull ${digestReference(repository, commit)}`;
}

/** sha256:0123456789ab… → 0123456789ab */
export function shortDigest(digest: string): string {
  return digest.replace(/^sha256:/, '').slice(0, 12);
}

/** The entity's page on the Synapse web site. */
export function portalEntityUrl(portalUrl: string, synId: string): string {
  return `${portalBase(portalUrl)}/Synapse:${synId}`;
}
