// Entry point of dist/docker.js: everything that pulls in dockerode, loaded on first Docker use
// so activation never pays for it.
export { resolveDockerEndpoint } from './endpoint';
export type { DockerEndpoint, EndpointInputs } from './endpoint';
export { createDockerClient, pingDocker, explainConnectionError, DockerUnreachableError } from './engine';
