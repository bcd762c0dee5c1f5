// The seed file format (documented in test/sandbox/README.md) and how it becomes a SandboxModel.
import { createHash, randomUUID } from 'node:crypto';
import {
  ACCESS_TYPES,
  AUTHENTICATED_USERS_GROUP_ID,
  AccessType,
  Acl,
  CERTIFIED_USERS_GROUP_ID,
  Clock,
  EntityRecord,
  OAUTH_SCOPES,
  OAuthScope,
  PUBLIC_GROUP_ID,
  SandboxModel,
  UserRecord,
  isValidRepositoryPath,
  normalizeEntityId,
} from './model';
import { SeedChallenges, seedEvaluations } from './evaluations';

/** Placeholder in seeded repository names, replaced by the registry's host:port. */
export const REGISTRY_PLACEHOLDER = '{registry}';
export const DEFAULT_SCOPES: OAuthScope[] = ['view', 'download', 'modify'];
const DEFAULT_EPOCH = '2024-01-01T00:00:00.000Z';
const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;

export interface SeedData {
  /** Base time for dates the seed leaves out, and the `iat` of seeded tokens. */
  epoch?: string;
  /** HMAC key of the sandbox's PATs; keep it fixed so stored tokens survive restarts. */
  tokenSecret?: string;
  users: SeedUser[];
  teams?: SeedTeam[];
  projects: Array<SeedProject | SeedProjectGenerator>;
  /** Challenges and evaluation queues (server/evaluations.ts). */
  challenges?: SeedChallenges;
}

export interface SeedUser {
  userName: string;
  ownerId: string;
  firstName?: string;
  lastName?: string;
  email?: string;
  certified?: boolean;
  /** Scopes of the seeded PAT (default view, download, modify). */
  scopes?: string[];
  company?: string;
  position?: string;
  location?: string;
  /** UserProfile.twoFactorAuthEnabled (default false). */
  twoFactorAuthEnabled?: boolean;
  /** false: the user has not accepted the new terms of use; every call answers 403 (default true). */
  termsOfUseAccepted?: boolean;
}

export interface SeedTeam {
  id: string;
  name: string;
  /** userNames */
  members: string[];
}

/** principal (a userName, a team name, "PUBLIC" or "AUTHENTICATED_USERS") → access types ("ADMIN" = all). */
export type SeedAcl = Record<string, string[]>;

interface SeedEntityBase {
  id: string;
  description?: string;
  /** userName; defaults to the project's creator. */
  createdBy?: string;
  createdOn?: string;
  modifiedOn?: string;
  inTrash?: boolean;
  /** Local sharing settings (projects must have one). */
  acl?: SeedAcl;
  /** Access requirements bound to this entity (they restrict DOWNLOAD of it and everything below it). */
  accessRequirements?: SeedAccessRequirement[];
}

export interface SeedAccessRequirement {
  /** Numeric id, unique in the seed. */
  id: number;
  /** Download also needs two-factor authentication (ManagedACTAccessRequirement.isTwoFaRequired). */
  twoFaRequired?: boolean;
  /** userNames with an approval. */
  approved?: string[];
}

export interface SeedProject extends SeedEntityBase {
  name: string;
  createdBy: string;
  acl: SeedAcl;
  lastActivity?: string;
  children?: SeedChild[];
}

export interface SeedProjectGenerator {
  generate: {
    count: number;
    /** Numeric id of the first project; the rest follow. */
    idStart: number;
    namePrefix: string;
    owner: string;
    /** Defaults to ADMIN for the owner. */
    acl?: SeedAcl;
    /** lastActivity of the first project; each next one is stepMinutes later. */
    lastActivityFrom: string;
    stepMinutes?: number;
  };
}

export type SeedChild = SeedFolder | SeedDockerRepository;

export interface SeedFolder extends SeedEntityBase {
  type: 'folder';
  name: string;
  children?: SeedFolder[];
}

export interface SeedDockerRepository extends SeedEntityBase {
  type: 'dockerrepo';
  /** Managed: "{registry}/<projectId>/<name>"; external: any name not on the registry host. */
  repositoryName: string;
  /** false for an external repository (default true). */
  managed?: boolean;
  /** Only external repositories have their own name (managed ones are named by their id). */
  name?: string;
  tags?: SeedTag[];
  /** Adds tags prefix01…prefixNN after `tags`. */
  generateTags?: { count: number; prefix: string };
}

export interface SeedTag {
  tag: string;
  /** Default: a stable digest derived from repository and tag. */
  digest?: string;
  createdOn?: string;
}

const ALL_ACCESS: AccessType[] = [...ACCESS_TYPES];

function seedError(message: string): Error {
  return new Error(`Invalid sandbox seed: ${message}`);
}

function parseDate(value: string, what: string): number {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw seedError(`${what}: "${value}" is not a date`);
  return ms;
}

const pad = (index: number, count: number): string => String(index).padStart(String(count).length, '0');

export function seedEpoch(seed: SeedData): number {
  return parseDate(seed.epoch ?? DEFAULT_EPOCH, 'epoch');
}

