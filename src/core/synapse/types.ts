// JSON shapes of the Synapse REST API that this extension reads (synapse-api.md §1–§2).

export const ANONYMOUS_PRINCIPAL_ID = '273950';

export interface UserProfile {
  ownerId: string;
  userName: string;
  firstName?: string;
  lastName?: string;
  emails?: string[];
  createdOn?: string;
  etag?: string;
}

export interface UserBundle {
  userId: string;
  userProfile?: UserProfile;
  isCertified?: boolean;
}

export interface PassingRecord {
  userId: string;
  passed: boolean;
  passedOn?: string;
  revoked?: boolean;
  certified?: boolean;
}

export type ProjectListFilter = 'ALL' | 'CREATED' | 'PARTICIPATED';
export type ProjectListSort = 'LAST_ACTIVITY' | 'PROJECT_NAME';
export type SortDirection = 'ASC' | 'DESC';

export interface ProjectHeader {
  id: string;
  name: string;
  lastActivity?: string;
  modifiedOn?: string;
  modifiedBy?: number;
}

export interface ProjectHeaderList {
  results: ProjectHeader[];
  nextPageToken?: string;
}

export const DOCKER_REPOSITORY_TYPE = 'org.sagebionetworks.repo.model.docker.DockerRepository';
export const PROJECT_TYPE = 'org.sagebionetworks.repo.model.Project';

export interface EntityHeader {
  id: string;
  name: string;
  /** The Java class name, e.g. org.sagebionetworks.repo.model.docker.DockerRepository. */
  type: string;
  benefactorId?: number;
  createdOn?: string;
  modifiedOn?: string;
  createdBy?: string;
  modifiedBy?: string;
}

export interface EntityChildrenResponse {
  page: EntityHeader[];
  nextPageToken?: string;
  totalChildCount?: number;
}

export interface Entity {
  id: string;
  name: string;
  concreteType: string;
  parentId?: string;
  etag?: string;
  createdOn?: string;
  modifiedOn?: string;
  createdBy?: string;
  modifiedBy?: string;
  description?: string;
}

export interface DockerRepository extends Entity {
  /** Full name including the registry host, e.g. docker.synapse.org/syn123/my-tool. */
  repositoryName: string;
  /** True for repositories created by pushes to the Synapse registry; false for external ones. */
  isManaged: boolean;
}

export type DockerTagSort = 'CREATED_ON' | 'TAG';

export interface DockerCommit {
  tag: string;
  digest: string;
  createdOn: string;
}

export interface PaginatedResults<T> {
  /** An estimate: offset + page size (+1 when the page is full). Page until a short page. */
  totalNumberOfResults: number;
  results: T[];
}

export interface UserEntityPermissions {
  canView: boolean;
  canEdit: boolean;
  canCertifiedUserEdit: boolean;
  canAddChild: boolean;
  canCertifiedUserAddChild: boolean;
  canDownload: boolean;
  canUpload: boolean;
  canDelete?: boolean;
  canChangePermissions?: boolean;
  canPublicRead?: boolean;
  isCertifiedUser: boolean;
  isCertificationRequired?: boolean;
  ownerPrincipalId?: number;
}

export function isDockerRepository(entity: Entity): entity is DockerRepository {
  return entity.concreteType === DOCKER_REPOSITORY_TYPE;
}
