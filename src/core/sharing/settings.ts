// Sharing settings of a project or repository: load them (benefactor, its ACL, the principals' names and the
// caller's rights), plan a change (who gains or loses pull or push; Synapse's rules checked before sending), and
// apply it, a concurrent change (412) reloading what is there now instead of overwriting it.
import {
  ANONYMOUS_USER_ID,
  AUTHENTICATED_USERS_GROUP_ID,
  AccessControlList,
  BenefactorHeader,
  CERTIFIED_USERS_GROUP_ID,
  PUBLIC_GROUP_ID,
  ResourceAccess,
  UserGroupHeader,
} from '../synapse/acl';
import { SynapseClient } from '../synapse/client';
import { SynapseError } from '../synapse/errors';
import { UserEntityPermissions } from '../synapse/types';
import { Capability, capabilitiesOf, LevelId, levelOf, OwnAccess, ownAccess, sortAccessTypes, SubjectKind } from './levels';

export interface SharingSubject {
  id: string;
  /** What the tree shows: a project's name, a repository's path. */
  name: string;
  kind: SubjectKind;
  /** The project of a repository (where inheritance goes back to). */
  parentId?: string;
}

export type PrincipalKind = 'user' | 'team' | 'authenticated' | 'public' | 'anonymous' | 'certified' | 'unknown';

export interface Principal {
  id: string;
  kind: PrincipalKind;
  /** userName for users, the team's name; undefined for the bootstrap groups and unknown ids. */
  userName?: string;
  firstName?: string;
  lastName?: string;
}

export interface SharingRow {
  principal: Principal;
  accessTypes: string[];
  /** undefined: the types fit no level (show them exactly). */
  level?: LevelId;
  isYou: boolean;
}

export interface SharingSettings {
  subject: SharingSubject;
  /** Where the rows come from: the subject itself (local sharing settings) or the project it inherits from. */
  benefactor: BenefactorHeader;
  inherited: boolean;
  acl: AccessControlList;
  rows: SharingRow[];
  /** The caller's own rights on the subject (CHANGE_PERMISSIONS = may change the settings). */
  own: OwnAccess;
  you: { ownerId: string; certified: boolean; isOwner: boolean };
  /** Rows with CHANGE_PERMISSIONS: whom to ask when you may not change them. */
  administrators: SharingRow[];
}

export function principalKind(id: string, header: UserGroupHeader | undefined): PrincipalKind {
  if (id === PUBLIC_GROUP_ID) return 'public';
  if (id === AUTHENTICATED_USERS_GROUP_ID) return 'authenticated';
  if (id === ANONYMOUS_USER_ID) return 'anonymous';
  if (id === CERTIFIED_USERS_GROUP_ID) return 'certified';
  if (!header) return 'unknown';
  return header.isIndividual ? 'user' : 'team';
}

export function principalFrom(id: string, header: UserGroupHeader | undefined): Principal {
  return { id, kind: principalKind(id, header), userName: header?.userName, firstName: header?.firstName, lastName: header?.lastName };
}

/** The principal of a search result (GET /userGroupHeaders). */
export const principalOf = (header: UserGroupHeader): Principal => principalFrom(header.ownerId, header);

function toRows(acl: AccessControlList, headers: Map<string, UserGroupHeader>, youId: string): SharingRow[] {
  return acl.resourceAccess.map((access) => ({
    principal: principalFrom(access.principalId, headers.get(access.principalId)),
    accessTypes: sortAccessTypes(access.accessType),
    level: levelOf(access.accessType),
    isYou: access.principalId === youId,
  }));
}

/** The order rows are shown in: you first, then by how much they may do, then by name. */
function rankRows(rows: SharingRow[]): SharingRow[] {
  const weight = (row: SharingRow): number => (row.isYou ? -1 : 0) * 100 - row.accessTypes.length;
  return [...rows].sort(
    (a, b) => weight(a) - weight(b) || (a.principal.userName ?? a.principal.id).localeCompare(b.principal.userName ?? b.principal.id),
  );
}

