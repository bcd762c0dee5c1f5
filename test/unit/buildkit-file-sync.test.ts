// The messages of BuildKit's file sync as the session writes and reads them (the exchange itself
// runs against the real engines in docker-build.test.ts): Go's file modes, the stat message's
// fields, gRPC frames split anywhere, percent-encoded metadata, and fsutil's include/exclude rules.
import * as assert from 'node:assert/strict';
import {
  decodeFileSyncPacket,
  encodeStatPacket,
  goFileMode,
  GrpcFrameReader,
  metadataValues,
  ProtoError,
  requestFilter,
} from '../../src/core/docker';

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
