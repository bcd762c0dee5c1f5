// The checks made before a submission is sent (synapse-api.md §8): each failure is one problem
// with the fix the user can take. Pure: the caller gathers the facts (Synapse's tag list and entity,
// the local image or the registry's manifest, the token's scopes).
import type { PushedPlatform } from '../docker/pushedManifest';
import type { DockerCommit } from '../synapse/types';

/** What the queue's runners need (ChallengeWorkflowTemplates run_docker.py pulls on x86_64 Linux). */
export const REQUIRED_PLATFORM = { os: 'linux', architecture: 'amd64' } as const;
/** A submission is a create: view to read, modify to write (EvaluationController RequiredScope). */
export const SUBMIT_SCOPES = ['view', 'modify'] as const;

export type PresubmitProblem =
  /** The token cannot submit. Fix: sign in with a token that has these scopes. */
  | { code: 'tokenScopes'; missing: string[] }
  /** Synapse recorded no commit with this digest (a local tag only, or a push it did not record). Fix: push. */
  | { code: 'unrecordedDigest'; digest: string; repositoryId: string }
  /** The image has no linux/amd64 variant. Fix: rebuild with platform linux/amd64. */
  | { code: 'noAmd64'; platforms: string[] }
  /** Neither the local image nor the registry said which platforms the image is for. */
  | { code: 'platformUnknown' }
  /** The repository changed between the checks and the submission (a push). Fix: check again. */
  | { code: 'staleEtag'; repositoryId: string };

export interface PresubmitFacts {
  digest: string;
  repositoryId: string;
  /** What Synapse lists for the repository (the newest commit of every tag). */
  commits: readonly DockerCommit[];
  /** From the local image or the registry's manifest (list/index); undefined when neither could say. */
  platforms: readonly PushedPlatform[] | undefined;
  /** The token's scopes (readTokenClaims); undefined when the token is not a JWT with scopes. */
  tokenScopes: readonly string[] | undefined;
  /** The repository's etag when `commits` were read, and right before sending. */
  etagChecked: string | undefined;
  etagNow: string | undefined;
}

export function checkTokenScopes(scopes: readonly string[] | undefined): PresubmitProblem | undefined {
  // A token whose scopes cannot be read is left to Synapse to judge.
  if (!scopes) return undefined;
  const missing = SUBMIT_SCOPES.filter((scope) => !scopes.includes(scope));
  return missing.length ? { code: 'tokenScopes', missing: [...missing] } : undefined;
}

export function checkDigestRecorded(digest: string, repositoryId: string, commits: readonly DockerCommit[]): PresubmitProblem | undefined {
  return commits.some((commit) => commit.digest === digest) ? undefined : { code: 'unrecordedDigest', digest, repositoryId };
}

export const formatPlatform = (platform: PushedPlatform): string =>
  [platform.os, platform.architecture, platform.variant].filter(Boolean).join('/');

/** A linux/amd64 variant (any amd64 variant level) must be among the image's platforms. */
export function checkPlatforms(platforms: readonly PushedPlatform[] | undefined): PresubmitProblem | undefined {
  // "unknown/unknown" entries of an index are attestations, not images.
  const images = (platforms ?? []).filter((p) => p.os !== 'unknown' && p.architecture !== 'unknown');
  if (images.length === 0) return { code: 'platformUnknown' };
  if (images.some((p) => p.os === REQUIRED_PLATFORM.os && p.architecture === REQUIRED_PLATFORM.architecture)) return undefined;
  return { code: 'noAmd64', platforms: [...new Set(images.map(formatPlatform))] };
}

export function checkEtag(repositoryId: string, checked: string | undefined, now: string | undefined): PresubmitProblem | undefined {
  return checked !== undefined && checked === now ? undefined : { code: 'staleEtag', repositoryId };
}

/** Every problem, in the order a user fixes them (token, digest, platform, etag). */
export function presubmitProblems(facts: PresubmitFacts): PresubmitProblem[] {
  return [
    checkTokenScopes(facts.tokenScopes),
    checkDigestRecorded(facts.digest, facts.repositoryId, facts.commits),
    checkPlatforms(facts.platforms),
    checkEtag(facts.repositoryId, facts.etagChecked, facts.etagNow),
  ].filter((problem): problem is PresubmitProblem => problem !== undefined);
}

/** A problem that stops the submission (platformUnknown only warns: the user may go on). */
export const isBlocking = (problem: PresubmitProblem): boolean => problem.code !== 'platformUnknown';

/** Platforms of a manifest list / OCI index, or of one image's config; for reading a registry directly. */
export function platformsFromManifest(manifest: unknown, config?: unknown): PushedPlatform[] {
  const m = manifest as { manifests?: Array<{ platform?: { os?: unknown; architecture?: unknown; variant?: unknown } }> } | null;
  const of = (p: { os?: unknown; architecture?: unknown; variant?: unknown } | undefined): PushedPlatform[] =>
    p && typeof p.os === 'string' && typeof p.architecture === 'string'
      ? [{ os: p.os, architecture: p.architecture, ...(typeof p.variant === 'string' && p.variant ? { variant: p.variant } : {}) }]
      : [];
  if (m && Array.isArray(m.manifests)) return m.manifests.flatMap((entry) => of(entry.platform));
  return of(config as { os?: unknown; architecture?: unknown; variant?: unknown } | undefined);
}
