// Follows submissions until the queue's pipeline is done with them: refreshes only the ones whose
// status is not final, with backoff while nothing changes, only while someone is looking, and not at
// all once nothing is pending. No VS Code here: timers and the status call are injected.
import type { SubmissionStatus, SubmissionStatusValue } from '../synapse/evaluations';

/** Statuses after which the pipeline writes nothing more (Sage's orchestrator ends in one of them). */
const FINAL: ReadonlySet<SubmissionStatusValue> = new Set(['ACCEPTED', 'SCORED', 'INVALID', 'REJECTED', 'CLOSED']);
export const isFinalStatus = (status: SubmissionStatusValue): boolean => FINAL.has(status);

export interface PollerTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface PollerOptions {
  /** One status read (GET /evaluation/submission/{id}/status). */
  fetchStatus(submissionId: string, signal: AbortSignal): Promise<SubmissionStatus>;
  /** A status whose etag changed. */
  onChange?(submissionId: string, status: SubmissionStatus, previous: SubmissionStatus): void;
  /** A submission reached a final status (called once, after onChange). */
  onFinal?(submissionId: string, status: SubmissionStatus): void;
  /** A failed read (the submission stays pending; the next refresh backs off). */
  onError?(submissionId: string, error: unknown): void;
  /** First delay, and the delay after a refresh that saw a change. */
  baseDelayMs?: number;
  /** The longest wait between refreshes. */
  maxDelayMs?: number;
  timers?: PollerTimers;
}

export interface RefreshReport {
  /** Status reads made (one per pending submission). */
  requests: number;
  changed: string[];
  finished: string[];
}

export const DEFAULT_BASE_DELAY_MS = 5_000;
export const DEFAULT_MAX_DELAY_MS = 5 * 60_000;

export class SubmissionPoller {
  private readonly known = new Map<string, SubmissionStatus>();
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly timers: PollerTimers;
  private delayMs: number;
  private timer: unknown;
  private active = false;
  private running: Promise<RefreshReport> | undefined;
  private abort = new AbortController();
  private disposed = false;

  constructor(private readonly options: PollerOptions) {
    this.baseDelayMs = options.baseDelayMs ?? DEFAULT_BASE_DELAY_MS;
    this.maxDelayMs = Math.max(this.baseDelayMs, options.maxDelayMs ?? DEFAULT_MAX_DELAY_MS);
    this.timers = options.timers ?? { setTimeout: (cb, ms) => setTimeout(cb, ms), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) };
    this.delayMs = this.baseDelayMs;
  }

  /** Submissions whose status is not final. */
  get pending(): string[] {
    return [...this.known].filter(([, status]) => !isFinalStatus(status.status)).map(([id]) => id);
  }

  /** The wait before the next refresh (grows while nothing changes). */
  get currentDelayMs(): number {
    return this.delayMs;
  }

  /** Whether a refresh is scheduled. */
  get scheduled(): boolean {
    return this.timer !== undefined;
  }

  status(submissionId: string): SubmissionStatus | undefined {
    return this.known.get(submissionId);
  }

  /**
   * Replaces what is followed with these statuses (a full listing). A new pending submission starts
   * the backoff again from its base.
   */
  setAll(statuses: Iterable<SubmissionStatus>): void {
    const before = new Set(this.pending);
    this.known.clear();
    for (const status of statuses) this.known.set(status.id, status);
    if (this.pending.some((id) => !before.has(id))) this.delayMs = this.baseDelayMs;
    this.reschedule();
  }

  /** Follows one more submission (just created). */
  track(status: SubmissionStatus): void {
    this.known.set(status.id, status);
    if (!isFinalStatus(status.status)) this.delayMs = this.baseDelayMs;
    this.reschedule();
  }

  /** Visible (or focused) or not: refreshes happen only while active. */
  setActive(active: boolean): void {
    if (this.active === active) return;
    this.active = active;
    this.reschedule();
  }

  /** Reads the status of every pending submission now (one request each); the next refresh is scheduled after. */
  refreshNow(): Promise<RefreshReport> {
    if (this.running) return this.running;
    this.cancelTimer();
    const run = this.refresh().finally(() => {
      this.running = undefined;
      this.reschedule();
    });
    this.running = run;
    return run;
  }

  dispose(): void {
    this.disposed = true;
    this.cancelTimer();
    this.abort.abort();
  }

  private async refresh(): Promise<RefreshReport> {
    const ids = this.pending;
    const report: RefreshReport = { requests: 0, changed: [], finished: [] };
    let failed = false;
    await Promise.all(
      ids.map(async (id) => {
        report.requests++;
        try {
          const next = await this.options.fetchStatus(id, this.abort.signal);
          if (this.disposed) return;
          const previous = this.known.get(id);
          if (!previous || previous.etag === next.etag) return;
          this.known.set(id, next);
          report.changed.push(id);
          this.options.onChange?.(id, next, previous);
          if (isFinalStatus(next.status)) {
            report.finished.push(id);
            this.options.onFinal?.(id, next);
          }
        } catch (error) {
          failed = true;
          if (!this.disposed) this.options.onError?.(id, error);
        }
      }),
    );
    // A change starts over from the base delay; no change (or a failure) waits twice as long.
    this.delayMs = report.changed.length > 0 && !failed ? this.baseDelayMs : Math.min(this.maxDelayMs, this.delayMs * 2);
    return report;
  }

  private reschedule(): void {
    this.cancelTimer();
    if (this.disposed || !this.active || this.running || this.pending.length === 0) return;
    this.timer = this.timers.setTimeout(() => {
      this.timer = undefined;
      void this.refreshNow();
    }, this.delayMs);
  }

  private cancelTimer(): void {
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
  }
}
