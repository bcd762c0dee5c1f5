// Sharing settings on the wire (synapse-api.md §9): AccessControlList, the benefactor's EntityHeader and
// UserGroupHeader, with checks for exactly the fields the extension reads.
import * as shape from './shape';
import { ShapeProblem } from './shape';

/** Bootstrap principals (AuthorizationConstants.BOOTSTRAP_PRINCIPAL). */
export const PUBLIC_GROUP_ID = '273949';
export const AUTHENTICATED_USERS_GROUP_ID = '273948';
export const ANONYMOUS_USER_ID = '273950';
export const CERTIFIED_USERS_GROUP_ID = '3';

export interface ResourceAccess {
  /** As a string, like every other principal id the extension handles (the wire has an integer). */
  principalId: string;
  /** ACCESS_TYPE values, as Synapse sent them (unknown ones are kept, so a round trip loses nothing). */
  accessType: string[];
}

export interface AccessControlList {
  id: string;
  etag: string;
  creationDate?: string;
  resourceAccess: ResourceAccess[];
}

export interface BenefactorHeader {
  id: string;
  name: string;
  type: string;
}

export interface UserGroupHeader {
  ownerId: string;
  userName?: string;
  firstName?: string;
  lastName?: string;
  isIndividual: boolean;
}

export function parseAccessControlList(value: unknown): AccessControlList {
  const o = shape.object(value);
  const row = (item: unknown, at: string): ResourceAccess => {
    const r = shape.object(item, at);
    const principal = r.principalId;
    if (typeof principal !== 'number' || !Number.isInteger(principal)) throw new ShapeProblem(`${at}.principalId`, 'number');
    return { principalId: String(principal), accessType: shape.optionalList(r, 'accessType', shape.stringItem, at) ?? [] };
  };
  return {
    id: shape.string(o, 'id'),
    etag: shape.string(o, 'etag'),
    creationDate: shape.optionalString(o, 'creationDate'),
    resourceAccess: shape.optionalList(o, 'resourceAccess', row) ?? [],
  };
}

export function parseBenefactorHeader(value: unknown): BenefactorHeader {
  const o = shape.object(value);
  return { id: shape.string(o, 'id'), name: shape.string(o, 'name'), type: shape.string(o, 'type') };
}

export function parseUserGroupHeaders(value: unknown): UserGroupHeader[] {
  const o = shape.object(value);
  const header = (item: unknown, at: string): UserGroupHeader => {
    const h = shape.object(item, at);
    return {
      ownerId: shape.string(h, 'ownerId', at),
      userName: shape.optionalString(h, 'userName', at),
      firstName: shape.optionalString(h, 'firstName', at),
      lastName: shape.optionalString(h, 'lastName', at),
      isIndividual: shape.optionalBoolean(h, 'isIndividual', at) ?? false,
    };
  };
  return shape.optionalList(o, 'children', header) ?? [];
}

/** The body of POST/PUT /entity/{id}/acl: the spec's AccessControlList (principal ids as integers). */
export function aclBody(acl: {
  id: string;
  etag?: string;
  creationDate?: string;
  resourceAccess: ResourceAccess[];
}): Record<string, unknown> {
  return {
    id: acl.id,
    ...(acl.etag !== undefined ? { etag: acl.etag } : {}),
    ...(acl.creationDate !== undefined ? { creationDate: acl.creationDate } : {}),
    resourceAccess: acl.resourceAccess.map((row) => ({ principalId: Number(row.principalId), accessType: [...row.accessType] })),
  };
}