/**
 * Loads the settings in 4 requests: benefactor and permissions together, then the benefactor's ACL, then
 * the names of its principals.
 */
export async function loadSharing(
  client: SynapseClient,
  subject: SharingSubject,
  youId: string,
  signal?: AbortSignal,
): Promise<SharingSettings> {
  const [benefactor, permissions] = await Promise.all([
    client.getBenefactor(subject.id, signal),
    client.getPermissions(subject.id, signal),
  ]);
  const acl = await client.getAcl(benefactor.id, signal);
  return settingsFrom(client, subject, youId, benefactor, acl, permissions, signal);
}

async function settingsFrom(
  client: SynapseClient,
  subject: SharingSubject,
  youId: string,
  benefactor: BenefactorHeader,
  acl: AccessControlList,
  permissions: UserEntityPermissions,
  signal?: AbortSignal,
): Promise<SharingSettings> {
  const headers = new Map(
    (await client.principalHeaders([...new Set(acl.resourceAccess.map((row) => row.principalId))], signal)).map((h) => [h.ownerId, h]),
  );
  const rows = rankRows(toRows(acl, headers, youId));
  return {
    subject,
    benefactor,
    inherited: benefactor.id !== subject.id,
    acl,
    rows,
    own: ownAccess(permissions, subject.kind),
    you: {
      ownerId: youId,
      certified: permissions.isCertifiedUser,
      isOwner: permissions.ownerPrincipalId !== undefined && String(permissions.ownerPrincipalId) === youId,
    },
    administrators: rows.filter((row) => row.accessTypes.includes('CHANGE_PERMISSIONS')),
  };
}

// ---- changes ----

export type SharingChange =
  | { kind: 'set'; principal: Principal; accessTypes: string[] }
  | { kind: 'remove'; principalId: string }
  | { kind: 'createLocal' }
  | { kind: 'restoreInheritance' };

/** One principal whose access changes, and what that means for Docker. */
export interface RowChange {
  principal: Principal;
  before?: string[];
  after?: string[];
  gains: Capability[];
  loses: Capability[];
}

export type RuleCode =
  | 'keepOwnChangePermissions'
  | 'publicViewOnly'
  | 'anonymousNothing'
  | 'authenticatedDownloadNeedsCertified'
  | 'noAccessTypes'
  | 'projectCannotInherit'
  | 'alreadyLocal'
  | 'alreadyInherits'
  | 'mayNotChange';

/** A rule Synapse would refuse the change for, found before sending; `serverText` is what Synapse says. */
export interface RuleProblem {
  code: RuleCode;
  serverText: string;
}

export interface SharingPlan {
  settings: SharingSettings;
  change: SharingChange;
  /** POST creates local settings, PUT replaces their rows, DELETE restores inheritance. */
  request: 'create' | 'update' | 'delete';
  before: ResourceAccess[];
  after: ResourceAccess[];
  /** For a restore: the settings the subject will inherit. */
  inheritFrom?: BenefactorHeader;
  changes: RowChange[];
  /** Non-empty: the plan is not sent. */
  problems: RuleProblem[];
}

// Synapse's own texts (PermissionsManagerUtils, EntityAclManagerImpl), shown next to the explanation.
export const SERVER_TEXT: Record<RuleCode, string> = {
  keepOwnChangePermissions: 'Caller is trying to revoke their own ACL editing permissions.',
  publicViewOnly: 'Only READ permissions can be assigned to the public group',
  anonymousNothing: `Cannot assign permissions to anonymous. To share resources with anonymous users, use the PUBLIC group id (${PUBLIC_GROUP_ID})`,
  authenticatedDownloadNeedsCertified: 'Only certified users can allow authenticated users to download.',
  noAccessTypes: 'No access types specified.',
  projectCannotInherit: 'Cannot restore inheritance for resource which has no parent.',
  alreadyLocal: 'Resource already has an ACL.',
  alreadyInherits: 'Resource already inherits its permissions.',
  mayNotChange: 'You lack CHANGE_PERMISSIONS access to the requested entity.',
};

