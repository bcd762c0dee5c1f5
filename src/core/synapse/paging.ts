// Helpers for Synapse's two paging styles. Both guard against a server that never advances,
// so a listing can never loop forever.
import * as l10n from '@vscode/l10n';

export interface TokenPage<T> {
  items: T[];
  nextPageToken?: string;
}

/** Walks a nextPageToken listing (projects, entity children) page by page. */
export async function* pagesByToken<T>(
  fetchPage: (nextPageToken: string | undefined) => Promise<TokenPage<T>>,
  maxPages = 10_000,
): AsyncGenerator<T[]> {
  const seen = new Set<string>();
  let token: string | undefined;
  for (let page = 0; page < maxPages; page++) {
    const result = await fetchPage(token);
    yield result.items;
    if (!result.nextPageToken) return;
    if (seen.has(result.nextPageToken)) {
      throw new Error(l10n.t('Synapse returned the page token "{0}" twice; stopped paging.', result.nextPageToken));
    }
    seen.add(result.nextPageToken);
    token = result.nextPageToken;
  }
  throw new Error(l10n.t('Stopped paging after {0} pages.', maxPages));
}

/**
 * Walks a limit/offset listing (docker tags). Its totals are estimates, so it stops on the
 * first short or empty page, as Synapse's own web client does.
 */
export async function* pagesByOffset<T>(
  fetchPage: (offset: number, limit: number) => Promise<T[]>,
  limit: number,
  maxPages = 10_000,
): AsyncGenerator<T[]> {
  for (let page = 0, offset = 0; page < maxPages; page++, offset += limit) {
    const items = await fetchPage(offset, limit);
    if (items.length > 0) yield items;
    if (items.length < limit) return;
  }
  throw new Error(l10n.t('Stopped paging after {0} pages.', maxPages));
}

/** Collects every item of a paged listing (for tests and small listings only). */
export async function collectAll<T>(pages: AsyncIterable<T[]>): Promise<T[]> {
  const all: T[] = [];
  for await (const items of pages) all.push(...items);
  return all;
}
