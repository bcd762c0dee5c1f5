// Reading the engine's NDJSON streams (build, push, pull). The engine answers HTTP 200 for these
// and reports failure inside the stream, so every event is scanned; an engine (or a proxy in
// front of one) is not trusted to be well-formed: any error shape is an error, a line that is not
// a JSON object is an error, digests and image ids are checked, and every line is capped so a
// hostile stream costs linear time and bounded memory.
// Nothing here talks to the engine: it turns raw events into progress a UI can show.
import * as l10n from '@vscode/l10n';
import { BuildkitStatus, BuildkitVertex, decodeStatusResponse } from './buildkitProto';

/** One line of a build/push/pull stream, as the engine sends it (fields are checked before use). */
export interface StreamEvent {
  stream?: string;
  status?: string;
  id?: string;
  progress?: string;
  progressDetail?: { current?: number; total?: number };
  /** Usually a string; any other value is still an error. */
  error?: unknown;
  /** Usually `{ code, message }`; a string or any other value is still an error. */
  errorDetail?: unknown;
  aux?: { ID?: unknown; Tag?: unknown; Digest?: unknown; Size?: unknown; [key: string]: unknown };
  [key: string]: unknown;
}

/** A content digest or image id as the engine must report it. */
export const SHA256_DIGEST = /^sha256:[0-9a-f]{64}$/;

/** A line of engine output longer than this is cut here, with a marker saying how much was dropped. */
export const MAX_LINE_KEPT = 64 * 1024;
/** An NDJSON event longer than this is not parsed (legitimate ones are far smaller). */
export const MAX_EVENT_LENGTH = 1024 * 1024;
/** Error texts are cut here: they end up in notifications and logs. */
const MAX_ERROR_LENGTH = 8 * 1024;
const EXCERPT_LENGTH = 200;

function droppedMarker(count: number): string {
  return l10n.t({
    message: '[{0} more characters of this line were dropped.]',
    args: [count],
    comment: ['Appended to a line of Docker output that was too long to keep. {0}: a number.'],
  });
}

/** `text`, cut to `max` characters with a marker when longer. */
export function clipText(text: string, max = MAX_LINE_KEPT): string {
  return text.length <= max ? text : `${text.slice(0, max)} … ${droppedMarker(text.length - max)}`;
}

function excerpt(text: string): string {
  return text.length <= EXCERPT_LENGTH ? text : `${text.slice(0, EXCERPT_LENGTH)}…`;
}

/** The text of one error value, whatever its shape; '' when it has none. */
function errorText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value.trim();
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (typeof value === 'object') {
    const message = (value as { message?: unknown }).message;
    if (typeof message === 'string' && message.trim()) return message.trim();
    const json = JSON.stringify(value);
    return json === '{}' || json === '[]' ? '' : json;
  }
  return '';
}

/**
 * The failure an event carries, or undefined. Any non-null `error` or `errorDetail` is a failure,
 * whatever its type (`{"error":123}`, `{"errorDetail":"denied: nope"}`, `{"error":{…}}`); so is a
 * bare `{"message":"…"}`, the shape of the engine's HTTP error bodies.
 */
export function eventError(event: StreamEvent): string | undefined {
  const { error, errorDetail } = event;
  if ((error === null || error === undefined) && (errorDetail === null || errorDetail === undefined)) {
    if (typeof event.message === 'string' && event.stream === undefined && event.status === undefined && event.aux === undefined) {
      return clipText(event.message.trim(), MAX_ERROR_LENGTH) || l10n.t('The Docker engine reported an error without a message.');
    }
    return undefined;
  }
  // errorDetail.message is the engine's own text; `error` repeats it (or is all there is).
  const text = errorText(errorDetail) || errorText(error);
  return clipText(text, MAX_ERROR_LENGTH) || l10n.t('The Docker engine reported an error without a message.');
}

/**
 * Splits a byte stream into NDJSON events in linear time. A line that is not a JSON object (a
 * proxy's text, garbage, a line cut short by the end of the stream) becomes an error event that
 * quotes it; a line longer than MAX_EVENT_LENGTH is not buffered whole (its first MAX_LINE_KEPT
 * characters are kept: as output when it was build output, else as an error).
 */
