import assert from 'node:assert/strict';
import { collectAll, pagesByOffset, pagesByToken } from '../../src/core/synapse/paging';
import { Listing } from '../../src/core/tree/listing';
import { ConcurrencyLimiter } from '../../src/core/util/limiter';
import { normalizeEndpoint } from '../../src/core/synapse/endpoint';
import { readTokenClaims, missingScopes } from '../../src/core/synapse/pat';
import { redact as redactSecrets } from '../../src/core/util/redact';

describe('paging guards, limiter, endpoint and token helpers', () => {
  it('stops a token listing whose server repeats a token instead of looping', async () => {
    let calls = 0;
    const pages = pagesByToken(async () => ({ items: [++calls], nextPageToken: '50a50' }));
    await assert.rejects(collectAll(pages), /page token "50a50" twice/);
    assert.equal(calls, 2);
  });

  it('stops an offset listing on the first short page', async () => {
    const requested: number[] = [];
    const all = await collectAll(pagesByOffset(async (offset) => (requested.push(offset), offset < 40 ? Array(20).fill(offset) : [1]), 20));
    assert.deepEqual(requested, [0, 20, 40]);
    assert.equal(all.length, 41);
  });

  it('a tree listing treats a cursor that does not advance as the end, and joins a request in flight', async () => {
    let calls = 0;
    const listing = new Listing<number, string>(async (cursor) => {
      calls++;
      await new Promise((r) => setTimeout(r, 10));
      return { items: [calls], next: cursor ?? 'same' };
    });
    await Promise.all([listing.ensureFirstPage(), listing.ensureFirstPage(), listing.loadMore()]);
    assert.equal(calls, 1);
    assert.ok(listing.hasMore);
    await listing.loadMore(); // the server returns "same" again: exhausted
    assert.equal(listing.hasMore, false);
    await listing.loadMore();
    assert.equal(calls, 2);
  });

  it('the limiter never runs more than its limit and honours abort while waiting', async () => {
    const limiter = new ConcurrencyLimiter(3);
    let running = 0;
    let peak = 0;
    const task = async () => {
      peak = Math.max(peak, ++running);
      await new Promise((r) => setTimeout(r, 5));
      running--;
    };
    await Promise.all(Array.from({ length: 12 }, () => limiter.run(task)));
    assert.equal(peak, 3);
    const blockers = Array.from({ length: 3 }, () => limiter.run(() => new Promise((r) => setTimeout(r, 50))));
    const controller = new AbortController();
    const waiting = limiter.run(task, controller.signal);
    controller.abort(new Error('cancelled by test'));
    await assert.rejects(waiting, /cancelled by test/);
    await Promise.all(blockers);
    assert.equal(limiter.active, 0);
  });

  it('refuses plain http except on loopback, and normalises the base URL', () => {
    assert.equal(normalizeEndpoint('https://repo-prod.prod.sagebase.org/repo/v1/'), 'https://repo-prod.prod.sagebase.org');
    assert.equal(normalizeEndpoint('http://127.0.0.1:8080'), 'http://127.0.0.1:8080');
    assert.equal(normalizeEndpoint('http://localhost:1/'), 'http://localhost:1');
    assert.throws(() => normalizeEndpoint('http://example.org'), /plain http; only loopback/);
    assert.throws(() => normalizeEndpoint('ftp://example.org'), /must use https/);
    assert.throws(() => normalizeEndpoint('not a url'), /is not a URL/);
  });

  it('reads PAT scopes from the JWT payload and names the missing ones', () => {
    const payload = Buffer.from(
      JSON.stringify({ sub: '42', token_type: 'PERSONAL_ACCESS_TOKEN', access: { scope: ['view', 'download'] } }),
    ).toString('base64url');
    const claims = readTokenClaims(`eyJhbGciOiJIUzI1NiJ9.${payload}.c2ln`);
    assert.deepEqual(claims?.scopes, ['view', 'download']);
    assert.deepEqual(missingScopes(claims!, 'push'), ['modify']);
    assert.deepEqual(missingScopes(claims!, 'pull'), []);
    assert.equal(readTokenClaims('not-a-jwt'), undefined);
  });

  it('redacts anything shaped like a token from log text', () => {
    const token = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9.abcdefSIGNATURE';
    assert.equal(redactSecrets(`header Bearer ${token} end`), 'header Bearer [redacted token] end');
  });
});
