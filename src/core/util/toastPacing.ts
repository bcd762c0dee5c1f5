// VS Code shows at most 3 new notification toasts in a row: it counts the toasts added since the
// first one of a window of 0.8 s and drops every further one in that window (it is then only in the
// notification center, behind the bell). Every progress toast is followed by the toast with its
// result, and that result was the one dropped after a quick click: the result of a push started
// from a "Built" toast, say. The pacer holds a progress toast back until it and its result fit
// beside the toasts just shown. A result is never held back: it is what the user waits for, and
// its flow may have returned already.

export const TOAST_WINDOW_MS = 800;
export const TOASTS_PER_WINDOW = 3;
/** Margin for a toast to reach the workbench, whose clock starts the window. */
export const TOAST_WINDOW_MARGIN_MS = 60;

/** A progress toast and its result take 2 of a window's places: this many toasts before them may share it. */
const TOASTS_BEFORE_PROGRESS = TOASTS_PER_WINDOW - 2;

export class ToastPacer {
  /** When the last toasts were added (or will be, when held back), ascending; as many as may share a window with a progress toast's result. */
  private recent: number[] = [];

  constructor(private readonly now: () => number = Date.now) {}

  /** Counts a result (a message) added now. */
  addResult(): void {
    this.record(this.now());
  }

  /**
   * Reserves a progress toast: the ms to wait before adding it (0: add it now). It waits until
   * no span of 0.8 s (plus the margin) can hold it, its result and the toasts before them beyond
   * the limit. The span slides, so this holds wherever the workbench's window started. It waits
   * no longer than 0.86 s after the toast before the last one.
   */
  reserveProgress(): number {
    const now = this.now();
    // The toast before the last TOASTS_BEFORE_PROGRESS ones must be out of the span.
    const oldest = this.recent.length > TOASTS_BEFORE_PROGRESS ? this.recent[0] : Number.NEGATIVE_INFINITY;
    const at = Math.max(now, this.recent.at(-1) ?? now, oldest + TOAST_WINDOW_MS + TOAST_WINDOW_MARGIN_MS);
    this.record(at);
    return at - now;
  }

  private record(at: number): void {
    this.recent = [...this.recent, at].sort((x, y) => x - y).slice(-(TOASTS_BEFORE_PROGRESS + 1));
  }
}
