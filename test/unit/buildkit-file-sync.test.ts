// BuildKit's file sync as the session speaks it: Go's file modes, the stat message's fields, gRPC
// frames split anywhere, percent-encoded metadata, fsutil's include/exclude rules, and the DiffCopy
// exchange played from BuildKit's side over loopback HTTP/2 (against the real engines' BuildKit it
// runs in docker-build.test.ts).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http2 from 'node:http2';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import {
  createBuildContext,
  decodeFileSyncPacket,
  encodePacket,
  encodeStatPacket,
  FILE_SYNC_DIFF_COPY,
  goFileMode,
  GrpcFrameReader,
  grpcFrame,
  metadataValues,
  PACKET_DATA,
  PACKET_ERR,
  PACKET_FIN,
  PACKET_REQ,
  PACKET_STAT,
  ProtoError,
  requestFilter,
  serveDiffCopy,
} from '../../src/core/docker';
import type { SyncSource } from '../../src/core/docker/buildContext';

describe('BuildKit file sync messages', () => {
  it("writes modes as Go's os.FileMode, as fsutil's receiver reads them", () => {
    assert.equal(goFileMode('directory', 0o755), 2 ** 31 + 0o755);
    assert.equal(goFileMode('file', 0o644), 0o644);
    assert.equal(goFileMode('file', 0o4755), 2 ** 23 + 0o755); // setuid
    assert.equal(goFileMode('directory', 0o1777), 2 ** 31 + 2 ** 20 + 0o777); // sticky
    assert.equal(goFileMode('symlink', 0o777), 2 ** 27 + 0o777);
    assert.equal(goFileMode('fifo', 0o600), 2 ** 25 + 0o600);
    assert.equal(goFileMode('char', 0o666), 2 ** 26 + 2 ** 21 + 0o666);
  });

  it('writes a stat with its field numbers (path 1, mode 2, size 5, modTime 6, linkname 7) and ends the listing with no stat at all', () => {
    const packet = encodeStatPacket({
      path: Buffer.from('a/b'),
      mode: 2 ** 31 + 0o755,
      size: 300,
      modTimeNs: 1_700_000_000_123_456_789n,
      linkname: Buffer.from('t'),
    });
    // Packet: field 2 (stat), length-delimited; type 0 (STAT) is left out, as proto3 does.
    assert.equal(packet[0], 0x12);
    const stat = packet.subarray(2);
    assert.equal(packet[1], stat.length);
    assert.deepEqual([...stat.subarray(0, 5)], [0x0a, 3, 0x61, 0x2f, 0x62]);
    assert.deepEqual([...stat.subarray(5, 11)], [0x10, 0xed, 0x83, 0x80, 0x80, 0x08]); // 2^31 + 0o755 as a varint
    assert.deepEqual([...stat.subarray(11, 14)], [0x28, 0xac, 0x02]); // size 300
    assert.equal(stat[14], 0x30); // modTime
    assert.deepEqual([...stat.subarray(-3)], [0x3a, 1, 0x74]); // linkname "t"
    assert.equal(encodeStatPacket(undefined).length, 0);
  });

  it('reads REQ, FIN and ERR packets, and gRPC frames however the chunks fall', () => {
    const req = Buffer.from([0x08, 0x01, 0x18, 0xac, 0x02]); // REQ id 300
    const err = Buffer.from([0x08, 0x04, 0x22, 0x02, 0x6e, 0x6f]); // ERR "no"
    const frames = Buffer.concat([req, err].map((message) => Buffer.concat([Buffer.from([0, 0, 0, 0, message.length]), message])));
    const reader = new GrpcFrameReader();
    const messages = [...frames].flatMap((byte) => reader.push(Buffer.from([byte])));
    assert.equal(reader.buffered, 0);
    const packets = messages.map((message) => decodeFileSyncPacket(message));
    assert.deepEqual(
      packets.map(({ type, id, data }) => [type, id, data && Buffer.from(data).toString()]),
      [
        [1, 300, undefined],
        [4, 0, 'no'],
      ],
    );
    assert.throws(() => new GrpcFrameReader().push(Buffer.from([1, 0, 0, 0, 0])), ProtoError); // compressed
    assert.throws(() => new GrpcFrameReader().push(Buffer.from([0, 0x7f, 0, 0, 0])), ProtoError); // 2 GB
  });

  it('reads multi-valued metadata, decoding values BuildKit percent-encoded', () => {
    const raw = ['dir-name', 'context', 'followpaths', 'Dockerfile', 'followpaths', 'na%C3%AFve+name', 'followpaths-encoded', '1'];
    assert.deepEqual(metadataValues(raw, 'dir-name'), ['context']);
    assert.deepEqual(metadataValues(raw, 'followpaths'), ['Dockerfile', 'naïve name']);
    assert.deepEqual(metadataValues(raw, 'include-patterns'), []);
  });

  it("keeps what fsutil's filter keeps: includes with their folders' contents, excludes with ! exceptions", () => {
    const only = requestFilter(['include-patterns', 'src', 'followpaths', 'Dockerfile']);
    assert.deepEqual(['Dockerfile', 'src', 'src/a.ts', 'srcs', 'other/Dockerfile'].filter(only), ['Dockerfile', 'src', 'src/a.ts']);
    const ignoring = requestFilter(['exclude-patterns', 'logs', 'exclude-patterns', '*.env', 'exclude-patterns', '!logs/keep.log']);
    assert.deepEqual(['a.txt', 'x.env', 'sub/x.env', 'logs', 'logs/x.log', 'logs/keep.log'].filter(ignoring), [
      'a.txt',
      'sub/x.env',
      'logs/keep.log',
    ]);
    assert.deepEqual(['a', 'b/c'].filter(requestFilter([])), ['a', 'b/c']);
  });
});

