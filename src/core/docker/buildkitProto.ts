// Just enough of the protobuf wire format to read BuildKit's build status (moby/buildkit
// api/services/control/control.proto, StatusResponse) and to write and read the few small
// messages of a build session's auth and health answers. Unknown fields are skipped, as protobuf
// requires; a message that is not well-formed throws ProtoError. Every read is bounded by the
// buffer it reads from, so a hostile payload costs time linear in its size.

export class ProtoError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtoError';
  }
}

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_BYTES = 2;
const WIRE_FIXED32 = 5;

/** One field as it appears on the wire: a number (varint) or bytes (length-delimited). */
type Field = { number: number; varint?: bigint; bytes?: Uint8Array };

/** Reads the fields of one message, in order, skipping fixed-width ones. */
function* fields(buffer: Uint8Array): Generator<Field> {
  let offset = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (offset >= buffer.length) throw new ProtoError('a number runs past the end of the message');
      const byte = buffer[offset++];
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7n;
    }
    throw new ProtoError('a number is longer than 10 bytes');
  };
  while (offset < buffer.length) {
    const key = varint();
    const number = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (number === 0) throw new ProtoError('field number 0');
    switch (wire) {
      case WIRE_VARINT:
        yield { number, varint: varint() };
        break;
      case WIRE_FIXED64:
        offset += 8;
        break;
      case WIRE_FIXED32:
        offset += 4;
        break;
      case WIRE_BYTES: {
        const length = Number(varint());
        if (offset + length > buffer.length) throw new ProtoError('a field runs past the end of the message');
        yield { number, bytes: buffer.subarray(offset, offset + length) };
        offset += length;
        break;
      }
      default:
        throw new ProtoError(`wire type ${wire} is not supported`);
    }
    if (offset > buffer.length) throw new ProtoError('a field runs past the end of the message');
  }
}

const utf8 = new TextDecoder('utf-8');
const text = (field: Field): string => (field.bytes ? utf8.decode(field.bytes) : '');

/** google.protobuf.Timestamp as milliseconds since the epoch. */
function timestamp(field: Field): number | undefined {
  if (!field.bytes) return undefined;
  let seconds = 0n;
  let nanos = 0n;
  for (const part of fields(field.bytes)) {
    if (part.number === 1 && part.varint !== undefined) seconds = BigInt.asIntN(64, part.varint);
    else if (part.number === 2 && part.varint !== undefined) nanos = BigInt.asIntN(32, part.varint);
  }
  return Number(seconds) * 1000 + Math.floor(Number(nanos) / 1e6);
}

// ---- StatusResponse -------------------------------------------------------------------------

export interface BuildkitVertex {
  digest: string;
  /** "[stage-0 2/4] COPY a /a", "[internal] load build definition from Dockerfile". */
  name: string;
  cached: boolean;
  started?: number;
  completed?: number;
  error?: string;
}

export interface BuildkitLog {
  vertex: string;
  /** 1 stdout, 2 stderr. */
  stream: number;
  data: Uint8Array;
}

export interface BuildkitWarning {
  vertex: string;
  short: string;
}

export interface BuildkitStatus {
  vertexes: BuildkitVertex[];
  logs: BuildkitLog[];
  warnings: BuildkitWarning[];
}

function vertex(buffer: Uint8Array): BuildkitVertex {
  const result: BuildkitVertex = { digest: '', name: '', cached: false };
  for (const field of fields(buffer)) {
    switch (field.number) {
      case 1:
        result.digest = text(field);
        break;
      case 3:
        result.name = text(field);
        break;
      case 4:
        result.cached = field.varint !== undefined && field.varint !== 0n;
        break;
      case 5:
        result.started = timestamp(field);
        break;
      case 6:
        result.completed = timestamp(field);
        break;
      case 7:
        result.error = text(field) || undefined;
        break;
    }
  }
  return result;
}

function log(buffer: Uint8Array): BuildkitLog {
  const result: BuildkitLog = { vertex: '', stream: 1, data: new Uint8Array() };
  for (const field of fields(buffer)) {
    if (field.number === 1) result.vertex = text(field);
    else if (field.number === 3 && field.varint !== undefined) result.stream = Number(field.varint);
    else if (field.number === 4 && field.bytes) result.data = field.bytes;
  }
  return result;
}

function warning(buffer: Uint8Array): BuildkitWarning {
  const result: BuildkitWarning = { vertex: '', short: '' };
  for (const field of fields(buffer)) {
    if (field.number === 1) result.vertex = text(field);
    else if (field.number === 3) result.short = text(field);
  }
  return result;
}

/**
 * Decodes a StatusResponse: vertexes (1), logs (3) and warnings (4); the per-vertex transfer
 * statuses (2) are not needed for step progress and are skipped.
 */
export function decodeStatusResponse(buffer: Uint8Array): BuildkitStatus {
  const status: BuildkitStatus = { vertexes: [], logs: [], warnings: [] };
  for (const field of fields(buffer)) {
    if (!field.bytes) continue;
    if (field.number === 1) status.vertexes.push(vertex(field.bytes));
    else if (field.number === 3) status.logs.push(log(field.bytes));
    else if (field.number === 4) status.warnings.push(warning(field.bytes));
  }
  return status;
}

// ---- small messages of the session ----------------------------------------------------------

/** The string fields of a message by field number (the last value wins, as in protobuf). */
export function decodeStrings(buffer: Uint8Array): Map<number, string> {
  const result = new Map<number, string>();
  for (const field of fields(buffer)) if (field.bytes) result.set(field.number, text(field));
  return result;
}

function encodeVarint(value: number, out: number[]): void {
  let rest = value;
  while (rest > 0x7f) {
    out.push((rest & 0x7f) | 0x80);
    rest = Math.floor(rest / 128);
  }
  out.push(rest);
}

/** A message of string fields (empty strings are left out, as proto3 does) and varint fields. */
export function encodeMessage(values: Array<[number, string | number]>): Buffer {
  const out: number[] = [];
  for (const [number, value] of values) {
    if (typeof value === 'number') {
      if (value === 0) continue;
      encodeVarint((number << 3) | WIRE_VARINT, out);
      encodeVarint(value, out);
      continue;
    }
    if (value === '') continue;
    const bytes = Buffer.from(value, 'utf8');
    encodeVarint((number << 3) | WIRE_BYTES, out);
    encodeVarint(bytes.length, out);
    for (const byte of bytes) out.push(byte);
  }
  return Buffer.from(out);
}
