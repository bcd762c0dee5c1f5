// Typed methods for the Synapse endpoints this extension uses (synapse-api.md §2).
import * as l10n from '@vscode/l10n';
import {
  AccessControlList,
  aclBody,
  BenefactorHeader,
  parseAccessControlList,
  parseBenefactorHeader,
  parseUserGroupHeaders,
  ResourceAccess,
  UserGroupHeader,
} from './acl';
import { SynapseError } from './errors';
import { EvaluationClient } from './evaluations';
import { pagesByOffset, pagesByToken, TokenPage } from './paging';
import { SynapseTransport, TransportOptions } from './transport';
import {
  AccessRequirement,
  DockerCommit,
  DockerRepository,
  DockerTagSort,
  Entity,
  EntityChildrenResponse,
  EntityHeader,
  isDockerRepository,
  PaginatedResults,
  parseAccessRequirement,
  parseDockerCommits,
  parseEntity,
  parseEntityChildren,
  parseEntityId,
  parsePassingRecord,
  parsePermissions,
  parseProjectHeaderList,
  parseRestrictionInformation,
  parseUserBundle,
  parseUserProfile,
  PassingRecord,
  ProjectHeader,
  ProjectHeaderList,
  ProjectListFilter,
  ProjectListSort,
  RestrictionInformation,
  SortDirection,
  UserBundle,
  UserEntityPermissions,
  UserProfile,
} from './types';

export interface ProjectQuery {
  filter?: ProjectListFilter;
  sort?: ProjectListSort;
  sortDirection?: SortDirection;
}

export interface ChildrenQuery {
  sortBy?: 'NAME' | 'CREATED_ON' | 'MODIFIED_ON';
  sortDirection?: SortDirection;
}

export interface TagQuery {
  sort?: DockerTagSort;
  /** Synapse's default is false: newest (or last in name order) first. */
  ascending?: boolean;
}

/**
 * Remembers resolved repositories by id and the `modifiedOn` of their child header, so a
 * repository that did not change since is not fetched again.
 */
export interface RepositoryCache {
  get(id: string, modifiedOn: string | undefined): DockerRepository | undefined;
  set(repository: DockerRepository, modifiedOn: string | undefined): void;
}

const USER_BUNDLE_CERTIFIED = 0x8;

export class SynapseClient {
  private readonly transport: SynapseTransport;

  constructor(options: TransportOptions) {
    this.transport = new SynapseTransport(options);
  }

  get endpoint(): string {
    return this.transport.endpoint;
  }

  /** Evaluation queues, challenges and submissions (synapse-api.md §8), through the same transport and limiter. */
  get evaluations(): EvaluationClient {
    return new EvaluationClient(this.transport);
  }

  /** The caller's profile; the anonymous user (273950) when no token was given. */
  getUserProfile(signal?: AbortSignal): Promise<UserProfile> {
    return this.transport.request('/repo/v1/userProfile', { signal, parse: parseUserProfile });
  }

  async isCertified(signal?: AbortSignal): Promise<boolean> {
    const bundle = await this.transport.request<UserBundle>('/repo/v1/user/bundle', {
      query: { mask: USER_BUNDLE_CERTIFIED },
      signal,
      parse: parseUserBundle,
    });
    return bundle.isCertified === true;
  }

  /** The certification quiz record, or undefined when the user never took the quiz. */
  async getCertificationRecord(ownerId: string, signal?: AbortSignal): Promise<PassingRecord | undefined> {
    return this.undefinedIfNotFound(() =>
      this.transport.request<PassingRecord>(`/repo/v1/user/${encodeURIComponent(ownerId)}/certifiedUserPassingRecord`, {
        signal,
        parse: parsePassingRecord,
      }),
    );
  }

  async listProjects(query: ProjectQuery, nextPageToken?: string, signal?: AbortSignal): Promise<TokenPage<ProjectHeader>> {
    const list = await this.transport.request<ProjectHeaderList>('/repo/v1/projects', {
      query: { filter: query.filter, sort: query.sort, sortDirection: query.sortDirection, nextPageToken },
      signal,
      parse: parseProjectHeaderList,
    });
    return { items: list.results, nextPageToken: list.nextPageToken };
  }

  projectPages(query: ProjectQuery = {}, signal?: AbortSignal): AsyncGenerator<ProjectHeader[]> {
    return pagesByToken((token) => this.listProjects(query, token, signal));
  }

