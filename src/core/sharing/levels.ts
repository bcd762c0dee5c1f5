// Sharing levels as the Synapse web site offers them (synapse-api.md §9), and what each row of an ACL lets a
// principal do with Docker repositories: pull needs DOWNLOAD; push to an existing repository needs UPDATE and
// (the registry asks for pull too, §3.4) DOWNLOAD; a project's CREATE lets one push new repositories into it.
export type LevelId = 'view' | 'download' | 'edit' | 'editDelete' | 'admin';

const VIEW = ['READ'];
const DOWNLOAD = [...VIEW, 'DOWNLOAD'];
const EDIT = [...DOWNLOAD, 'CREATE', 'UPDATE'];
const EDIT_DELETE = [...EDIT, 'DELETE'];
const ADMIN = [...EDIT_DELETE, 'CHANGE_PERMISSIONS', 'CHANGE_SETTINGS', 'MODERATE'];

export const LEVELS: ReadonlyArray<{ id: LevelId; accessTypes: readonly string[] }> = [
  { id: 'view', accessTypes: VIEW },
  { id: 'download', accessTypes: DOWNLOAD },
  { id: 'edit', accessTypes: EDIT },
  { id: 'editDelete', accessTypes: EDIT_DELETE },
  { id: 'admin', accessTypes: ADMIN },
];

export function accessTypesOf(level: LevelId): string[] {
  return [...LEVELS.find((candidate) => candidate.id === level)!.accessTypes];
}

/** The level whose access types are exactly these; undefined when they fit none (then show the types). */
export function levelOf(accessTypes: readonly string[]): LevelId | undefined {
  const given = new Set(accessTypes);
  return LEVELS.find((level) => level.accessTypes.length === given.size && level.accessTypes.every((type) => given.has(type)))?.id;
}

/** Access types in the order of the levels (then alphabetically), for showing exact types. */
export function sortAccessTypes(accessTypes: readonly string[]): string[] {
  const rank = (type: string): number => {
    const index = ADMIN.indexOf(type);
    return index === -1 ? ADMIN.length : index;
  };
  return [...new Set(accessTypes)].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

export type Capability = 'pull' | 'push' | 'addRepositories';
export type SubjectKind = 'project' | 'repository';

/** What a row's access types let its principal do with the subject's repositories (certification aside). */
export function capabilitiesOf(accessTypes: readonly string[] | undefined, subject: SubjectKind): Set<Capability> {
  const types = new Set(accessTypes ?? []);
  const result = new Set<Capability>();
  if (types.has('DOWNLOAD')) result.add('pull');
  if (types.has('DOWNLOAD') && types.has('UPDATE')) result.add('push');
  if (subject === 'project' && types.has('CREATE')) result.add('addRepositories');
  return result;
}

/** What the caller may do, from GET /entity/{id}/permissions (pull, push, share). */
export interface OwnAccess {
  pull: boolean;
  push: boolean;
  share: boolean;
  /** The ACL would let them push, but Synapse wants a certified user first. */
  pushNeedsCertification: boolean;
}

export function ownAccess(
  permissions: {
    canDownload: boolean;
    canEdit: boolean;
    canCertifiedUserEdit: boolean;
    canAddChild: boolean;
    canCertifiedUserAddChild: boolean;
    canChangePermissions?: boolean;
  },
  subject: SubjectKind,
): OwnAccess {
  // A project's push is a new repository in it (CREATE); a repository's is a new tag (UPDATE, with DOWNLOAD).
  const push = subject === 'project' ? permissions.canAddChild : permissions.canEdit && permissions.canDownload;
  const couldPush =
    subject === 'project' ? permissions.canCertifiedUserAddChild : permissions.canCertifiedUserEdit && permissions.canDownload;
  return {
    pull: permissions.canDownload,
    push,
    share: permissions.canChangePermissions === true,
    pushNeedsCertification: !push && couldPush,
  };
}
