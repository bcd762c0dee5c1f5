// Reading the engine's NDJSON streams (build, push, pull). The engine answers HTTP 200 for these
// and reports failure inside the stream (`error` / `errorDetail`), so every event is scanned.
// Nothing here talks to the engine: it turns raw events into progress a UI can show.

/** One line of a build/push/pull stream, as the engine sends it. */
export interface StreamEvent {
  stream?: string;
  status?: string;
  id?: string;
  progress?: string;
  progressDetail?: { current?: number; total?: number };
  error?: string;
  errorDetail?: { code?: number; message?: string };
  aux?: { ID?: string; Tag?: string; Digest?: string; Size?: number; [key: string]: unknown };
  [key: string]: unknown;
}

/** The failure an event carries (errorDetail.message, else error), or undefined. */
export function eventError(event: StreamEvent): string | undefined {
  const detail = event.errorDetail?.message;
  if (typeof detail === 'string' && detail) return detail;
  if (typeof event.error === 'string' && event.error) return event.error;
  if (event.errorDetail && typeof event.errorDetail === 'object') return JSON.stringify(event.errorDetail);
  return undefined;
}

/**
 * Splits a byte stream into NDJSON events. Lines that are not JSON (a proxy's text, say) are
 * passed on as `{ stream: line }` so nothing the engine said is lost.
 */
export class NdjsonParser {
  private pending = '';
  private readonly decoder = new TextDecoder('utf-8');

  constructor(private readonly onEvent: (event: StreamEvent) => void) {}

  push(chunk: Buffer | string): void {
    this.pending += typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    let newline = this.pending.indexOf('\n');
    while (newline >= 0) {
      const line = this.pending.slice(0, newline);
      this.pending = this.pending.slice(newline + 1);
      this.emitLine(line);
      newline = this.pending.indexOf('\n');
    }
  }

  end(): void {
    this.pending += this.decoder.decode();
    const rest = this.pending;
    this.pending = '';
    this.emitLine(rest);
  }

  private emitLine(raw: string): void {
    const line = raw.trim();
    if (!line) return;
    let event: StreamEvent;
    try {
      const parsed: unknown = JSON.parse(line);
      event = parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as StreamEvent) : { stream: `${line}\n` };
    } catch {
      event = { stream: `${line}\n` };
    }
    this.onEvent(event);
  }
}

// ---- build ----------------------------------------------------------------------------------

export interface BuildProgress {
  /** 1-based number of the step running now (undefined before the first step). */
  step?: number;
  totalSteps?: number;
  /** The step line as the engine printed it: "Step 3/5 : RUN make". */
  stepText?: string;
  /** The instruction alone: "RUN make". */
  instruction?: string;
  /** 0..1, counting finished steps. */
  fraction: number;
}

