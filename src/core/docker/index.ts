// Entry point of dist/docker.js: everything that pulls in dockerode, loaded on first Docker use
// so activation never pays for it. From outside src/core/docker only type imports are allowed
// (eslint.config.mjs); the VS Code side reaches this module through host/dockerAccess.ts, and
// tells its errors apart with the type guards below (this bundle has its own copies of the
// classes, so `instanceof` works only in here).
import { DockerUnreachableError } from './engine';
import {
  BuildFailedError,
  BuildkitRequiredError,
  DockerCancelledError,
  DockerOperationError,
  RegistryDeniedError,
  RegistryPlainHttpError,
} from './operations';

export function isDockerUnreachableError(error: unknown): error is DockerUnreachableError {
  return error instanceof DockerUnreachableError;
}
export function isRegistryDeniedError(error: unknown): error is RegistryDeniedError {
  return error instanceof RegistryDeniedError;
}
/** The engine could not check credentials against a plain-HTTP registry (no verdict on the token). */
export function isRegistryPlainHttpError(error: unknown): error is RegistryPlainHttpError {
  return error instanceof RegistryPlainHttpError;
}
export function isBuildFailedError(error: unknown): error is BuildFailedError {
  return error instanceof BuildFailedError;
}
export function isBuildkitRequiredError(error: unknown): error is BuildkitRequiredError {
  return error instanceof BuildkitRequiredError;
}
/** An operation of this module stopped through its AbortSignal. */
export function isDockerCancelledError(error: unknown): error is DockerCancelledError {
  return error instanceof DockerCancelledError;
}
export function isDockerOperationError(error: unknown): error is DockerOperationError {
  return error instanceof DockerOperationError;
}

export { useTranslations } from '../util/translations';
export { resolveDockerEndpoint } from './endpoint';
export type { DockerEndpoint, EndpointInputs } from './endpoint';
export {
  createDockerClient,
  pingDocker,
  explainConnectionError,
  DockerUnreachableError,
  parseDockerHost,
  engineTransport,
  isLoopbackHost,
  IDLE_SOCKET_TIMEOUT_MS,
  PING_TIMEOUT_MS,
} from './engine';
export type { EngineTransport } from './engine';
export { createBuildContext, loadDockerignore, BuildContextError } from './buildContext';
export type { BuildContext, BuildContextOptions, BuildContextSummary } from './buildContext';
export {
  NdjsonParser,
  BuildProgressTracker,
  BuildkitProgressTracker,
  LineAssembler,
  TransferProgressTracker,
  eventError,
  clipText,
  SHA256_DIGEST,
  MAX_LINE_KEPT,
  MAX_EVENT_LENGTH,
} from './progress';
export type { StreamEvent, BuildProgress, TransferProgress, LayerProgress, LayerPhase } from './progress';
export {
  buildImage,
  inspectBuildEngine,
  chooseBuilder,
  describeEngine,
  BuildkitRequiredError,
  tagImage,
  pushImage,
  pullImage,
  listLocalImages,
  imageExists,
  checkRegistryAuth,
  registryDenialKind,
  DockerOperationError,
  RegistryDeniedError,
  RegistryPlainHttpError,
  BuildFailedError,
  DockerCancelledError,
  ImageNotFoundError,
  RegistryMismatchError,
  QUICK_ANSWER_TIMEOUT_MS,
  REGISTRY_ANSWER_TIMEOUT_MS,
} from './operations';
export type {
  DockerOperation,
  RegistryAuth,
  RegistryDenialKind,
  BuildImageOptions,
  BuildResult,
  BuildEngine,
  Builder,
  BuilderChoice,
  BuildPlanInfo,
  TransferOptions,
  RegistryAuthResult,
  LocalImage,
  ListLocalImagesOptions,
} from './operations';
export { inspectPushedManifest, formatPlatform } from './pushedManifest';
export type { PushedManifest, PushedPlatform, PushedManifestOptions } from './pushedManifest';
export { checkPushAllowed, checkPullAllowed, inspectPush, inspectPull } from '../synapse/permissions';
export type { PreflightCode, PreflightRefusal, PreflightOptions, PreflightResult } from '../synapse/permissions';
export { scanDockerfile, mayPullFrom, buildkitFeatureInError } from './buildkitFeatures';
export type { DockerfileScan, DockerfileFeature } from './buildkitFeatures';
export {
  decodeStatusResponse,
  decodeFileSyncPacket,
  encodePacket,
  encodeStatPacket,
  GrpcFrameReader,
  grpcFrame,
  PACKET_DATA,
  PACKET_ERR,
  PACKET_FIN,
  PACKET_REQ,
  PACKET_STAT,
  ProtoError,
} from './buildkitProto';
export { FILE_SYNC_DIFF_COPY, goFileMode, metadataValues, requestFilter, serveDiffCopy } from './buildkitFileSync';
export type { BuildkitStatus, BuildkitVertex, BuildkitLog } from './buildkitProto';
export { openBuildkitSession, credentialsApply } from './buildkitSession';
export type { BuildkitSession } from './buildkitSession';