  /** One page of the DockerRepository children of a project (headers only). */
  async listDockerRepositoryHeaders(
    projectId: string,
    nextPageToken?: string,
    query: ChildrenQuery = {},
    signal?: AbortSignal,
  ): Promise<TokenPage<EntityHeader>> {
    const response = await this.transport.request<EntityChildrenResponse>('/repo/v1/entity/children', {
      method: 'POST',
      body: {
        parentId: projectId,
        includeTypes: ['dockerrepo'],
        sortBy: query.sortBy ?? 'NAME',
        sortDirection: query.sortDirection ?? 'ASC',
        // Left out on the first page: the spec's nextPageToken is a string, and Synapse reads absent as the first page.
        ...(nextPageToken !== undefined ? { nextPageToken } : {}),
      },
      signal,
      parse: parseEntityChildren,
    });
    return { items: response.page, nextPageToken: response.nextPageToken };
  }

  /**
   * One page of a project's Docker repositories, each header resolved to its entity (for
   * `repositoryName`). The transport keeps the lookups to 3 in flight; a cache skips
   * repositories whose header shows no change.
   */
  async listDockerRepositories(
    projectId: string,
    nextPageToken?: string,
    options: { query?: ChildrenQuery; cache?: RepositoryCache; signal?: AbortSignal } = {},
  ): Promise<TokenPage<DockerRepository>> {
    const page = await this.listDockerRepositoryHeaders(projectId, nextPageToken, options.query, options.signal);
    const repositories = await Promise.all(
      page.items.map(async (header) => {
        const cached = options.cache?.get(header.id, header.modifiedOn);
        if (cached) return cached;
        const entity = await this.getEntity(header.id, options.signal);
        if (!isDockerRepository(entity)) {
          throw new SynapseError(
            'badResponse',
            l10n.t({
              message: 'Synapse listed {0} as a Docker repository of {1}, but GET /repo/v1/entity/{0} answered a {2}.',
              args: [header.id, projectId, entity.concreteType],
              comment: ['{0}: the entity synID. {1}: the project synID. {2}: the Java class name Synapse gave the entity.'],
            }),
          );
        }
        options.cache?.set(entity, header.modifiedOn);
        return entity;
      }),
    );
    return { items: repositories, nextPageToken: page.nextPageToken };
  }

  dockerRepositoryPages(projectId: string, options: { query?: ChildrenQuery; cache?: RepositoryCache; signal?: AbortSignal } = {}) {
    return pagesByToken((token) => this.listDockerRepositories(projectId, token, options));
  }

  getEntity(id: string, signal?: AbortSignal): Promise<Entity> {
    return this.transport.request<Entity>(`/repo/v1/entity/${encodeURIComponent(id)}`, { signal, parse: parseEntity });
  }

  /** The entity id of a managed repository, by its full name with the registry host; undefined if none. */
  async findDockerRepositoryId(repositoryName: string, signal?: AbortSignal): Promise<string | undefined> {
    const found = await this.undefinedIfNotFound(() =>
      this.transport.request<{ id: string }>('/repo/v1/entity/dockerRepo/id', { query: { repositoryName }, signal, parse: parseEntityId }),
    );
    return found?.id;
  }

  async listDockerTags(
    repositoryId: string,
    page: { limit: number; offset: number },
    query: TagQuery = {},
    signal?: AbortSignal,
  ): Promise<PaginatedResults<DockerCommit>> {
    return this.transport.request<PaginatedResults<DockerCommit>>(`/repo/v1/entity/${encodeURIComponent(repositoryId)}/dockerTag`, {
      query: { sort: query.sort ?? 'CREATED_ON', ascending: query.ascending ?? false, limit: page.limit, offset: page.offset },
      signal,
      parse: parseDockerCommits,
    });
  }

  dockerTagPages(repositoryId: string, pageSize: number, query: TagQuery = {}, signal?: AbortSignal): AsyncGenerator<DockerCommit[]> {
    return pagesByOffset(
      async (offset, limit) => (await this.listDockerTags(repositoryId, { limit, offset }, query, signal)).results,
      pageSize,
    );
  }

  getPermissions(entityId: string, signal?: AbortSignal): Promise<UserEntityPermissions> {
    return this.transport.request<UserEntityPermissions>(`/repo/v1/entity/${encodeURIComponent(entityId)}/permissions`, {
      signal,
      parse: parsePermissions,
    });
  }