const CLASSIC_STEP = /^Step (\d+)\/(\d+) : (.*)$/;
// BuildKit's plain progress ("#7 [2/3] RUN make" or "#7 [build 2/3] RUN make"), should a build
// stream ever carry it as text.
const BUILDKIT_STEP = /^#\d+ \[(?:[^\]\s]+ )?(\d+)\/(\d+)\] (.*)$/;
const OUTPUT_TAIL_LINES = 40;
const ANSI_ESCAPE = /\u001b\[[0-9;?]*[A-Za-z]/g;

/** Follows a build stream: steps, output lines, the image id, and the first error. */
export class BuildProgressTracker {
  private current: BuildProgress = { fraction: 0 };
  private readonly tail: string[] = [];
  private partialLine = '';
  private failure?: string;
  private built?: string;
  private readonly tagged: string[] = [];

  constructor(
    private readonly callbacks: { onProgress?: (progress: BuildProgress) => void; onOutput?: (line: string) => void } = {},
  ) {}

  get progress(): BuildProgress {
    return { ...this.current };
  }

  /** The first error the stream reported, verbatim. */
  get error(): string | undefined {
    return this.failure;
  }

  /** The image id (sha256:…) from the `aux` event or "Successfully built". */
  get imageId(): string | undefined {
    return this.built;
  }

  /** References the engine said it tagged ("Successfully tagged …"). */
  get taggedReferences(): string[] {
    return [...this.tagged];
  }

  /** The last lines of output of the current step (the whole build's last lines before the first step). */
  get outputTail(): string[] {
    return this.partialLine ? [...this.tail, this.partialLine] : [...this.tail];
  }

  consume(event: StreamEvent): void {
    const error = eventError(event);
    if (error !== undefined) {
      this.flushPartial();
      if (this.failure === undefined) this.failure = error.trim();
      this.callbacks.onOutput?.(error.trim());
      return;
    }
    if (event.aux && typeof event.aux.ID === 'string') this.built = event.aux.ID;
    if (typeof event.stream === 'string') this.consumeText(event.stream);
    else if (typeof event.status === 'string') {
      // A build that pulls its base image interleaves pull statuses; show them as output.
      const text = [event.id, event.status, event.progress].filter(Boolean).join(' ');
      if (text) this.consumeText(`${text}\n`);
    }
  }

  /** Call when the stream ended, so a last line without newline is not lost. */
  finish(): void {
    this.flushPartial();
  }

  private consumeText(text: string): void {
    const combined = this.partialLine + text.replace(/\r\n/g, '\n');
    const lines = combined.split('\n');
    this.partialLine = lines.pop() ?? '';
    for (const line of lines) this.consumeLine(line);
  }

  private flushPartial(): void {
    if (!this.partialLine) return;
    const line = this.partialLine;
    this.partialLine = '';
    this.consumeLine(line);
  }

  private consumeLine(rawLine: string): void {
    // Carriage returns redraw a line in place (progress bars): keep the final state.
    // The classic builder paints a step's stderr red with ANSI escapes; logs want plain text.
    const plain = rawLine.replace(ANSI_ESCAPE, '');
    const line = plain.includes('\r') ? plain.slice(plain.lastIndexOf('\r') + 1) : plain;
    this.callbacks.onOutput?.(line);
    const step = CLASSIC_STEP.exec(line) ?? BUILDKIT_STEP.exec(line);
    if (step) {
      const number = Number(step[1]);
      const total = Number(step[2]);
      this.current = {
        step: number,
        totalSteps: total,
        stepText: line,
        instruction: step[3],
        fraction: total > 0 ? Math.min(1, (number - 1) / total) : 0,
      };
      this.tail.length = 0; // the tail belongs to the step that runs now
      this.callbacks.onProgress?.(this.progress);
      return;
    }
    const built = /^Successfully built ([0-9a-f]+)$/.exec(line);
    if (built && !this.built) this.built = built[1];
    const tagged = /^Successfully tagged (\S+)$/.exec(line);
    if (tagged) this.tagged.push(tagged[1]);
    if (built && this.current.totalSteps) {
      this.current = { ...this.current, fraction: 1 };
      this.callbacks.onProgress?.(this.progress);
    }
    // " ---> Running in 1a2b", " ---> 3c4d" and "Removing intermediate container" are engine
    // chatter, not the step's output; keep them out of the tail a failure quotes.
    if (/^ ---> /.test(line) || /^Removing intermediate container /.test(line)) return;
    this.tail.push(line);
    if (this.tail.length > OUTPUT_TAIL_LINES) this.tail.shift();
  }
}

// ---- push / pull ----------------------------------------------------------------------------

export type LayerPhase =
  | 'waiting'
  | 'preparing'
  | 'pushing'
  | 'downloading'
  | 'verifying'
  | 'extracting'
  | 'done';

export interface LayerProgress {
  id: string;
  /** The engine's status text, verbatim ("Pushing", "Layer already exists", "Pull complete"…). */
  status: string;
  phase: LayerPhase;
  current: number;
  /** 0 while the size is unknown. */
  total: number;
}

export interface TransferProgress {
  operation: 'push' | 'pull';
  /** Transferred bytes summed across layers (layers already present count as done). */
  bytesDone: number;
  /** Sizes summed across layers whose size is known so far. */
  bytesTotal: number;
  layersDone: number;
  layersTotal: number;
  /** 0..1 (by bytes when sizes are known, else by layers). */
  fraction: number;
  layers: LayerProgress[];
  /** The last status line that was not about one layer ("The push refers to…", "Digest: …"). */
  message?: string;
}

const LAYER_ID = /^[0-9a-f]{12,64}$/;

function phaseOf(operation: 'push' | 'pull', status: string): LayerPhase | undefined {
  const s = status.toLowerCase();
  if (s === 'waiting') return 'waiting';
  if (s === 'preparing' || s.startsWith('pulling fs layer')) return 'preparing';
  if (s === 'pushing') return 'pushing';
  if (s === 'downloading') return 'downloading';
  if (s === 'verifying checksum' || s === 'download complete') return operation === 'pull' ? 'verifying' : 'done';
  if (s === 'extracting') return 'extracting';
  if (
    s === 'pushed' ||
    s === 'layer already exists' ||
    s === 'pull complete' ||
    s === 'already exists' ||
    s.startsWith('mounted from') ||
    s === 'retrying' // transient; keep the layer counted
  ) {
    return s === 'retrying' ? undefined : 'done';
  }
  return undefined;
}

/**
 * Follows a push or pull stream: per-layer `progressDetail` summed into bytes done/total, layer
 * statuses, the digest (push: the `aux` event; pull: the "Digest: …" status) and the first error.
 */
export class TransferProgressTracker {
  private readonly layers = new Map<string, LayerProgress>();
  private message?: string;
  private failure?: string;
  private foundDigest?: string;
  private pushedSize?: number;
  private pushedTag?: string;
  private lastEmit = 0;

  constructor(
    readonly operation: 'push' | 'pull',
    private readonly onProgress?: (progress: TransferProgress) => void,
    /** Minimum time between two onProgress calls for byte updates (status changes always emit). */
    private readonly throttleMs = 100,
  ) {}

  get error(): string | undefined {
    return this.failure;
  }

  get digest(): string | undefined {
    return this.foundDigest;
  }

  /** The pushed manifest's size (push `aux` event). */
  get size(): number | undefined {
    return this.pushedSize;
  }

  get tag(): string | undefined {
    return this.pushedTag;
  }

  /** Every status line that was not about a layer, in order (for the log). */
  readonly messages: string[] = [];

  get progress(): TransferProgress {
    const layers = [...this.layers.values()].map((layer) => ({ ...layer }));
    let bytesDone = 0;
    let bytesTotal = 0;
    let layersDone = 0;
    for (const layer of layers) {
      bytesTotal += layer.total;
      bytesDone += layer.phase === 'done' ? layer.total : Math.min(layer.current, layer.total || layer.current);
      if (layer.phase === 'done') layersDone++;
    }
    const byLayers = layers.length ? layersDone / layers.length : 0;
    const fraction = bytesTotal > 0 ? Math.min(1, bytesDone / bytesTotal) : byLayers;
    return {
      operation: this.operation,
      bytesDone,
      bytesTotal,
      layersDone,
      layersTotal: layers.length,
      fraction,
      layers,
      message: this.message,
    };
  }

  consume(event: StreamEvent): void {
    const error = eventError(event);
    if (error !== undefined) {
      if (this.failure === undefined) this.failure = error.trim();
      return;
    }
    if (event.aux) {
      if (typeof event.aux.Digest === 'string') this.foundDigest = event.aux.Digest;
      if (typeof event.aux.Size === 'number') this.pushedSize = event.aux.Size;
      if (typeof event.aux.Tag === 'string') this.pushedTag = event.aux.Tag;
      this.emit(true);
      return;
    }
    const status = typeof event.status === 'string' ? event.status : undefined;
    if (!status) return;
    if (event.id && LAYER_ID.test(event.id)) {
      this.consumeLayer(event.id, status, event.progressDetail);
      return;
    }
    // "<tag>: digest: sha256:… size: 1234" (push, older engines) or "Digest: sha256:…" (pull).
    const digest = /(?:^|\s)[Dd]igest: (sha256:[0-9a-f]{64})/.exec(status);
    if (digest) this.foundDigest = digest[1];
    const text = event.id ? `${event.id}: ${status}` : status;
    this.message = text;
    this.messages.push(text);
    this.emit(true);
  }

  private consumeLayer(id: string, status: string, detail: StreamEvent['progressDetail']): void {
    const layer = this.layers.get(id) ?? { id, status, phase: 'waiting' as LayerPhase, current: 0, total: 0 };
    const phase = phaseOf(this.operation, status);
    const statusChanged = layer.status !== status;
    layer.status = status;
    if (phase) {
      // Pull: extraction goes over the same bytes again; keep the download's count as "done"
      // bytes so the sum never runs backwards.
      if (phase === 'extracting' && layer.phase !== 'extracting') layer.current = layer.total;
      layer.phase = phase;
    }
    if (detail && typeof detail.total === 'number' && detail.total > 0 && phase !== 'extracting') {
      layer.total = detail.total;
    }
    if (detail && typeof detail.current === 'number' && phase !== 'extracting') {
      layer.current = Math.max(layer.current, detail.current);
    }
    if (layer.phase === 'done' && layer.total === 0 && layer.current > 0) layer.total = layer.current;
    this.layers.set(id, layer);
    this.emit(statusChanged);
  }

  private emit(force: boolean): void {
    if (!this.onProgress) return;
    const now = Date.now();
    if (!force && now - this.lastEmit < this.throttleMs) return;
    this.lastEmit = now;
    this.onProgress(this.progress);
  }

  /** Emits the final state (whatever throttling held back). */
  finish(): void {
    this.emit(true);
  }
}
