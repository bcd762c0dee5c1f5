// After a push: wait for Synapse to record a commit with the pushed digest, on Synapse's own
// notification timing, and say why when none appears (synapse-api.md §3.7):
// - Synapse learns of a push only from the registry's notification. Delivered, it creates the
//   commit within seconds (seen within a second here). A failed delivery (Synapse read-only, a
//   503, a timeout) is retried after the registry's backoff: `backoff: 30s` in production.
// - Synapse's listener records a commit only for some manifest media types: the Oct-2024 source
//   only for Docker v2 manifests; OCI manifests and indexes (the containerd image store) and
//   manifest lists may never become commits.
// So: poll quickly while a first delivery is due; for a Docker v2 manifest keep polling, slowly,
// until one retry after the backoff has had time to land; for a type Synapse may not record,
// stop after the first delivery's window and say so, with how to push a Docker v2 manifest.
import * as l10n from '@vscode/l10n';
import type { DockerCommit, PaginatedResults } from './synapse/types';
import { sleep as abortableSleep } from './util/abort';

export const DOCKER_V2_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
export const DOCKER_MANIFEST_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';

/** Manifest types the Oct-2024 listener does not record (PLFM-9133, 2025, very likely widened it). */
const MAY_NOT_BE_RECORDED = new Set([OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST_LIST]);

/** True when Synapse's rule may not record a commit for a manifest of this media type. */
export function mayNotBeRecorded(mediaType: string | undefined): boolean {
  return mediaType !== undefined && MAY_NOT_BE_RECORDED.has(mediaType);
}

export interface PushWaitSchedule {
  /** A delivered notification has created the commit by then (from the end of the push). */
  deliveryMs: number;
  /** The registry's backoff after a failed delivery (production: 30 s). */
  failedDeliveryBackoffMs: number;
  /** Poll interval while the first delivery is due. */
  fastPollMs: number;
  /** Poll interval while a retried delivery is awaited. */
  slowPollMs: number;
}

/** Production timing: synapse-docker-registry config.yml `backoff: 30s`; deliveries seen within seconds. */
export const SYNAPSE_PUSH_WAIT: PushWaitSchedule = {
  deliveryMs: 10_000,
  failedDeliveryBackoffMs: 30_000,
  fastPollMs: 1_000,
  slowPollMs: 5_000,
};

/**
 * How long after the push to wait for the commit: the first delivery's window, and for a manifest
 * Synapse records (or one of unknown type) also one failed delivery's backoff.
 */
export function waitLimitMs(mediaType: string | undefined, schedule: PushWaitSchedule = SYNAPSE_PUSH_WAIT): number {
  return mayNotBeRecorded(mediaType) ? schedule.deliveryMs : schedule.deliveryMs + schedule.failedDeliveryBackoffMs;
}

/** After a poll that found nothing, `elapsedMs` after the push: how long until the next poll, or undefined to stop. */
export function nextPollDelayMs(
  elapsedMs: number,
  mediaType: string | undefined,
  schedule: PushWaitSchedule = SYNAPSE_PUSH_WAIT,
): number | undefined {
  const limit = waitLimitMs(mediaType, schedule);
  if (elapsedMs >= limit) return undefined;
  const interval = elapsedMs < schedule.deliveryMs ? schedule.fastPollMs : schedule.slowPollMs;
  // The first window's end and the limit are polled exactly: a late delivery is seen as soon as it may.
  const boundary = elapsedMs < schedule.deliveryMs ? schedule.deliveryMs : limit;
  return Math.max(1, Math.min(interval, boundary - elapsedMs));
}

/** What the wait needs of the Synapse client. */
export interface CommitLookup {
  findDockerRepositoryId(repositoryName: string, signal?: AbortSignal): Promise<string | undefined>;
  listDockerTags(
    repositoryId: string,
    page: { limit: number; offset: number },
    query?: object,
    signal?: AbortSignal,
  ): Promise<PaginatedResults<DockerCommit>>;
}

