// One paged listing under a tree node: the items loaded so far, where the next page starts, the
// last error, and the request in flight (so the same page is never asked for twice at once).

export interface Page<T, Cursor> {
  items: T[];
  /** undefined when this was the last page. */
  next: Cursor | undefined;
}

export class Listing<T, Cursor> {
  items: T[] = [];
  error: unknown;
  private cursor: Cursor | undefined;
  private started = false;
  private exhausted = false;
  private inFlight: Promise<void> | undefined;

  constructor(private readonly fetchPage: (cursor: Cursor | undefined) => Promise<Page<T, Cursor>>) {}

  get loaded(): boolean {
    return this.started && this.inFlight === undefined;
  }

  get hasMore(): boolean {
    return !this.exhausted;
  }

  /** Loads the first page if nothing was loaded yet. */
  ensureFirstPage(): Promise<void> {
    return this.started ? (this.inFlight ?? Promise.resolve()) : this.loadMore();
  }

  /** Loads the next page; a call while one is in flight joins it. Errors are kept, not thrown. */
  loadMore(): Promise<void> {
    if (this.inFlight) return this.inFlight;
    if (this.started && this.exhausted) return Promise.resolve();
    this.started = true;
    const requested = this.cursor;
    this.inFlight = this.fetchPage(requested)
      .then((page) => {
        this.error = undefined;
        this.items.push(...page.items);
        // A server that hands back the cursor it was given would page forever: stop.
        const advanced = page.next !== undefined && JSON.stringify(page.next) !== JSON.stringify(requested);
        this.exhausted = !advanced;
        this.cursor = advanced ? page.next : undefined;
      })
      .catch((error: unknown) => {
        this.error = error;
      })
      .finally(() => {
        this.inFlight = undefined;
      });
    return this.inFlight;
  }
}