/** Expands generator entries into plain projects. */
export function expandProjects(seed: SeedData): SeedProject[] {
  const projects: SeedProject[] = [];
  for (const entry of seed.projects) {
    if (!('generate' in entry)) {
      projects.push(entry);
      continue;
    }
    const g = entry.generate;
    const from = parseDate(g.lastActivityFrom, 'generate.lastActivityFrom');
    for (let i = 1; i <= g.count; i++) {
      projects.push({
        id: `syn${g.idStart + i - 1}`,
        name: `${g.namePrefix}${pad(i, g.count)}`,
        createdBy: g.owner,
        acl: g.acl ?? { [g.owner]: ['ADMIN'] },
        lastActivity: new Date(from + (i - 1) * (g.stepMinutes ?? 60) * MINUTE_MS).toISOString(),
      });
    }
  }
  return projects;
}

/** Builds the in-memory Synapse a seed describes; throws on anything inconsistent. */
export function buildModel(seed: SeedData, registryHost: string, clock: Clock): SandboxModel {
  const model = new SandboxModel(clock);
  const epoch = seedEpoch(seed);

  for (const user of seed.users) model.addUser(toUserRecord(user, epoch, model));
  const principalIds = new Map<string, string>([
    ['PUBLIC', PUBLIC_GROUP_ID],
    ['AUTHENTICATED_USERS', AUTHENTICATED_USERS_GROUP_ID],
    ['CERTIFIED_USERS', CERTIFIED_USERS_GROUP_ID],
  ]);
  for (const user of model.users.values()) principalIds.set(user.userName, user.ownerId);
  for (const team of seed.teams ?? []) {
    if (principalIds.has(team.name)) throw seedError(`team name "${team.name}" is already a principal name`);
    const members = new Set(team.members.map((name) => userByName(model, name, `team ${team.name}`).ownerId));
    model.teams.set(team.id, { id: team.id, name: team.name, members });
    principalIds.set(team.name, team.id);
  }

  const toAcl = (acl: SeedAcl, where: string): Acl => {
    const result: Acl = new Map();
    for (const [principal, types] of Object.entries(acl)) {
      const principalId = principalIds.get(principal);
      if (!principalId) throw seedError(`${where}: unknown principal "${principal}"`);
      const granted = new Set<AccessType>();
      for (const type of types) {
        if (type === 'ADMIN') ALL_ACCESS.forEach((t) => granted.add(t));
        else if ((ACCESS_TYPES as readonly string[]).includes(type)) granted.add(type as AccessType);
        else throw seedError(`${where}: unknown access type "${type}"`);
      }
      result.set(principalId, granted);
    }
    return result;
  };

  let ordinal = 0;
  const toTrash: string[] = [];
  const addRequirements = (entry: SeedEntityBase, id: string): void => {
    for (const requirement of entry.accessRequirements ?? []) {
      if (!Number.isInteger(requirement.id) || requirement.id <= 0) throw seedError(`${id}: access requirement ids are positive integers`);
      const known = model.accessRequirements.get(requirement.id);
      if (known) {
        known.subjectIds.push(id);
        continue;
      }
      model.accessRequirements.set(requirement.id, {
        id: requirement.id,
        twoFaRequired: requirement.twoFaRequired ?? false,
        approved: new Set(
          (requirement.approved ?? []).map((name) => userByName(model, name, `access requirement ${requirement.id}`).ownerId),
        ),
        subjectIds: [id],
      });
    }
  };
  const base = (entry: SeedEntityBase, name: string, parentId: string | null, defaultCreator: string): EntityRecord => {
    const id = normalizeEntityId(entry.id);
    if (!id || id !== entry.id) throw seedError(`"${entry.id}" is not an entity id like syn123`);
    if (model.entities.has(id)) throw seedError(`duplicate entity id ${id}`);
    const createdBy = userByName(model, entry.createdBy ?? defaultCreator, id).ownerId;
    const createdOn = entry.createdOn ? parseDate(entry.createdOn, `${id}.createdOn`) : epoch + ++ordinal * HOUR_MS;
    if (entry.inTrash) toTrash.push(id);
    addRequirements(entry, id);
    return {
      id,
      kind: 'folder',
      name,
      parentId,
      createdOn,
      modifiedOn: entry.modifiedOn ? parseDate(entry.modifiedOn, `${id}.modifiedOn`) : createdOn,
      createdBy,
      modifiedBy: createdBy,
      etag: randomUUID(),
      description: entry.description,
      trashed: false,
      acl: entry.acl ? toAcl(entry.acl, id) : null,
      commits: [],
    };
  };

  const addFolder = (folder: SeedFolder, parentId: string, creator: string): void => {
    model.addEntity({ ...base(folder, folder.name, parentId, creator), kind: 'folder' });
    for (const child of folder.children ?? []) {
      if (child.type !== 'folder') throw seedError(`${folder.id}: folders may only contain folders in the sandbox`);
      addFolder(child, folder.id, creator);
    }
  };

  const addRepository = (repo: SeedDockerRepository, projectId: string, creator: string): void => {
    const managed = repo.managed ?? true;
    const entity = base(repo, '', projectId, creator);
    entity.kind = 'dockerrepo';
    entity.isManaged = managed;
    if (managed) {
      if (repo.name) throw seedError(`${repo.id}: managed repositories are named by their id`);
      if (!repo.repositoryName.startsWith(`${REGISTRY_PLACEHOLDER}/`)) {
        throw seedError(`${repo.id}: a managed repositoryName starts with "${REGISTRY_PLACEHOLDER}/"`);
      }
      const path = repo.repositoryName.slice(REGISTRY_PLACEHOLDER.length + 1);
      if (!isValidRepositoryPath(path) || path.split('/')[0] !== projectId) {
        throw seedError(`${repo.id}: "${path}" is not a valid repository path under ${projectId}`);
      }
      entity.name = entity.id;
      entity.repositoryName = `${registryHost}/${path}`;
      if (model.managedRepositoryId(entity.repositoryName)) throw seedError(`duplicate repository ${path}`);
    } else {
      if (!repo.name) throw seedError(`${repo.id}: external repositories need a name`);
      if (repo.repositoryName.includes(REGISTRY_PLACEHOLDER)) throw seedError(`${repo.id}: external repositories are not on the registry`);
      entity.name = repo.name;
      entity.repositoryName = repo.repositoryName;
    }
    const tags: SeedTag[] = [...(repo.tags ?? [])];
    const generated = repo.generateTags;
    if (generated) {
      for (let i = 1; i <= generated.count; i++) tags.push({ tag: `${generated.prefix}${pad(i, generated.count)}` });
    }
    tags.forEach((tag, index) => {
      entity.commits.push({
        tag: tag.tag,
        digest: tag.digest ?? `sha256:${createHash('sha256').update(`${entity.repositoryName}:${tag.tag}:${index}`).digest('hex')}`,
        createdOn: tag.createdOn ? parseDate(tag.createdOn, `${entity.id} tag ${tag.tag}`) : entity.createdOn + (index + 1) * MINUTE_MS,
      });
    });
    const lastCommit = Math.max(entity.createdOn, ...entity.commits.map((commit) => commit.createdOn));
    if (!repo.modifiedOn) entity.modifiedOn = lastCommit;
    model.addEntity(entity);
  };

  for (const project of expandProjects(seed)) {
    if (!project.acl) throw seedError(`${project.id}: projects need an acl`);
    const entity = base(project, project.name, null, project.createdBy);
    entity.kind = 'project';
    // Without one, the project has no PROJECT_STAT row for anybody: lastActivity is absent (and sorts by createdOn).
    entity.lastActivity = project.lastActivity ? parseDate(project.lastActivity, `${project.id}.lastActivity`) : undefined;
    if (!project.modifiedOn && entity.lastActivity !== undefined) entity.modifiedOn = entity.lastActivity;
    model.addEntity(entity);
    for (const child of project.children ?? []) {
      if (child.type === 'folder') addFolder(child, project.id, project.createdBy);
      else if (child.type === 'dockerrepo') addRepository(child, project.id, project.createdBy);
      else throw seedError(`${project.id}: unknown child type "${(child as { type: string }).type}"`);
    }
  }
  // Trashed last, as TrashManagerImpl does it: the move also deletes the ACLs of the whole hierarchy.
  for (const id of toTrash) model.moveToTrash(model.entities.get(id)!);
  seedEvaluations(model, seed.challenges, (name, where) => {
    const id = principalIds.get(name);
    if (!id) throw seedError(`${where}: unknown principal "${name}"`);
    return id;
  });
  return model;
}