export interface PushWaitOptions {
  client: CommitLookup;
  /** host/synID/name, as Synapse names the repository. */
  repositoryName: string;
  tag: string;
  digest: string;
  /** The pushed manifest's media type; undefined when it could not be read back. */
  mediaType?: string;
  /** When the push ended (epoch ms on `now`'s clock). */
  pushedAt: number;
  signal?: AbortSignal;
  schedule?: PushWaitSchedule;
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export type PushWaitResult =
  | { kind: 'listed'; repositoryId: string; commit: DockerCommit; polls: number; waitedMs: number }
  | {
      kind: 'not-listed';
      polls: number;
      waitedMs: number;
      /** The wait was stopped (cancelled, or the account ended) before its limit. */
      stopped: boolean;
      /** The digest Synapse lists for the tag meanwhile, if any (an earlier push). */
      listedDigest?: string;
      /** The last error a poll met (logged, never shown as the reason). */
      lastError?: string;
    };

/** Newest first: the new commit is on the first page. */
const TAGS_PAGE = { limit: 20, offset: 0 };

/** Polls Synapse for a commit of `tag` with exactly `digest`, on the schedule above. */
export async function waitForPushedCommit(options: PushWaitOptions): Promise<PushWaitResult> {
  const { client, repositoryName, digest, signal } = options;
  const schedule = options.schedule ?? SYNAPSE_PUSH_WAIT;
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? abortableSleep;
  // Synapse compares tags case-insensitively (one listed tag for v1 and V1).
  const tag = options.tag.toLowerCase();
  let repositoryId: string | undefined;
  let listedDigest: string | undefined;
  let lastError: string | undefined;
  let polls = 0;
  for (;;) {
    if (signal?.aborted) break;
    polls++;
    try {
      repositoryId ??= await client.findDockerRepositoryId(repositoryName, signal);
      if (repositoryId) {
        const page = await client.listDockerTags(repositoryId, TAGS_PAGE, {}, signal);
        const forTag = page.results.filter((c) => c.tag.toLowerCase() === tag);
        const commit = forTag.find((c) => c.digest === digest);
        if (commit) return { kind: 'listed', repositoryId, commit, polls, waitedMs: now() - options.pushedAt };
        listedDigest = forTag[0]?.digest;
      }
    } catch (error) {
      if (signal?.aborted) break;
      lastError = error instanceof Error ? error.message : String(error);
    }
    const delay = nextPollDelayMs(now() - options.pushedAt, options.mediaType, schedule);
    if (delay === undefined) break;
    try {
      await sleep(delay, signal);
    } catch {
      break; // aborted
    }
  }
  return { kind: 'not-listed', polls, waitedMs: now() - options.pushedAt, stopped: signal?.aborted === true, listedDigest, lastError };
}

export interface UnlistedPush {
  /** host/synID/name:tag */
  reference: string;
  digest: string;
  mediaType?: string;
  waitedMs: number;
}

export interface UnlistedExplanation {
  /** 'media-type': the manifest is of a kind Synapse may not record; 'not-listed-yet': only not listed so far. */
  reason: 'media-type' | 'not-listed-yet';
  message: string;
}

/** What to tell the user when Synapse has not listed the pushed digest. */
export function explainUnlistedPush(push: UnlistedPush): UnlistedExplanation {
  const seconds = Math.max(1, Math.round(push.waitedMs / 1000));
  if (mayNotBeRecorded(push.mediaType)) {
    return {
      reason: 'media-type',
      message: l10n.t({
        message:
          "Pushed {0} ({1}), but Synapse has not listed it after {2} s: it was pushed as {3}, a manifest type Synapse may not record (it records Docker v2 manifests, {4}). To push a Docker v2 manifest, build the image with this extension's Build Image command (through BuildKit it pushes one) or turn off the containerd image store in Docker's settings, then push again.",
        args: [push.reference, push.digest, seconds, push.mediaType!, DOCKER_V2_MANIFEST],
        comment: ['{0}: image reference. {1}: digest. {2}: seconds waited. {3}, {4}: manifest media types, kept as they are.'],
      }),
    };
  }
  return {
    reason: 'not-listed-yet',
    message: l10n.t({
      message:
        'Pushed {0} ({1}), but Synapse has not listed it after {2} s. Synapse learns of a push from the registry, which retries a failed notification after 30 s; refresh the tree in a minute.',
      args: [push.reference, push.digest, seconds],
      comment: ['{0}: image reference. {1}: digest. {2}: seconds waited.'],
    }),
  };
}