const problem = (code: RuleCode): RuleProblem => ({ code, serverText: SERVER_TEXT[code] });

/**
 * PermissionsManagerUtils.validateACLContent, before sending. The caller's own CHANGE_PERMISSIONS is kept when a
 * row of theirs (self, PUBLIC, all signed-in users, certified users) has it, they own the entity, or a team
 * row has it (team membership is the server's to judge).
 */
export function checkAclContent(
  rows: ResourceAccess[],
  headers: (id: string) => Principal | undefined,
  you: SharingSettings['you'],
): RuleProblem[] {
  const problems: RuleProblem[] = [];
  const yours = new Set([you.ownerId, PUBLIC_GROUP_ID, AUTHENTICATED_USERS_GROUP_ID, ...(you.certified ? [CERTIFIED_USERS_GROUP_ID] : [])]);
  let kept = you.isOwner;
  for (const row of rows) {
    if (row.accessType.length === 0) problems.push(problem('noAccessTypes'));
    const changes = row.accessType.includes('CHANGE_PERMISSIONS');
    if (changes && (yours.has(row.principalId) || headers(row.principalId)?.kind === 'team')) kept = true;
    if (row.principalId === ANONYMOUS_USER_ID) problems.push(problem('anonymousNothing'));
    if (row.principalId === PUBLIC_GROUP_ID && row.accessType.some((type) => type !== 'READ')) problems.push(problem('publicViewOnly'));
    if (row.principalId === AUTHENTICATED_USERS_GROUP_ID && row.accessType.includes('DOWNLOAD') && !you.certified) {
      problems.push(problem('authenticatedDownloadNeedsCertified'));
    }
  }
  if (!kept) problems.push(problem('keepOwnChangePermissions'));
  return [...new Map(problems.map((p) => [p.code, p])).values()];
}

/** Who gains or loses pull, push (and, on a project, adding repositories) between two sets of rows. */
export function diffRows(
  before: ResourceAccess[],
  after: ResourceAccess[],
  subject: SubjectKind,
  principal: (id: string) => Principal,
): RowChange[] {
  const merged = (rows: ResourceAccess[]) => {
    const map = new Map<string, string[]>();
    for (const row of rows) map.set(row.principalId, sortAccessTypes([...(map.get(row.principalId) ?? []), ...row.accessType]));
    return map;
  };
  const was = merged(before);
  const will = merged(after);
  const changes: RowChange[] = [];
  for (const id of new Set([...was.keys(), ...will.keys()])) {
    const a = was.get(id);
    const b = will.get(id);
    if (a && b && a.length === b.length && a.every((type, index) => type === b[index])) continue;
    const had = capabilitiesOf(a, subject);
    const has = capabilitiesOf(b, subject);
    changes.push({
      principal: principal(id),
      before: a,
      after: b,
      gains: [...has].filter((c) => !had.has(c)),
      loses: [...had].filter((c) => !has.has(c)),
    });
  }
  return changes;
}

const rowsOf = (acl: AccessControlList): ResourceAccess[] =>
  acl.resourceAccess.map((row) => ({ principalId: row.principalId, accessType: [...row.accessType] }));