export class NdjsonParser {
  private parts: string[] = [];
  private length = 0;
  private dropped = 0;
  private readonly decoder = new TextDecoder('utf-8'); // strips a leading BOM, replaces invalid bytes with U+FFFD

  constructor(private readonly onEvent: (event: StreamEvent) => void) {}

  push(chunk: Buffer | Uint8Array | string): void {
    const text = typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    let start = 0;
    // Only the new text is scanned for newlines: a long line arriving in many chunks stays linear.
    for (let newline = text.indexOf('\n'); newline >= 0; newline = text.indexOf('\n', start)) {
      this.append(text, start, newline);
      start = newline + 1;
      this.emitLine(false);
    }
    this.append(text, start, text.length);
  }

  end(): void {
    this.append(this.decoder.decode(), 0, undefined);
    this.emitLine(true);
  }

  private append(text: string, from: number, to: number | undefined): void {
    const end = to ?? text.length;
    const count = end - from;
    if (count <= 0) return;
    if (this.dropped > 0) {
      this.dropped += count;
      return;
    }
    if (this.length + count > MAX_EVENT_LENGTH) {
      // Too long to be an event: keep a bounded prefix and only count the rest.
      const joined = this.parts.join('') + text.slice(from, end);
      this.parts = [joined.slice(0, MAX_LINE_KEPT)];
      this.length = MAX_LINE_KEPT;
      this.dropped = joined.length - MAX_LINE_KEPT;
      return;
    }
    this.parts.push(from === 0 && end === text.length ? text : text.slice(from, end));
    this.length += count;
  }

  private emitLine(atEnd: boolean): void {
    const raw = this.parts.length === 1 ? this.parts[0] : this.parts.join('');
    const dropped = this.dropped;
    this.parts = [];
    this.length = 0;
    this.dropped = 0;
    const line = raw.replace(/^\uFEFF/, '').trim();
    if (!line) return;
    if (dropped > 0) {
      this.onEvent(oversizedEvent(line, dropped));
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      parsed = undefined;
    }
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
      this.onEvent(parsed as StreamEvent);
      return;
    }
    this.onEvent({
      error: atEnd
        ? l10n.t('The answer of the Docker engine ended in the middle of a line: {0}', excerpt(line))
        : l10n.t('The Docker engine sent a line that is not a JSON object: {0}', excerpt(line)),
    });
  }
}

