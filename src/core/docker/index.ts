// Entry point of dist/docker.js: everything that pulls in dockerode, loaded on first Docker use
// so activation never pays for it.
export { useTranslations } from '../util/translations';
export { resolveDockerEndpoint } from './endpoint';
export type { DockerEndpoint, EndpointInputs } from './endpoint';
export { createDockerClient, pingDocker, explainConnectionError, DockerUnreachableError } from './engine';
export { createBuildContext, parseDockerignore, BuildContextError } from './buildContext';
export type { BuildContext, BuildContextOptions, BuildContextSummary } from './buildContext';
export { NdjsonParser, BuildProgressTracker, TransferProgressTracker, eventError } from './progress';
export type { StreamEvent, BuildProgress, TransferProgress, LayerProgress, LayerPhase } from './progress';
export {
  buildImage,
  tagImage,
  pushImage,
  pullImage,
  listLocalImages,
  imageExists,
  checkRegistryAuth,
  registryDenialKind,
  DockerOperationError,
  RegistryDeniedError,
  BuildFailedError,
  DockerCancelledError,
  ImageNotFoundError,
  RegistryMismatchError,
} from './operations';
export type {
  DockerOperation,
  RegistryAuth,
  RegistryDenialKind,
  BuildImageOptions,
  BuildResult,
  TransferOptions,
  RegistryAuthResult,
  LocalImage,
  ListLocalImagesOptions,
} from './operations';
export { checkPushAllowed, checkPullAllowed, inspectPush, inspectPull } from './preflight';
export type { PreflightCode, PreflightRefusal, PreflightOptions, PreflightResult } from './preflight';