/** Plans a change; a restore reads the settings the subject would inherit (2 requests). */
export async function planChange(
  client: SynapseClient,
  settings: SharingSettings,
  change: SharingChange,
  signal?: AbortSignal,
): Promise<SharingPlan> {
  const known = new Map(settings.rows.map((row) => [row.principal.id, row.principal]));
  if (change.kind === 'set') known.set(change.principal.id, change.principal);
  const principal = (id: string): Principal => known.get(id) ?? { id, kind: principalKind(id, undefined) };
  const before = rowsOf(settings.acl);
  const problems: RuleProblem[] = [];
  if (!settings.own.share) problems.push(problem('mayNotChange'));
  let after: ResourceAccess[];
  let request: SharingPlan['request'];
  let inheritFrom: BenefactorHeader | undefined;

  switch (change.kind) {
    case 'set':
    case 'remove': {
      const others = before.filter((row) => row.principalId !== (change.kind === 'set' ? change.principal.id : change.principalId));
      after =
        change.kind === 'set' ? [...others, { principalId: change.principal.id, accessType: sortAccessTypes(change.accessTypes) }] : others;
      // On inherited settings a change makes the subject's own settings, starting from the inherited ones.
      request = settings.inherited ? 'create' : 'update';
      problems.push(...checkAclContent(after, (id) => known.get(id), settings.you));
      break;
    }
    case 'createLocal':
      after = before;
      request = 'create';
      if (!settings.inherited) problems.push(problem('alreadyLocal'));
      else problems.push(...checkAclContent(after, (id) => known.get(id), settings.you));
      break;
    case 'restoreInheritance': {
      request = 'delete';
      if (settings.subject.kind === 'project' || !settings.subject.parentId) {
        problems.push(problem('projectCannotInherit'));
        after = before;
        break;
      }
      if (settings.inherited) {
        problems.push(problem('alreadyInherits'));
        after = before;
        break;
      }
      inheritFrom = await client.getBenefactor(settings.subject.parentId, signal);
      const inherited = await client.getAcl(inheritFrom.id, signal);
      after = rowsOf(inherited);
      const newIds = after.map((row) => row.principalId).filter((id) => !known.has(id));
      for (const header of await client.principalHeaders([...new Set(newIds)], signal)) known.set(header.ownerId, principalOf(header));
      break;
    }
  }
  return {
    settings,
    change,
    request,
    before,
    after,
    inheritFrom,
    problems: dedupe(problems),
    changes: diffRows(before, after, settings.subject.kind, principal),
  };
}

function dedupe(problems: RuleProblem[]): RuleProblem[] {
  return [...new Map(problems.map((p) => [p.code, p])).values()];
}

export type ApplyOutcome =
  | { kind: 'applied'; settings: SharingSettings }
  /** Someone else changed the settings since they were read: nothing was sent over it; here they are now. */
  | { kind: 'conflict'; settings: SharingSettings; error: SynapseError }
  /** The plan broke a rule: nothing was sent. */
  | { kind: 'blocked'; problems: RuleProblem[] };

/** Reasons Synapse gives when the settings moved under the caller (another local/inherit switch). */
const MOVED = [SERVER_TEXT.alreadyLocal, SERVER_TEXT.alreadyInherits, 'Cannot update ACL for a resource which inherits its permissions.'];

export function isConcurrentChange(error: unknown): error is SynapseError {
  return error instanceof SynapseError && (error.status === 412 || (error.status === 403 && MOVED.includes(error.reason ?? '')));
}

/** Sends the plan (unless a rule forbids it) and reloads the settings; a concurrent change reloads instead of retrying. */
export async function applyPlan(client: SynapseClient, plan: SharingPlan, signal?: AbortSignal): Promise<ApplyOutcome> {
  if (plan.problems.length > 0) return { kind: 'blocked', problems: plan.problems };
  const { settings } = plan;
  try {
    if (plan.request === 'create') await client.createAcl(settings.subject.id, plan.after, signal);
    else if (plan.request === 'update') await client.updateAcl(settings.acl, plan.after, signal);
    else await client.deleteAcl(settings.subject.id, signal);
  } catch (error) {
    if (isConcurrentChange(error))
      return { kind: 'conflict', error, settings: await loadSharing(client, settings.subject, settings.you.ownerId, signal) };
    throw error;
  }
  return { kind: 'applied', settings: await loadSharing(client, settings.subject, settings.you.ownerId, signal) };
}

/** The rule behind a refusal Synapse sent anyway (say, through a team you are not in), to explain it. */
export function ruleOfRefusal(error: unknown): RuleCode | undefined {
  if (!(error instanceof SynapseError) || !error.reason) return undefined;
  return (Object.keys(SERVER_TEXT) as RuleCode[]).find(
    (code) => SERVER_TEXT[code] === error.reason || (code === 'mayNotChange' && /lack CHANGE_PERMISSIONS/.test(error.reason ?? '')),
  );
}
