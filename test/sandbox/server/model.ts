// The sandbox's in-memory Synapse: users, teams, entities with ACLs, trash and docker commits.
import { randomUUID } from 'node:crypto';

/** Bootstrap principals of Synapse (AuthorizationConstants.BOOTSTRAP_PRINCIPAL). */
export const ANONYMOUS_USER_ID = '273950';
export const PUBLIC_GROUP_ID = '273949';
export const AUTHENTICATED_USERS_GROUP_ID = '273948';
/** BOOTSTRAP_PRINCIPAL.CERTIFIED_USERS. */
export const CERTIFIED_USERS_GROUP_ID = '3';
/** The root entity every project hangs under. */
export const ROOT_ENTITY_ID = 'syn4489';
/** Synapse's trash can folder (production's TRASH_FOLDER_ID): trashing moves a node under it. */
export const TRASH_FOLDER_ID = 'syn1681355';

export const ACCESS_TYPES = [
  'READ',
  'DOWNLOAD',
  'UPDATE',
  'CREATE',
  'DELETE',
  'CHANGE_PERMISSIONS',
  'CHANGE_SETTINGS',
  'MODERATE',
] as const;
export type AccessType = (typeof ACCESS_TYPES)[number];
/** Every value of ACCESS_TYPE in the REST spec (what a request may name; an unknown one is 400). */
export const ACCESS_TYPE_ENUM = [
  'CREATE',
  'READ',
  'UPDATE',
  'DELETE',
  'CHANGE_PERMISSIONS',
  'DOWNLOAD',
  'UPLOAD',
  'PARTICIPATE',
  'SUBMIT',
  'READ_PRIVATE_SUBMISSION',
  'UPDATE_SUBMISSION',
  'DELETE_SUBMISSION',
  'TEAM_MEMBERSHIP_UPDATE',
  'SEND_MESSAGE',
  'CHANGE_SETTINGS',
  'MODERATE',
  'REVIEW_SUBMISSIONS',
  'EXEMPTION_ELIGIBLE',
] as const;

export const OAUTH_SCOPES = ['openid', 'email', 'profile', 'view', 'download', 'modify', 'authorize', 'offline_access'] as const;
export type OAuthScope = (typeof OAUTH_SCOPES)[number];

export type EntityKind = 'project' | 'folder' | 'dockerrepo';

/**
 * A repository path (no host, no tag) as DockerNameUtil accepts it: a first segment of [a-z0-9]+, then one or
 * more components of [a-z0-9]+ joined by '.', '_', '__' or a run of '-'.
 */
const REPOSITORY_PATH = /^[a-z0-9]+(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)+$/;
export const isValidRepositoryPath = (path: string): boolean => REPOSITORY_PATH.test(path);

/** Normalizes "syn123", "SYN123" or "123" to "syn123" like KeyFactory; undefined when it is no entity id. */
export function normalizeEntityId(raw: string): string | undefined {
  const match = /^(?:syn)?(\d+)$/i.exec(raw.trim());
  return match ? `syn${match[1].replace(/^0+(?=\d)/, '')}` : undefined;
}

/** EntityType values of the REST API (EntityChildrenRequest.includeTypes). */
export const ENTITY_TYPES = [
  'project',
  'folder',
  'file',
  'table',
  'link',
  'entityview',
  'dockerrepo',
  'submissionview',
  'dataset',
  'datasetcollection',
  'materializedview',
  'virtualtable',
] as const;

/** Java class names used as `type` in EntityHeader and `concreteType` in entity JSON. */
export const ENTITY_CLASS: Record<EntityKind, string> = {
  project: 'org.sagebionetworks.repo.model.Project',
  folder: 'org.sagebionetworks.repo.model.Folder',
  dockerrepo: 'org.sagebionetworks.repo.model.docker.DockerRepository',
};

export interface UserRecord {
  userName: string;
  ownerId: string;
  firstName: string;
  lastName: string;
  email: string;
  certified: boolean;
  /** Scopes of the user's seeded PAT. */
  scopes: OAuthScope[];
  createdOn: number;
  certifiedOn: number;
  etag: string;
  profile: Record<string, string>;
  twoFactorAuthEnabled: boolean;
  /** false: the user must accept new terms of use, and every call answers 403 (AcceptTermsOfUseFilter). */
  termsOfUseAccepted: boolean;
}

/** An access requirement (a managed ACT one) bound to entities; it restricts DOWNLOAD of them and their descendants. */
export interface AccessRequirementRecord {
  id: number;
  /** ManagedACTAccessRequirement.isTwoFaRequired */
  twoFaRequired: boolean;
  /** Users with an approval. */
  approved: Set<string>;
  subjectIds: string[];
}

export interface TeamRecord {
  id: string;
  name: string;
  members: Set<string>;
}

/** principal id → granted access types. */
export type Acl = Map<string, Set<AccessType>>;

export interface CommitRecord {
  tag: string;
  digest: string;
  createdOn: number;
}