/** What a receiver saw of one DiffCopy exchange: the listing, the files it asked for, the errors, the gRPC status. */
interface Exchange {
  listing: string[];
  files: Map<string, Buffer>;
  errors: string[];
  status: string | undefined;
}

/**
 * Plays BuildKit's side of DiffCopy against serveDiffCopy over a real HTTP/2 connection on
 * loopback: reads the listing, asks for the entries `want` picks (by their place in it), then FIN.
 */
async function diffCopy(
  sources: Map<string, SyncSource>,
  metadata: Record<string, string | string[]>,
  want: (listing: string[]) => number[],
): Promise<Exchange> {
  const server = http2.createServer();
  server.on('stream', (stream: http2.ServerHttp2Stream, _headers: http2.IncomingHttpHeaders, _flags: number, rawHeaders: string[]) =>
    serveDiffCopy(stream, rawHeaders, sources, new Map()),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const client = http2.connect(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  const result: Exchange = { listing: [], files: new Map(), errors: [], status: undefined };
  try {
    const request = client.request({
      ':method': 'POST',
      ':path': FILE_SYNC_DIFF_COPY,
      'content-type': 'application/grpc',
      te: 'trailers',
      ...metadata,
    });
    const reader = new GrpcFrameReader();
    const pending = new Set<number>();
    const chunks = new Map<number, Buffer[]>();
    const send = (type: number, id = 0) => request.write(grpcFrame(encodePacket(type, id)));
    request.on('response', (headers) => (result.status ??= headers['grpc-status'] as string | undefined));
    request.on('trailers', (trailers) => (result.status = trailers['grpc-status'] as string));
    request.on('data', (chunk: Buffer) => {
      for (const message of reader.push(chunk)) {
        const packet = decodeFileSyncPacket(message);
        if (packet.type === PACKET_STAT && packet.statPath !== undefined) result.listing.push(packet.statPath);
        else if (packet.type === PACKET_STAT) {
          for (const id of want(result.listing)) {
            pending.add(id);
            send(PACKET_REQ, id);
          }
          if (pending.size === 0) send(PACKET_FIN);
        } else if (packet.type === PACKET_DATA && packet.data?.length) {
          chunks.set(packet.id, [...(chunks.get(packet.id) ?? []), Buffer.from(packet.data)]);
        } else if (packet.type === PACKET_DATA) {
          result.files.set(result.listing[packet.id], Buffer.concat(chunks.get(packet.id) ?? []));
          pending.delete(packet.id);
          if (pending.size === 0) send(PACKET_FIN);
        } else if (packet.type === PACKET_ERR) result.errors.push(Buffer.from(packet.data ?? []).toString());
        else if (packet.type === PACKET_FIN) request.end();
      }
    });
    // The sender's side ended (after FIN, an error, or a refusal): end ours, as BuildKit does.
    request.on('end', () => request.end());
    await new Promise<void>((resolve) => request.on('close', resolve));
    return result;
  } finally {
    client.close();
    server.close();
  }
}

describe('BuildKit file sync exchange (serveDiffCopy over loopback HTTP/2, a real context walk)', () => {
  let dir: string;
  let sources: Map<string, SyncSource>;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'file-sync-'));
    const files: Record<string, string | Buffer> = {
      Dockerfile: 'FROM scratch\nCOPY . /\n',
      '.dockerignore': 'drop\n',
      'a.txt': 'hello',
      'drop/x': 'left out',
      'sub/deep/big.bin': Buffer.alloc(700_000, 3),
    };
    for (const [name, content] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      fs.writeFileSync(path.join(dir, name), content);
    }
    const context = await createBuildContext({ contextDir: dir, forFileSync: true });
    sources = new Map([
      ['context', context.fileSync!.context],
      ['dockerfile', context.fileSync!.dockerfile],
    ]);
  });

  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('lists the walked context in order, sends the files asked for byte for byte, and ends with FIN and status 0', async () => {
    const all = await diffCopy(sources, { 'dir-name': 'context' }, (listing) =>
      listing.flatMap((name, id) => (['a.txt', 'sub/deep/big.bin'].includes(name) ? [id] : [])),
    );
    assert.deepEqual(all.listing, ['.dockerignore', 'Dockerfile', 'a.txt', 'sub', 'sub/deep', 'sub/deep/big.bin']);
    assert.deepEqual([...all.files.keys()].sort(), ['a.txt', 'sub/deep/big.bin']);
    assert.equal(all.files.get('a.txt')?.toString(), 'hello');
    assert.ok(all.files.get('sub/deep/big.bin')?.equals(Buffer.alloc(700_000, 3)));
    assert.deepEqual(all.errors, []);
    assert.equal(all.status, '0');
  });

  it('packs many small files and large ones into shared slabs, each byte for byte', async () => {
    const many = fs.mkdtempSync(path.join(os.tmpdir(), 'file-sync-many-'));
    try {
      const expected = new Map<string, Buffer>();
      for (let i = 0; i < 400; i++) expected.set(`f${String(i).padStart(3, '0')}`, Buffer.alloc(1 + ((i * 7919) % 70_000), i % 251));
      expected.set('huge.bin', Buffer.alloc(3 * 1024 * 1024 + 17, 9));
      for (const [name, content] of expected) fs.writeFileSync(path.join(many, name), content);
      fs.writeFileSync(path.join(many, 'Dockerfile'), 'FROM scratch\n');
      const context = await createBuildContext({ contextDir: many, forFileSync: true });
      const all = await diffCopy(new Map([['context', context.fileSync!.context]]), { 'dir-name': 'context' }, (listing) =>
        listing.flatMap((name, id) => (expected.has(name) ? [id] : [])),
      );
      assert.equal(all.status, '0');
      assert.equal(all.files.size, expected.size);
      for (const [name, content] of expected) assert.ok(all.files.get(name)?.equals(content), `${name} arrived intact`);
    } finally {
      fs.rmSync(many, { recursive: true, force: true });
    }
  });

  it('lists the folders above an included file first, and only what the include and exclude patterns keep', async () => {
    const some = await diffCopy(
      sources,
      { 'dir-name': 'context', 'include-patterns': ['sub/deep/big.bin', 'a.txt'], 'exclude-patterns': 'a.txt' },
      () => [],
    );
    assert.deepEqual(some.listing, ['sub', 'sub/deep', 'sub/deep/big.bin']);
    assert.equal(some.status, '0');
  });

  it('serves the Dockerfile under its own name from the "dockerfile" folder', async () => {
    const dockerfile = await diffCopy(sources, { 'dir-name': 'dockerfile', followpaths: ['Dockerfile', 'Dockerfile.dockerignore'] }, () => [
      0,
    ]);
    assert.deepEqual(dockerfile.listing, ['Dockerfile']);
    assert.equal(dockerfile.files.get('Dockerfile')?.toString(), 'FROM scratch\nCOPY . /\n');
  });

  it('gives an engine nothing beyond the listing: a folder, an unknown id or an unknown dir name is refused', async () => {
    const folder = await diffCopy(sources, { 'dir-name': 'context' }, (listing) => [listing.indexOf('sub')]);
    assert.deepEqual(folder.files.size, 0);
    assert.match(folder.errors.join(), /asked for file 3, which is not in the listing/);
    assert.equal(folder.status, '2');
    const unknown = await diffCopy(sources, { 'dir-name': 'context' }, () => [999]);
    assert.equal(unknown.files.size, 0);
    assert.equal(unknown.status, '2');
    const elsewhere = await diffCopy(sources, { 'dir-name': '/etc' }, () => []);
    assert.deepEqual([elsewhere.listing, elsewhere.status], [[], '5']);
  });
});
