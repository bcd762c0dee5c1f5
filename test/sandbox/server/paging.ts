// Synapse's NextPageToken ("<limit>a<offset>", e.g. "50a50"), used by /projects and /entity/children.
import { badRequest } from './http';

export const PAGE_SIZE = 50;

export interface Page<T> {
  items: T[];
  /** Absent on the last page. */
  nextPageToken?: string;
}

/** Pages a fully sorted list the way NextPageToken does: fetch limit+1 to know whether more exist. */
export function pageByToken<T>(sorted: readonly T[], token: string | null | undefined, maxLimit = PAGE_SIZE): Page<T> {
  let limit = PAGE_SIZE;
  let offset = 0;
  // An empty token is the first page, as a missing one (NextPageToken treats blank as absent).
  if (token !== null && token !== undefined && token !== '') {
    const parts = token.split('a');
    if (parts.length !== 2) throw badRequest(`Unknow token format: ${token}`); // sic: Synapse's spelling
    for (const part of parts) {
      if (!/^\d+$/.test(part)) throw badRequest(`For input string: "${part}"`);
    }
    limit = Number(parts[0]);
    offset = Number(parts[1]);
  }
  if (limit > maxLimit) throw badRequest(`Limit must not exceed: ${maxLimit}`);
  const window = sorted.slice(offset, offset + limit + 1);
  if (window.length > limit) {
    return { items: window.slice(0, limit), nextPageToken: `${limit}a${offset + limit}` };
  }
  return { items: window };
}
