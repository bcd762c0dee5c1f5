// GET /docker/v1/bearerToken: Synapse as the token server of the Docker registry (synapse-api.md §3.3–3.5).
import { ApiError, badRequest, basicCredentials, parseEnum, requiredParam } from './http';
import { SandboxModel, isValidRepositoryPath } from './model';
import { evaluationsOf } from './evaluations';
import { Caller, allowed, anonymousCaller, permissionState } from './permissions';
import { DockerAccess, DockerTokenSigner, PatAuthority } from './tokens';

const REGISTRY_EVENT_ACTIONS = ['push', 'pull', 'mount'] as const;

/** OpenIDConnectManagerImpl.validateAccessToken's ForbiddenException for an inactive PAT. */
export const REVOKED_PAT_REASON = 'The provided personal access token has expired or has been revoked.';

/**
 * The caller of the token endpoint: HTTP Basic whose password is a PAT (the username is then ignored),
 * or anonymous without credentials. Anything else is 401 "Invalid credentials.", except a revoked PAT:
 * DockerClientAuthFilter catches only IllegalArgumentException, so the ForbiddenException becomes a 500.
 */
export function dockerCaller(model: SandboxModel, pats: PatAuthority, authorization: string | undefined): Caller {
  const credentials = basicCredentials(authorization);
  if (!credentials) return anonymousCaller();
  if (pats.isRevoked(credentials.password)) throw new ApiError(500, REVOKED_PAT_REASON);
  const identity = pats.verify(credentials.password);
  const user = identity && model.users.get(identity.userId);
  if (!identity || !user) throw new ApiError(401, 'Invalid credentials.');
  return { userId: user.ownerId, user, scopes: new Set(identity.scopes) };
}

/** Java's String.split drops trailing empty strings; the part count check depends on it. */
function javaSplit(text: string, separator: string): string[] {
  const parts = text.split(separator);
  while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  return parts;
}

/** The project a new repository at this path would be created in, if the path allows one. */
function parentProjectFor(model: SandboxModel, path: string): string | undefined {
  if (!isValidRepositoryPath(path)) return undefined;
  const first = path.split('/')[0];
  if (!/^syn\d+$/.test(first)) return undefined;
  const parent = model.entities.get(first);
  return parent?.kind === 'project' ? parent.id : undefined;
}

/** The actions AuthorizationManagerImpl.getPermittedDockerRepositoryActions grants. */
function permittedRepositoryActions(model: SandboxModel, caller: Caller, service: string, path: string, actions: string): Set<string> {
  const permitted = new Set<string>();
  const existingId = model.managedRepositoryId(`${service}/${path}`);
  const existing = existingId ? model.entities.get(existingId) : undefined;
  const existingState = existing && permissionState(model, caller, existing);
  for (const action of actions.split(',')) {
    switch (parseEnum(action, REGISTRY_EVENT_ACTIONS, 'org.sagebionetworks.repo.model.docker.RegistryEventAction')) {
      case 'push': {
        if (!caller.scopes.has('modify')) break;
        if (!existingState) {
          const parentId = parentProjectFor(model, path);
          const parent = parentId ? model.entities.get(parentId) : undefined;
          if (parent && allowed(caller, permissionState(model, caller, parent), 'CREATE')) {
            permitted.add('push');
            permitted.add('pull'); // a new repository's creator may also pull it
          }
        } else if (!existingState.inTrash && allowed(caller, existingState, 'UPDATE')) {
          permitted.add('push');
        }
        break;
      }
      case 'pull':
        if (!caller.scopes.has('download')) break;
        if (
          (existingState && !existingState.inTrash && allowed(caller, existingState, 'DOWNLOAD')) ||
          // Submitted to an evaluation where the caller has READ_PRIVATE_SUBMISSION: an organiser may pull it.
          evaluationsOf(model).repositorySubmittedWithAccess(`${service}/${path}`, caller, 'READ_PRIVATE_SUBMISSION')
        ) {
          permitted.add('pull');
        }
        break;
      default: // mount parses but has no case in Synapse's switch: a RuntimeException, so HTTP 500
        throw new ApiError(500, `Unexpected action type: ${action}`);
    }
  }
  return permitted;
}

/** Answers GET /docker/v1/bearerToken with {"token": JWT}; denied actions are simply left out. */
export function issueBearerToken(
  model: SandboxModel,
  signer: DockerTokenSigner,
  issuer: string,
  caller: Caller,
  query: URLSearchParams,
): { token: string } {
  const service = requiredParam(query, 'service');
  const access: DockerAccess[] = [];
  for (const scope of query.getAll('scope')) {
    const parts = javaSplit(scope, ':');
    if (parts.length !== 3) {
      throw new ApiError(500, `Expected 3 parts in scope param but found ${parts.length}. Scope param was ${scope}`);
    }
    const [type, name, actions] = parts;
    let permitted: Set<string>;
    if (type.toLowerCase() === 'registry')
      permitted = new Set(); // only Synapse admins may list the catalog
    else if (type.toLowerCase() === 'repository') permitted = permittedRepositoryActions(model, caller, service, name, actions);
    else throw badRequest(`Unexpected type ${type}`);
    access.push({ type, name, actions: [...permitted].sort() });
  }
  return { token: signer.sign(issuer, service, caller.userId, access) };
}