export interface EntityRecord {
  id: string;
  kind: EntityKind;
  name: string;
  /** null for projects (their parent is the root). */
  parentId: string | null;
  createdOn: number;
  modifiedOn: number;
  createdBy: string;
  modifiedBy: string;
  etag: string;
  description?: string;
  /** Moved to the trash can itself (its parentId is then TRASH_FOLDER_ID; descendants are in the trash too). */
  trashed: boolean;
  /** Where a trashed node came from, for a restore. */
  trashedFrom?: { parentId: string | null; name: string };
  /** Local sharing settings; entities without one inherit their benefactor's. */
  acl: Acl | null;
  /** The local ACL's own etag and creation time (AccessControlList.etag / creationDate); see aclMetadata. */
  aclEtag?: string;
  aclCreatedOn?: number;
  lastActivity?: number;
  repositoryName?: string;
  isManaged?: boolean;
  commits: CommitRecord[];
}

/** Strictly increasing "now", so commits and etags made in the same millisecond still order. */
export class Clock {
  private last = 0;
  now(): number {
    this.last = Math.max(Date.now(), this.last + 1);
    return this.last;
  }
}

export class SandboxModel {
  readonly users = new Map<string, UserRecord>();
  readonly usersByName = new Map<string, UserRecord>();
  readonly teams = new Map<string, TeamRecord>();
  readonly entities = new Map<string, EntityRecord>();
  /** Managed repository name → entity id (Synapse's DOCKER_REPOSITORY_NAME table). */
  readonly managedRepositories = new Map<string, string>();
  readonly accessRequirements = new Map<number, AccessRequirementRecord>();
  private nextId = 1;
  /** The trash can: a folder whose ACL grants nobody anything. */
  private readonly trashFolder: EntityRecord;

  constructor(readonly clock: Clock) {
    this.trashFolder = {
      id: TRASH_FOLDER_ID,
      kind: 'folder',
      name: 'Trash',
      parentId: null,
      createdOn: 0,
      modifiedOn: 0,
      createdBy: ANONYMOUS_USER_ID,
      modifiedBy: ANONYMOUS_USER_ID,
      etag: randomUUID(),
      trashed: false,
      acl: new Map(),
      commits: [],
    };
    // Not through addEntity: the trash can's id must not move where new ids start.
    this.entities.set(TRASH_FOLDER_ID, this.trashFolder);
  }

  /** REPOSITORY_NAME has a case-insensitive collation: one key for every spelling. */
  static repositoryKey(repositoryName: string): string {
    return repositoryName.toLowerCase();
  }

  managedRepositoryId(repositoryName: string): string | undefined {
    return this.managedRepositories.get(SandboxModel.repositoryKey(repositoryName));
  }

  addUser(user: UserRecord): void {
    this.users.set(user.ownerId, user);
    this.usersByName.set(user.userName, user);
  }

  addEntity(entity: EntityRecord): void {
    this.entities.set(entity.id, entity);
    this.nextId = Math.max(this.nextId, Number(entity.id.slice(3)) + 1);
    if (entity.kind === 'dockerrepo' && entity.isManaged && entity.repositoryName) {
      this.managedRepositories.set(SandboxModel.repositoryKey(entity.repositoryName), entity.id);
    }
  }

  newEntityId(): string {
    return `syn${this.nextId++}`;
  }

  /** The principals a user acts as: self, teams, PUBLIC and (signed in) AUTHENTICATED_USERS. */
  groupsOf(user: UserRecord | undefined): Set<string> {
    if (!user) return new Set([ANONYMOUS_USER_ID, PUBLIC_GROUP_ID]);
    const groups = new Set([user.ownerId, PUBLIC_GROUP_ID, AUTHENTICATED_USERS_GROUP_ID]);
    if (user.certified) groups.add(CERTIFIED_USERS_GROUP_ID);
    for (const team of this.teams.values()) if (team.members.has(user.ownerId)) groups.add(team.id);
    return groups;
  }

  /** An entity is in the trash when it or any ancestor was moved there (its benefactor is then the trash can). */
  isInTrash(entity: EntityRecord): boolean {
    for (let current: EntityRecord | undefined = entity; current; current = this.parentOf(current)) {
      if (current.id === TRASH_FOLDER_ID) return true;
    }
    return false;
  }

  /**
   * TrashManagerImpl.moveToTrash: the node moves under the trash can, is renamed to its id, and every ACL in
   * its hierarchy is deleted (a restore does not bring them back).
   */
  moveToTrash(entity: EntityRecord): void {
    if (entity.trashed || this.isInTrash(entity)) return;
    entity.trashedFrom = { parentId: entity.parentId, name: entity.name };
    entity.trashed = true;
    entity.parentId = TRASH_FOLDER_ID;
    entity.name = entity.id;
    entity.etag = randomUUID();
    const dropAcls = (node: EntityRecord): void => {
      this.setAcl(node, null);
      for (const child of this.children(node.id)) dropAcls(child);
    };
    dropAcls(entity);
  }