const STREAM_EVENT_START = /^\{\s*"stream"\s*:\s*"/;
const ERROR_EVENT_START = /^\{\s*"(?:error|errorDetail)"\s*:/;

/** What a line too long to parse still tells: the start of build output, or of an error. */
function oversizedEvent(kept: string, dropped: number): StreamEvent {
  const marker = droppedMarker(dropped);
  const stream = STREAM_EVENT_START.exec(kept);
  if (stream) {
    // Room for the marker, so the build tracker's own line cap keeps it.
    const body = kept.slice(stream[0].length, MAX_LINE_KEPT - 256);
    const more = droppedMarker(dropped + kept.length - stream[0].length - body.length);
    // The cut may fall inside an escape (\" \\ \uXXXX): back off up to 6 characters until it decodes.
    for (let back = 0; back <= 6 && back < body.length; back++) {
      try {
        const text = JSON.parse(`"${body.slice(0, body.length - back)}"`) as string;
        return { stream: `${text} … ${more}\n` };
      } catch {
        // try a shorter cut
      }
    }
    return { stream: `${body} … ${more}\n` };
  }
  if (ERROR_EVENT_START.test(kept)) return { error: `${kept.slice(0, MAX_ERROR_LENGTH)} … ${marker}` };
  return {
    error: l10n.t('The Docker engine sent a line of more than {0} characters that is not output: {1}', MAX_EVENT_LENGTH, excerpt(kept)),
  };
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
// Buildah's (Podman's builder): "STEP 3/5: RUN make".
const BUILDAH_STEP = /^STEP (\d+)\/(\d+): (.*)$/;
// BuildKit's plain progress ("#7 [2/3] RUN make" or "#7 [build 2/3] RUN make"), should a build
// stream ever carry it as text.
const BUILDKIT_STEP = /^#\d+ \[(?:[^\]\s]+ )?(\d+)\/(\d+)\] (.*)$/;
const OUTPUT_TAIL_LINES = 40;
const ANSI_ESCAPE = /\u001b\[[0-9;?]*[A-Za-z]/g;

function invalidImageIdMessage(value: unknown): string {
  return l10n.t('The Docker engine reported an image id that is not a sha256 digest: {0}', excerpt(JSON.stringify(value) ?? String(value)));
}

/** Follows a build stream: steps, output lines, the image id, and the first error. */
export class BuildProgressTracker {
  private current: BuildProgress = { fraction: 0 };
  private readonly tail: string[] = [];
  // The line being written: never holds a carriage return (what precedes one is overwritten) and
  // never more than MAX_LINE_KEPT characters (`partialDropped` counts the rest).
  private partialLine = '';
  private partialDropped = 0;
  private crPending = false;
  private failure?: string;
  private built?: string;
  private builtShort?: string;
  private readonly tagged: string[] = [];

  constructor(private readonly callbacks: { onProgress?: (progress: BuildProgress) => void; onOutput?: (line: string) => void } = {}) {}

  get progress(): BuildProgress {
    return { ...this.current };
  }

  /** The first error the stream reported, verbatim. */
  get error(): string | undefined {
    return this.failure;
  }

  /** The image id (sha256: and 64 hex digits) from the `aux` event. */
  get imageId(): string | undefined {
    return this.built;
  }

  /** The short id of "Successfully built 1a2b3c4d5e6f" (older engines send no `aux`). */
  get shortImageId(): string | undefined {
    return this.builtShort;
  }

  /** References the engine said it tagged ("Successfully tagged …"). */
  get taggedReferences(): string[] {
    return [...this.tagged];
  }

  /** The last lines of output of the current step (the whole build's last lines before the first step). */
  get outputTail(): string[] {
    const partial = this.partialText();
    return partial ? [...this.tail, partial] : [...this.tail];
  }

  consume(event: StreamEvent): void {
    const error = eventError(event);
    if (error !== undefined) {
      this.flushPartial();
      this.fail(error);
      this.callbacks.onOutput?.(error);
      return;
    }
    if (event.aux && event.aux.ID !== undefined) {
      if (typeof event.aux.ID === 'string' && SHA256_DIGEST.test(event.aux.ID)) this.built = event.aux.ID;
      else this.fail(invalidImageIdMessage(event.aux.ID));
    }
    if (typeof event.stream === 'string') this.consumeText(event.stream);
    else if (typeof event.status === 'string') {
      // A build that pulls its base image interleaves pull statuses; show them as output.
      const text = [event.id, event.status, event.progress].filter((part) => typeof part === 'string' && part).join(' ');
      if (text) this.consumeText(`${text}\n`);
    }
  }

  /** Call when the stream ended, so a last line without newline is not lost. */
  finish(): void {
    this.flushPartial();
  }

  private fail(text: string): void {
    if (this.failure === undefined) this.failure = text.trim();
  }

  private consumeText(raw: string): void {
    const text = raw.includes('\r\n') ? raw.replace(/\r\n/g, '\n') : raw;
    let start = 0;
    for (let newline = text.indexOf('\n'); newline >= 0; newline = text.indexOf('\n', start)) {
      this.appendPartial(text.slice(start, newline));
      start = newline + 1;
      this.crPending = false; // a CR right before the newline (split across events) is a CRLF
      this.flushPartial(true);
    }
    this.appendPartial(text.slice(start));
  }

  /** Adds text without newlines to the line being written, in time linear in `text`. */
  private appendPartial(text: string): void {
    if (!text) return;
    if (this.crPending) this.resetPartial(); // the previous text ended with a CR: this overwrites the line
    this.crPending = text.endsWith('\r');
    const body = this.crPending ? text.slice(0, -1) : text;
    const lastCr = body.lastIndexOf('\r');
    let visible = body;
    if (lastCr >= 0) {
      this.resetPartial();
      visible = body.slice(lastCr + 1);
    }
    const room = MAX_LINE_KEPT - this.partialLine.length;
    if (visible.length <= room) {
      this.partialLine += visible;
    } else {
      this.partialLine += visible.slice(0, Math.max(0, room));
      this.partialDropped += visible.length - Math.max(0, room);
    }
  }

  private resetPartial(): void {
    this.partialLine = '';
    this.partialDropped = 0;
  }

  private partialText(): string {
    return this.partialDropped ? `${this.partialLine} … ${droppedMarker(this.partialDropped)}` : this.partialLine;
  }

  private flushPartial(always = false): void {
    if (!always && !this.partialLine && !this.partialDropped) return;
    const line = this.partialText();
    this.resetPartial();
    this.crPending = false;
    this.consumeLine(line);
  }

  private consumeLine(rawLine: string): void {
    // The classic builder paints a step's stderr red with ANSI escapes; logs want plain text.
    const line = rawLine.includes('\u001b') ? rawLine.replace(ANSI_ESCAPE, '') : rawLine;
    this.callbacks.onOutput?.(line);
    const step = CLASSIC_STEP.exec(line) ?? BUILDAH_STEP.exec(line) ?? BUILDKIT_STEP.exec(line);
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
    const built = /^Successfully built ([0-9a-f]{12,64})$/.exec(line);
    if (built && !this.builtShort) this.builtShort = built[1];
    const tagged = /^Successfully tagged (\S+)$/.exec(line);
    if (tagged) this.tagged.push(tagged[1]);
    if (built && this.current.totalSteps) {
      this.current = { ...this.current, fraction: 1 };
      this.callbacks.onProgress?.(this.progress);
    }
    // " ---> Running in 1a2b", " ---> 3c4d" and "Removing intermediate container" are engine
    // chatter, not the step's output (Buildah's: "--> 3c4d", "--> Using cache 3c4d", "COMMIT name");
    // keep them out of the tail a failure quotes.
    if (/^ ?---?> /.test(line) || /^Removing intermediate container /.test(line) || /^COMMIT(?: |$)/.test(line)) return;
    this.tail.push(line);
    if (this.tail.length > OUTPUT_TAIL_LINES) this.tail.shift();
  }
}

// ---- push / pull ----------------------------------------------------------------------------

export type LayerPhase = 'waiting' | 'preparing' | 'pushing' | 'downloading' | 'verifying' | 'extracting' | 'done';

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
// An image has at most 127 layers; a stream naming more is not followed layer by layer.
const MAX_LAYERS = 512;
const MAX_MESSAGES = 100;
const MAX_MESSAGE_LENGTH = 1024;

function invalidDigestMessage(value: unknown): string {
  return l10n.t('The Docker engine reported a digest that is not a sha256 digest: {0}', excerpt(JSON.stringify(value) ?? String(value)));
}

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

function isByteCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
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
  private finalStatus?: string;
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

  /** A pull's closing "Status: …" line ("Downloaded newer image for …", "Image is up to date for …"). */
  get status(): string | undefined {
    return this.finalStatus;
  }

  /** The last status lines that were not about a layer, in order (for the log). */
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
      this.fail(error);
      return;
    }
    if (event.aux && typeof event.aux === 'object') {
      if (event.aux.Digest !== undefined) {
        // The digest is shown, copied into commands and compared: never pass on anything else.
        if (typeof event.aux.Digest === 'string' && SHA256_DIGEST.test(event.aux.Digest)) this.foundDigest = event.aux.Digest;
        else this.fail(invalidDigestMessage(event.aux.Digest));
      }
      if (typeof event.aux.Size === 'number') this.pushedSize = event.aux.Size;
      if (typeof event.aux.Tag === 'string') this.pushedTag = event.aux.Tag;
      this.emit(true);
      return;
    }
    const status = typeof event.status === 'string' ? event.status : undefined;
    if (!status) return;
    const id = typeof event.id === 'string' ? event.id : undefined;
    if (id && LAYER_ID.test(id)) {
      this.consumeLayer(id, status, event.progressDetail);
      return;
    }
    // "<tag>: digest: sha256:… size: 1234" (push, older engines) or "Digest: sha256:…" (pull).
    const digest = /(?:^|\s)[Dd]igest: (\S+)/.exec(status);
    if (digest) {
      if (SHA256_DIGEST.test(digest[1])) this.foundDigest = digest[1];
      else this.fail(invalidDigestMessage(digest[1]));
    }
    if (status.startsWith('Status: ')) this.finalStatus = status;
    const text = clipText(id ? `${id}: ${status}` : status, MAX_MESSAGE_LENGTH);
    this.message = text;
    this.messages.push(text);
    if (this.messages.length > MAX_MESSAGES) this.messages.shift();
    this.emit(true);
  }

  private fail(text: string): void {
    if (this.failure === undefined) this.failure = text.trim();
  }

  private consumeLayer(id: string, rawStatus: string, rawDetail: unknown): void {
    if (!this.layers.has(id) && this.layers.size >= MAX_LAYERS) return;
    const status = clipText(rawStatus, MAX_MESSAGE_LENGTH);
    const detail = rawDetail && typeof rawDetail === 'object' ? (rawDetail as StreamEvent['progressDetail']) : undefined;
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
    if (detail && isByteCount(detail.total) && detail.total > 0 && phase !== 'extracting') {
      layer.total = detail.total;
    }
    if (detail && isByteCount(detail.current) && phase !== 'extracting') {
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

// ---- build through BuildKit -----------------------------------------------------------------

/**
 * Splits text that arrives in pieces into lines, as a terminal shows them: a carriage return
 * overwrites the line, each line is capped at MAX_LINE_KEPT characters (with a marker saying how
 * much was dropped), and the work is linear in the text.
 */
export class LineAssembler {
  private line = '';
  private dropped = 0;
  private crPending = false;

  constructor(private readonly onLine: (line: string) => void) {}

  push(raw: string): void {
    const text = raw.includes('\r\n') ? raw.replace(/\r\n/g, '\n') : raw;
    let start = 0;
    for (let newline = text.indexOf('\n'); newline >= 0; newline = text.indexOf('\n', start)) {
      this.append(text.slice(start, newline));
      start = newline + 1;
      this.crPending = false;
      this.flush(true);
    }
    this.append(text.slice(start));
  }

  /** The line being written, if any (for a failure's tail). */
  get partial(): string {
    return this.dropped ? `${this.line} … ${droppedMarker(this.dropped)}` : this.line;
  }

  /** Emits the line being written, if any. */
  flush(always = false): void {
    if (!always && !this.line && !this.dropped) return;
    const line = this.partial;
    this.line = '';
    this.dropped = 0;
    this.crPending = false;
    this.onLine(line.includes('\u001b') ? line.replace(ANSI_ESCAPE, '') : line);
  }

  private append(text: string): void {
    if (!text) return;
    if (this.crPending) this.reset();
    this.crPending = text.endsWith('\r');
    const body = this.crPending ? text.slice(0, -1) : text;
    const lastCr = body.lastIndexOf('\r');
    let visible = body;
    if (lastCr >= 0) {
      this.reset();
      visible = body.slice(lastCr + 1);
    }
    const room = MAX_LINE_KEPT - this.line.length;
    if (visible.length <= room) this.line += visible;
    else {
      this.line += visible.slice(0, Math.max(0, room));
      this.dropped += visible.length - Math.max(0, room);
    }
  }

  private reset(): void {
    this.line = '';
    this.dropped = 0;
  }
}

/** "[stage-0 2/4] COPY a /a" or "[2/4] COPY a /a": the stage, the step and the stage's step count. */
const BUILDKIT_VERTEX_STEP = /^\[((?:[^\]\s]+ )*)(\d+)\/(\d+)\] (.*)$/s;
/** Vertexes followed one by one; a build has a few dozen, a stream naming more is not followed further. */
const MAX_VERTEXES = 4096;

interface VertexState {
  name: string;
  stage?: string;
  step?: number;
  total?: number;
  instruction?: string;
  started: boolean;
  done: boolean;
  cached: boolean;
  error?: string;
  tail: string[];
  lines?: LineAssembler;
}

function isCancelledVertexError(text: string): boolean {
  return /\bcontext canceled\b|\bcanceled\b/i.test(text) && !/exit code|did not complete successfully/i.test(text);
}

function invalidTraceMessage(detail: string): string {
  return l10n.t('The Docker engine sent BuildKit progress that cannot be read: {0}', excerpt(detail));
}

/**
 * Follows a BuildKit build stream (`POST /build?version=2`): the `moby.buildkit.trace` events
 * (base64 protobuf StatusResponse) give the steps, cached steps, each step's log lines and the
 * failing step; `moby.image.id` gives the image id; `errorDetail` the failure. Same outputs as
 * BuildProgressTracker, so a build's caller does not care which builder ran.
 */
export class BuildkitProgressTracker {
  private current: BuildProgress = { fraction: 0 };
  private readonly vertexes = new Map<string, VertexState>();
  private readonly stageTotals = new Map<string, number>();
  private stepsDone = 0;
  private cachedCount = 0;
  private failure?: string;
  private failedVertex?: VertexState;
  private built?: string;
  private readonly tagged: string[] = [];
  private readonly general = new LineAssembler((line) => this.emitGeneral(line));
  private readonly generalTail: string[] = [];

  constructor(private readonly callbacks: { onProgress?: (progress: BuildProgress) => void; onOutput?: (line: string) => void } = {}) {}

  get progress(): BuildProgress {
    return { ...this.current };
  }

  get error(): string | undefined {
    return this.failure;
  }

  get imageId(): string | undefined {
    return this.built;
  }

  /** BuildKit always reports the full id; kept for the same shape as the classic tracker. */
  get shortImageId(): string | undefined {
    return undefined;
  }

  get taggedReferences(): string[] {
    return [...this.tagged];
  }

  /** Steps BuildKit took from its cache. */
  get cachedSteps(): number {
    return this.cachedCount;
  }

  /** The failing step's line ("[stage-0 3/4] RUN make"), or the running step's. */
  get stepText(): string | undefined {
    return this.failedVertex?.name ?? this.current.stepText;
  }

  /** The last lines of the failing step (else of the latest step, else the build's own). */
  get outputTail(): string[] {
    const vertex = this.failedVertex ?? this.latestStep();
    if (!vertex) return [...this.generalTail];
    const partial = vertex.lines?.partial;
    return partial ? [...vertex.tail, partial] : [...vertex.tail];
  }

  consume(event: StreamEvent): void {
    const error = eventError(event);
    if (error !== undefined) {
      this.fail(error);
      this.callbacks.onOutput?.(error);
      return;
    }
    if (event.id === 'moby.buildkit.trace') {
      this.consumeTrace(event.aux);
      return;
    }
    if (event.aux && event.aux.ID !== undefined) {
      if (typeof event.aux.ID === 'string' && SHA256_DIGEST.test(event.aux.ID)) this.built = event.aux.ID;
      else this.fail(invalidImageIdMessage(event.aux.ID));
    }
    if (typeof event.stream === 'string') this.general.push(event.stream);
  }

  finish(): void {
    this.general.flush();
    for (const vertex of this.vertexes.values()) vertex.lines?.flush();
    // BuildKit merges identical steps of several stages into one vertex, so some stage counts
    // are never reached one by one: a build that produced its image is done.
    if (this.built && this.failure === undefined && this.current.totalSteps !== undefined && this.current.fraction < 1) {
      this.current = { ...this.current, fraction: 1 };
      this.callbacks.onProgress?.(this.progress);
    }
  }

  private fail(text: string): void {
    if (this.failure === undefined) this.failure = text.trim();
  }

  private emitGeneral(line: string): void {
    this.callbacks.onOutput?.(line);
    const tagged = /^Successfully tagged (\S+)$/.exec(line);
    if (tagged) this.tagged.push(tagged[1]);
    this.generalTail.push(line);
    if (this.generalTail.length > OUTPUT_TAIL_LINES) this.generalTail.shift();
  }

  private consumeTrace(aux: unknown): void {
    if (typeof aux !== 'string') {
      this.fail(invalidTraceMessage(JSON.stringify(aux) ?? String(aux)));
      return;
    }
    let status: BuildkitStatus;
    try {
      status = decodeStatusResponse(Buffer.from(aux, 'base64'));
    } catch (error) {
      this.fail(invalidTraceMessage(error instanceof Error ? error.message : String(error)));
      return;
    }
    for (const vertex of status.vertexes) this.consumeVertex(vertex);
    for (const entry of status.logs) {
      const vertex = this.vertexes.get(entry.vertex);
      if (!vertex) continue;
      vertex.lines ??= new LineAssembler((line) => this.emitVertexLine(vertex, line));
      vertex.lines.push(Buffer.from(entry.data.buffer, entry.data.byteOffset, entry.data.byteLength).toString('utf8'));
    }
    for (const warning of status.warnings) {
      if (warning.short) this.callbacks.onOutput?.(clipText(`WARNING: ${warning.short.trim()}`));
    }
  }

  private emitVertexLine(vertex: VertexState, line: string): void {
    this.callbacks.onOutput?.(line);
    vertex.tail.push(line);
    if (vertex.tail.length > OUTPUT_TAIL_LINES) vertex.tail.shift();
  }

  private consumeVertex(update: BuildkitVertex): void {
    let vertex = this.vertexes.get(update.digest);
    if (!vertex) {
      if (this.vertexes.size >= MAX_VERTEXES) return;
      const name = clipText(update.name.replace(/\s+/g, ' ').trim(), 1024);
      const step = BUILDKIT_VERTEX_STEP.exec(name);
      vertex = { name, started: false, done: false, cached: false, tail: [] };
      if (step) {
        vertex.stage = step[1].trim();
        vertex.step = Number(step[2]);
        vertex.total = Number(step[3]);
        vertex.instruction = step[4];
        if (!this.stageTotals.has(vertex.stage)) this.stageTotals.set(vertex.stage, vertex.total);
      }
      this.vertexes.set(update.digest, vertex);
    }
    let changed = false;
    if (update.cached && !vertex.cached) {
      vertex.cached = true;
      if (vertex.step !== undefined) this.cachedCount++;
      this.callbacks.onOutput?.(`CACHED ${vertex.name}`);
      changed = true;
    }
    if ((update.started !== undefined || update.cached) && !vertex.started) {
      vertex.started = true;
      if (!vertex.cached) this.callbacks.onOutput?.(vertex.name);
      if (vertex.step !== undefined) {
        this.current = {
          ...this.current,
          step: vertex.step,
          totalSteps: vertex.total,
          stepText: vertex.name,
          instruction: vertex.instruction,
        };
      }
      changed = true;
    }
    if (update.error && vertex.error === undefined) {
      vertex.error = clipText(update.error, 8 * 1024);
      vertex.lines?.flush();
      // The step that failed, not the ones BuildKit cancelled because of it.
      if (!this.failedVertex || (isCancelledVertexError(this.failedVertex.error ?? '') && !isCancelledVertexError(vertex.error))) {
        this.failedVertex = vertex;
      }
      this.callbacks.onOutput?.(`ERROR ${vertex.name}: ${vertex.error}`);
    }
    if ((update.completed !== undefined || update.cached) && !vertex.done) {
      vertex.done = true;
      vertex.lines?.flush();
      if (vertex.step !== undefined && vertex.error === undefined) this.stepsDone++;
      changed = true;
    }
    if (changed && vertex.step !== undefined) {
      let total = 0;
      for (const count of this.stageTotals.values()) total += count;
      this.current = { ...this.current, fraction: total > 0 ? Math.min(1, this.stepsDone / total) : 0 };
      this.callbacks.onProgress?.(this.progress);
    }
  }

  private latestStep(): VertexState | undefined {
    let latest: VertexState | undefined;
    for (const vertex of this.vertexes.values())
      if (vertex.step !== undefined && (vertex.started || vertex.tail.length > 0)) latest = vertex;
    return latest;
  }
}