function userByName(model: SandboxModel, userName: string, where: string): UserRecord {
  const user = model.usersByName.get(userName);
  if (!user) throw seedError(`${where}: unknown user "${userName}"`);
  return user;
}

function toUserRecord(user: SeedUser, epoch: number, model: SandboxModel): UserRecord {
  if (!/^\d+$/.test(user.ownerId)) throw seedError(`user ${user.userName}: ownerId must be numeric`);
  if (model.users.has(user.ownerId) || model.usersByName.has(user.userName)) {
    throw seedError(`duplicate user ${user.userName} / ${user.ownerId}`);
  }
  const scopes = (user.scopes ?? DEFAULT_SCOPES).map((scope) => {
    if (!(OAUTH_SCOPES as readonly string[]).includes(scope)) throw seedError(`user ${user.userName}: unknown scope "${scope}"`);
    return scope as OAuthScope;
  });
  const profile: Record<string, string> = {};
  for (const key of ['company', 'position', 'location'] as const) {
    const value = user[key];
    if (value) profile[key] = value;
  }
  return {
    userName: user.userName,
    ownerId: user.ownerId,
    firstName: user.firstName ?? user.userName,
    lastName: user.lastName ?? '',
    email: user.email ?? `${user.userName}@example.org`,
    certified: user.certified ?? false,
    scopes,
    createdOn: epoch,
    certifiedOn: epoch + HOUR_MS,
    etag: randomUUID(),
    profile,
    twoFactorAuthEnabled: user.twoFactorAuthEnabled ?? false,
    termsOfUseAccepted: user.termsOfUseAccepted ?? true,
  };
}