  /** restoreFromTrash: back under the old parent with the old name; a project gets an ACL granting its restorer all. */
  restoreFromTrash(entity: EntityRecord, restorer: string, allAccess: readonly AccessType[]): void {
    if (!entity.trashed || !entity.trashedFrom) return;
    entity.parentId = entity.trashedFrom.parentId;
    entity.name = entity.trashedFrom.name;
    entity.trashed = false;
    entity.trashedFrom = undefined;
    entity.etag = randomUUID();
    if (entity.parentId === null) this.setAcl(entity, new Map([[restorer, new Set(allAccess)]]));
  }

  /** The access requirements bound to the entity or one of its ancestors. */
  accessRequirementsOf(entity: EntityRecord): AccessRequirementRecord[] {
    const ids = new Set<string>();
    for (let current: EntityRecord | undefined = entity; current; current = this.parentOf(current)) ids.add(current.id);
    return [...this.accessRequirements.values()].filter((ar) => ar.subjectIds.some((id) => ids.has(id))).sort((a, b) => a.id - b.id);
  }

  parentOf(entity: EntityRecord): EntityRecord | undefined {
    return entity.parentId === null ? undefined : this.entities.get(entity.parentId);
  }

  /** The entity whose ACL applies: itself when it has local sharing settings, else the nearest ancestor with one. */
  benefactorOf(entity: EntityRecord): EntityRecord {
    for (let current: EntityRecord | undefined = entity; current; current = this.parentOf(current)) {
      if (current.acl) return current;
    }
    throw new Error(`${entity.id} has no benefactor (its project has no ACL)`);
  }

  /** The local ACL's etag and creation date, made on first use for seeded ACLs (which all exist at the epoch). */
  aclMetadata(entity: EntityRecord): { etag: string; createdOn: number } {
    entity.aclEtag ??= randomUUID();
    entity.aclCreatedOn ??= entity.createdOn;
    return { etag: entity.aclEtag, createdOn: entity.aclCreatedOn };
  }

  /** Replaces (or with null deletes) the entity's local ACL; a new ACL gets a new etag, as the DAO writes one. */
  setAcl(entity: EntityRecord, acl: Acl | null, createdOn?: number): void {
    entity.acl = acl;
    entity.aclEtag = acl ? randomUUID() : undefined;
    entity.aclCreatedOn = acl ? (createdOn ?? entity.aclCreatedOn ?? this.clock.now()) : undefined;
  }

  /** NodeDAO.touch: a write to the node (its ACL included) gives it a new etag and modifiedOn/By. */
  touch(entity: EntityRecord, userId: string): void {
    entity.etag = randomUUID();
    entity.modifiedOn = this.clock.now();
    entity.modifiedBy = userId;
  }

  /** Access types the ACL grants to any of the given principals. */
  static granted(acl: Acl, principals: Set<string>): Set<AccessType> {
    const result = new Set<AccessType>();
    for (const [principal, types] of acl) {
      if (principals.has(principal)) for (const type of types) result.add(type);
    }
    return result;
  }

  children(parentId: string): EntityRecord[] {
    return [...this.entities.values()].filter((entity) => entity.parentId === parentId);
  }

  projects(): EntityRecord[] {
    return [...this.entities.values()].filter((entity) => entity.kind === 'project');
  }

  /** Undoes what addEntity did (a rolled-back registry notification). */
  removeEntity(entity: EntityRecord): void {
    this.entities.delete(entity.id);
    if (entity.repositoryName) this.managedRepositories.delete(SandboxModel.repositoryKey(entity.repositoryName));
  }

  /** Creates a managed repository the way the registry listener does: no name, so name = id. */
  createManagedRepository(repositoryName: string, parentId: string, createdBy: string): EntityRecord {
    const now = this.clock.now();
    const id = this.newEntityId();
    const entity: EntityRecord = {
      id,
      kind: 'dockerrepo',
      name: id,
      parentId,
      createdOn: now,
      modifiedOn: now,
      createdBy,
      modifiedBy: createdBy,
      etag: randomUUID(),
      trashed: false,
      acl: null,
      repositoryName,
      isManaged: true,
      commits: [],
    };
    this.addEntity(entity);
    return entity;
  }

  /** Records a commit; like DockerCommitDaoImpl it also bumps the repository's etag and modifiedOn/By. */
  addCommit(repository: EntityRecord, tag: string, digest: string, userId: string): CommitRecord {
    const commit: CommitRecord = { tag, digest, createdOn: this.clock.now() };
    repository.commits.push(commit);
    repository.modifiedOn = commit.createdOn;
    repository.modifiedBy = userId;
    repository.etag = randomUUID();
    return commit;
  }

  /** The newest commit of every tag (what GET /entity/{id}/dockerTag lists); TAG compares case-insensitively. */
  static latestCommitPerTag(repository: EntityRecord): CommitRecord[] {
    const latest = new Map<string, CommitRecord>();
    for (const commit of repository.commits) {
      const key = commit.tag.toLowerCase();
      const known = latest.get(key);
      if (!known || commit.createdOn >= known.createdOn) latest.set(key, commit);
    }
    return [...latest.values()];
  }
}
