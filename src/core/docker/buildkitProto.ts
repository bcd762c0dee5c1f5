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

/** A varint; a bigint or a negative number as its 64-bit two's complement, as protobuf's int64 is. */
function encodeVarint(value: number | bigint, out: number[]): void {
  if (typeof value === 'number' && value >= 0 && Number.isSafeInteger(value)) {
    let rest = value;
    while (rest > 0x7f) {
      out.push((rest % 128) | 0x80);
      rest = Math.floor(rest / 128);
    }
    out.push(rest);
    return;
  }
  let rest = BigInt.asUintN(64, BigInt(value));
  while (rest > 0x7fn) {
    out.push(Number(rest & 0x7fn) | 0x80);
    rest >>= 7n;
  }
  out.push(Number(rest));
}

/** A varint field; 0 is left out, as proto3 does. */
function pushVarintField(out: number[], number: number, value: number | bigint): void {
  if (value === 0 || value === 0n) return;
  encodeVarint((number << 3) | WIRE_VARINT, out);
  encodeVarint(value, out);
}

/** A length-delimited field; empty is left out, as proto3 does. */
function pushBytesField(out: number[], number: number, bytes: Uint8Array | undefined): void {
  if (!bytes || bytes.length === 0) return;
  encodeVarint((number << 3) | WIRE_BYTES, out);
  encodeVarint(bytes.length, out);
  for (const byte of bytes) out.push(byte);
}

/** A message of string fields and varint fields (empty strings and zeros are left out, as proto3 does). */
export function encodeMessage(values: Array<[number, string | number]>): Buffer {
  const out: number[] = [];
  for (const [number, value] of values) {
    if (typeof value === 'number') pushVarintField(out, number, value);
    else pushBytesField(out, number, Buffer.from(value, 'utf8'));
  }
  return Buffer.from(out);
}

// ---- file sync (tonistiigi/fsutil types: Packet in wire.proto, Stat in stat.proto) -----------

/** fsutil's packet types. */
export const PACKET_STAT = 0;
export const PACKET_REQ = 1;
export const PACKET_DATA = 2;
export const PACKET_FIN = 3;
export const PACKET_ERR = 4;

/** A file sync packet: its type, id and data, and of a stat only the path. */
export interface FileSyncPacket {
  type: number;
  id: number;
  data?: Uint8Array;
  /** The stat's path, for a STAT packet that has one. */
  statPath?: string;
}

export function decodeFileSyncPacket(buffer: Uint8Array): FileSyncPacket {
  const packet: FileSyncPacket = { type: PACKET_STAT, id: 0 };
  for (const field of fields(buffer)) {
    if (field.number === 1 && field.varint !== undefined) packet.type = Number(field.varint);
    else if (field.number === 2 && field.bytes) packet.statPath = decodeStrings(field.bytes).get(1) ?? '';
    else if (field.number === 3 && field.varint !== undefined) packet.id = Number(BigInt.asUintN(32, field.varint));
    else if (field.number === 4 && field.bytes) packet.data = field.bytes;
  }
  return packet;
}

/** One entry as fsutil describes it; `mode` is Go's os.FileMode (type bits high, as fsutil sends them). */
export interface FileSyncStat {
  /** Relative, `/`-separated, UTF-8. */
  path: Buffer;
  mode: number;
  size: number;
  /** Nanoseconds since the epoch. */
  modTimeNs: bigint;
  linkname?: Buffer;
  devmajor?: number;
  devminor?: number;
}

/** A STAT packet; without a stat, the one that ends the listing. uid and gid stay 0 (root), as the CLI sends them. */
export function encodeStatPacket(stat: FileSyncStat | undefined): Buffer {
  const out: number[] = [];
  if (stat) {
    const inner: number[] = [];
    pushBytesField(inner, 1, stat.path);
    pushVarintField(inner, 2, stat.mode >>> 0);
    pushVarintField(inner, 5, stat.size);
    pushVarintField(inner, 6, stat.modTimeNs);
    pushBytesField(inner, 7, stat.linkname);
    pushVarintField(inner, 8, stat.devmajor ?? 0);
    pushVarintField(inner, 9, stat.devminor ?? 0);
    encodeVarint((2 << 3) | WIRE_BYTES, out);
    encodeVarint(inner.length, out);
    for (const byte of inner) out.push(byte);
  }
  // Without a stat (no field 2 at all, an empty message): the listing ends here.
  return Buffer.from(out);
}

/** A packet of a type with an id and optional bytes (DATA, FIN, ERR). */
export function encodePacket(type: number, id: number, data?: Uint8Array): Buffer {
  const out: number[] = [];
  pushVarintField(out, 1, type);
  pushVarintField(out, 3, id >>> 0);
  pushBytesField(out, 4, data);
  return Buffer.from(out);
}

/**
 * The bytes before `length` bytes of file data in a DATA packet for `id` (type, id, the data's
 * tag and length): the data itself is written after them as it is, never copied into a message.
 */
export function dataPacketPrefix(id: number, length: number): Buffer {
  const out: number[] = [];
  pushVarintField(out, 1, PACKET_DATA);
  pushVarintField(out, 3, id >>> 0);
  encodeVarint((4 << 3) | WIRE_BYTES, out);
  encodeVarint(length, out);
  return Buffer.from(out);
}

// ---- gRPC framing (one uncompressed message: flag 0, big-endian length, the message) ----------

export const GRPC_FRAME_HEADER = 5;
/** A message larger than this from the engine is refused (the session's requests are small). */
const MAX_INCOMING_MESSAGE = 4 * 1024 * 1024;

export function grpcFrame(message: Buffer): Buffer {
  const framed = Buffer.allocUnsafe(GRPC_FRAME_HEADER + message.length);
  framed[0] = 0;
  framed.writeUInt32BE(message.length, 1);
  message.copy(framed, GRPC_FRAME_HEADER);
  return framed;
}

/** Splits a gRPC stream's bytes into its messages, however the chunks fall. */
export class GrpcFrameReader {
  private pending: Buffer = Buffer.alloc(0);

  /** The messages completed by this chunk; throws ProtoError on a compressed or oversized one. */
  push(chunk: Buffer): Buffer[] {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const messages: Buffer[] = [];
    while (this.pending.length >= GRPC_FRAME_HEADER) {
      if (this.pending[0] !== 0) throw new ProtoError('a compressed gRPC message');
      const length = this.pending.readUInt32BE(1);
      if (length > MAX_INCOMING_MESSAGE) throw new ProtoError(`a gRPC message of ${length} bytes`);
      if (this.pending.length < GRPC_FRAME_HEADER + length) break;
      messages.push(this.pending.subarray(GRPC_FRAME_HEADER, GRPC_FRAME_HEADER + length));
      this.pending = this.pending.subarray(GRPC_FRAME_HEADER + length);
    }
    return messages;
  }

  /** Bytes of an unfinished message. */
  get buffered(): number {
    return this.pending.length;
  }
}