  /** Why DOWNLOAD of an entity may be refused: its access requirements and whether the caller met them. */
  getRestrictionInformation(entityId: string, signal?: AbortSignal): Promise<RestrictionInformation> {
    return this.transport.request<RestrictionInformation>('/repo/v1/restrictionInformation', {
      method: 'POST',
      body: { restrictableObjectType: 'ENTITY', objectId: entityId },
      signal,
      parse: parseRestrictionInformation,
    });
  }

  getAccessRequirement(requirementId: number, signal?: AbortSignal): Promise<AccessRequirement> {
    return this.transport.request<AccessRequirement>(`/repo/v1/accessRequirement/${encodeURIComponent(String(requirementId))}`, {
      signal,
      parse: parseAccessRequirement,
    });
  }

  // ---- Sharing settings (synapse-api.md §9; acl.ts) ----

  /** The entity whose ACL applies to this one (itself when it has local sharing settings). */
  getBenefactor(entityId: string, signal?: AbortSignal): Promise<BenefactorHeader> {
    return this.transport.request<BenefactorHeader>(`/repo/v1/entity/${encodeURIComponent(entityId)}/benefactor`, {
      signal,
      parse: parseBenefactorHeader,
    });
  }

  /** The entity's own ACL; a 404 naming the benefactor when it inherits one. */
  getAcl(entityId: string, signal?: AbortSignal): Promise<AccessControlList> {
    return this.transport.request<AccessControlList>(`/repo/v1/entity/${encodeURIComponent(entityId)}/acl`, {
      signal,
      parse: parseAccessControlList,
    });
  }

  /** Creates local sharing settings (POST: overrides inheritance). */
  createAcl(entityId: string, resourceAccess: ResourceAccess[], signal?: AbortSignal): Promise<AccessControlList> {
    return this.transport.request<AccessControlList>(`/repo/v1/entity/${encodeURIComponent(entityId)}/acl`, {
      method: 'POST',
      body: aclBody({ id: entityId, resourceAccess }),
      signal,
      parse: parseAccessControlList,
      notIdempotent: true,
    });
  }

  /** Replaces the rows of local sharing settings; the etag must be the one read (else 412, nothing changed). */
  updateAcl(acl: AccessControlList, resourceAccess: ResourceAccess[], signal?: AbortSignal): Promise<AccessControlList> {
    return this.transport.request<AccessControlList>(`/repo/v1/entity/${encodeURIComponent(acl.id)}/acl`, {
      method: 'PUT',
      body: aclBody({ ...acl, resourceAccess }),
      signal,
      parse: parseAccessControlList,
      notIdempotent: true,
    });
  }

  /** Deletes local sharing settings: the entity inherits again (204). */
  async deleteAcl(entityId: string, signal?: AbortSignal): Promise<void> {
    await this.transport.request<void>(`/repo/v1/entity/${encodeURIComponent(entityId)}/acl`, {
      method: 'DELETE',
      signal,
      noContent: true,
      notIdempotent: true,
    });
  }

  /** Users and teams whose user name, first and last name, or team name starts with the text. */
  findPrincipals(
    prefix: string,
    options: { typeFilter?: 'ALL' | 'USERS_ONLY' | 'TEAMS_ONLY'; limit?: number; signal?: AbortSignal } = {},
  ): Promise<UserGroupHeader[]> {
    return this.transport.request<UserGroupHeader[]>('/repo/v1/userGroupHeaders', {
      query: { prefix, typeFilter: options.typeFilter, limit: options.limit },
      signal: options.signal,
      parse: parseUserGroupHeaders,
    });
  }

  /** Names of principals by id (unknown ids are left out). */
  async principalHeaders(ids: string[], signal?: AbortSignal): Promise<UserGroupHeader[]> {
    if (ids.length === 0) return [];
    return this.transport.request<UserGroupHeader[]>('/repo/v1/userGroupHeaders/batch', {
      query: { ids: ids.join(',') },
      signal,
      parse: parseUserGroupHeaders,
    });
  }

  private async undefinedIfNotFound<T>(call: () => Promise<T>): Promise<T | undefined> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof SynapseError && error.kind === 'notFound' && !error.inTrash) return undefined;
      throw error;
    }
  }
}
