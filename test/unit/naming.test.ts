import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  formatImageReference,
  ImageReference,
  isSynapseImageReference,
  NameError,
  NameRule,
  parseImageReference,
  suggestRepositoryName,
  synapseImageName,
  validateDigest,
  validateProjectId,
  validateRegistryHost,
  validateRepositoryName,
  validateTag,
} from '../../src/core/naming';

const REGISTRY = 'docker.synapse.org';
const SHA = 'sha256:' + 'a'.repeat(64);

// Fixed seed so a failure reproduces; fast-check prints the seed and counterexample path on failure.
// Set FC_SEED to explore other seeds.
const fcParams = { numRuns: 500, seed: Number(process.env.FC_SEED ?? 20240917) };

function rejection(result: unknown): NameError {
  assert.ok(result instanceof NameError, `expected a NameError, got ${JSON.stringify(result)}`);
  return result;
}

/** Asserts the rule, and that every key part (the offending character, its position…) is in the message. */
function assertRejected(result: unknown, rule: NameRule, ...parts: string[]): void {
  const error = rejection(result);
  assert.equal(error.rule, rule, error.message);
  for (const part of parts) assert.ok(error.message.includes(part), `"${error.message}" should mention ${part}`);
}

describe('naming: parsing and formatting image references', () => {
  const cases: Array<[string, ImageReference]> = [
    ['docker.synapse.org/syn123/my-tool', { registry: REGISTRY, path: 'syn123/my-tool', projectId: 'syn123', name: 'my-tool' }],
    [
      'docker.synapse.org/syn123/tools/align:v1.2_rc-3',
      { registry: REGISTRY, path: 'syn123/tools/align', projectId: 'syn123', name: 'tools/align', tag: 'v1.2_rc-3' },
    ],
    [
      `127.0.0.1:5123/syn9/a.b__c---d@${SHA}`,
      { registry: '127.0.0.1:5123', path: 'syn9/a.b__c---d', projectId: 'syn9', name: 'a.b__c---d', digest: SHA },
    ],
    [
      `localhost:5000/syn1/x:latest@${SHA}`,
      { registry: 'localhost:5000', path: 'syn1/x', projectId: 'syn1', name: 'x', tag: 'latest', digest: SHA },
    ],
    ['localhost/syn1/x', { registry: 'localhost', path: 'syn1/x', projectId: 'syn1', name: 'x' }],
    ['Registry.Example.COM/syn1/x', { registry: 'Registry.Example.COM', path: 'syn1/x', projectId: 'syn1', name: 'x' }],
  ];
  for (const [text, expected] of cases) {
    it(`parses and re-formats ${text}`, () => {
      assert.deepEqual(parseImageReference(text), expected);
      assert.equal(formatImageReference(expected), text);
    });
  }

  it('accepts the general algorithm:hex digest form, checking only known algorithms strictly', () => {
    assert.equal(validateDigest('sha512:' + 'f'.repeat(128)), undefined);
    assert.equal(validateDigest('multihash+base58:' + 'ABCDEF0123456789'.repeat(2)), undefined);
    assertRejected(validateDigest('sha256:' + 'a'.repeat(63)), 'digest', 'sha256', '64', 'has 63');
    assertRejected(validateDigest('sha256:' + 'A'.repeat(64)), 'digest', '"A" at position 8', 'lowercase');
    assertRejected(validateDigest('sha256'), 'digest', 'expected "sha256:"');
    assertRejected(validateDigest('x:' + 'a'.repeat(31)), 'digest', 'at least 32', 'has 31');
  });

  it('synapseImageName builds a name and throws a NameError for invalid parts', () => {
    assert.equal(synapseImageName(REGISTRY, 'syn123', 'my-tool', 'v1'), 'docker.synapse.org/syn123/my-tool:v1');
    assert.equal(synapseImageName('localhost:5000', 'syn1', 'a/b'), 'localhost:5000/syn1/a/b');
    assert.throws(
      () => synapseImageName(REGISTRY, 'syn123', 'My-tool'),
      (e: unknown) => e instanceof NameError && e.rule === 'uppercase',
    );
    assert.throws(
      () => synapseImageName(REGISTRY, 'project', 'x'),
      (e: unknown) => e instanceof NameError && e.rule === 'synid',
    );
  });

  it('isSynapseImageReference only accepts names for the given registry', () => {
    assert.equal(isSynapseImageReference('docker.synapse.org/syn1/x:v1', REGISTRY), true);
    assert.equal(isSynapseImageReference('docker.synapse.org/syn1/x:v1', 'localhost:5000'), false);
    assert.equal(isSynapseImageReference('ubuntu:22.04', REGISTRY), false);
    assert.equal(isSynapseImageReference('docker.synapse.org/syn1', REGISTRY), false);
  });
});

describe('naming: every rule, with its message', () => {
  const long = (n: number) => 'a'.repeat(n);
  // [input, rule, key parts of the message]
  const references: Array<[string, NameRule, ...string[]]> = [
    ['docker.synapse.org/syn1/My-tool', 'uppercase', 'must be lowercase', '"M" at position 1 of "My-tool" is uppercase'],
    ['docker.synapse.org/syn1/my-tOol:v1', 'uppercase', '"O" at position 5 of "my-tOol"'],
    ['docker.synapse.org/syn1/my-tool!', 'character', '"!" at position 8 of "my-tool!" is not allowed'],
    ['docker.synapse.org/syn1/my tool', 'character', '" " at position 3'],
    ['docker.synapse.org/syn1/café', 'character', '"é" at position 4'],
    ['docker.synapse.org/syn1/-tool', 'separator', '"-" at position 1 of "-tool" is a separator'],
    ['docker.synapse.org/syn1/tools/align_', 'separator', '"_" at position 12 of "tools/align_"'],
    ['docker.synapse.org/syn1/my..tool', 'separator', '"." at position 4 of "my..tool" can\'t follow "."'],
    ['docker.synapse.org/syn1/my___tool', 'separator', '"_" at position 5 of "my___tool" can\'t follow "__"'],
    ['docker.synapse.org/syn1/my-.tool', 'separator', '"." at position 4', 'can\'t follow "-"'],
    ['docker.synapse.org/syn1/tools//align', 'empty-component', '"tools//align" has an empty path component.'],
    ['docker.synapse.org/syn1/tools/', 'empty-component', '"tools/" has an empty path component.'],
    ['docker.synapse.org//tools', 'empty-component', 'empty path component'],
    [
      'docker.synapse.org/syn123',
      'missing-name',
      '"docker.synapse.org/syn123" has no repository name after the project ID (expected docker.synapse.org/syn123/<name>).',
    ],
    ['docker.synapse.org/syn123:v1', 'missing-name', 'no repository name'],
    ['docker.synapse.org/syn123/', 'missing-name', 'no repository name'],
    ['docker.synapse.org/', 'synid', 'has no project ID'],
    [
      'docker.synapse.org/syn12a/x',
      'synid',
      '"syn12a" is not a Synapse project ID: expected "syn" followed by digits',
      '"a" at position 6',
    ],
    ['docker.synapse.org/Syn12/x', 'synid', '"S" at position 1 should be lowercase "s"'],
    ['docker.synapse.org/12/x', 'synid', 'did you mean "syn12"?'],
    ['docker.synapse.org/syn/x', 'synid', 'the digits are missing'],
    ['docker.synapse.org/project/x', 'synid', '"p" at position 1 should be "s"'],
    ['docker.synapse.org/syn1/x:-beta', 'tag-syntax', 'A tag can\'t start with "-" ("-beta").'],
    ['docker.synapse.org/syn1/x:.hidden', 'tag-syntax', 'can\'t start with "."'],
    ['docker.synapse.org/syn1/x:v1+build', 'tag-syntax', '"+" at position 3 of "v1+build" is not allowed'],
    ['docker.synapse.org/syn1/x:a:b', 'tag-syntax', '":" at position 2 of "a:b"'],
    ['docker.synapse.org/syn1/x:', 'tag-syntax', "A tag can't be empty."],
    [`docker.synapse.org/syn1/x:${long(129)}`, 'length', 'at most 128 characters', 'is 129'],
    [`docker.synapse.org/syn1/x@sha256:${long(63)}`, 'digest', 'has 63'],
    [`docker.synapse.org/syn1/x@sha256:${'G'.repeat(64)}`, 'digest', '"G" at position 8'],
    [`docker.synapse.org/syn1/x@latest`, 'digest', 'is not a digest'],
    [`docker.synapse.org/syn1/${long(232)}`, 'length', 'The full image name is 256 characters; the limit is 255.'],
    ['docker_synapse.org/syn1/x', 'host', '"docker_synapse.org" is not a valid registry host: "_" at position 7 is not allowed.'],
    ['docker..org/syn1/x', 'host', 'empty label at position 8'],
    ['-docker.org/syn1/x', 'host', '"-" at position 1 can\'t start or end a label'],
    ['localhost:/syn1/x', 'host', 'port number after ":" is missing'],
    ['localhost:50a0/syn1/x', 'host', '"a" at position 13 is not a digit of the port'],
    ['ubuntu:22.04', 'registry-mismatch', 'must be named <registry host>/<project synID>/<name>; "ubuntu:22.04" is not.'],
    ['syn123/my-tool', 'registry-mismatch', '"syn123/my-tool" is not'],
  ];
  for (const [text, rule, ...parts] of references) {
    it(`${rule}: ${text.length > 60 ? text.slice(0, 57) + '…' : text}`, () => assertRejected(parseImageReference(text), rule, ...parts));
  }

  it('a name for another registry, or with no host, is a registry mismatch when the registry is given', () => {
    for (const text of ['ubuntu:22.04', 'docker.io/library/ubuntu', 'localhost:5000/syn1/x', 'syn1/x', 'docker.synapse.org']) {
      assertRejected(
        parseImageReference(text, { registry: REGISTRY }),
        'registry-mismatch',
        `Images for Synapse must be named docker.synapse.org/<project synID>/<name>; ${JSON.stringify(text)} is not.`,
      );
    }
    assert.ok(!(parseImageReference('localhost:5000/syn1/x', { registry: 'localhost:5000' }) instanceof NameError));
  });

  it('validates a new repository name on its own, and its full length in context', () => {
    assert.equal(validateRepositoryName('my-tool'), undefined);
    assert.equal(validateRepositoryName('tools/align'), undefined);
    assertRejected(
      validateRepositoryName('My-tool'),
      'uppercase',
      'Repository names must be lowercase: "M" at position 1 of "My-tool" is uppercase.',
    );
    assertRejected(validateRepositoryName(''), 'missing-name', 'required');
    assertRejected(validateRepositoryName('/align'), 'empty-component');
    const within = { registry: REGISTRY, projectId: 'syn123' };
    assert.equal(validateRepositoryName(long(255 - 'docker.synapse.org/syn123/'.length), within), undefined);
    assertRejected(validateRepositoryName(long(256 - 'docker.synapse.org/syn123/'.length), within), 'length', 'is 256 characters');
  });

  it('validates tags, project IDs and hosts on their own', () => {
    assert.equal(validateTag('_'), undefined);
    assert.equal(validateTag('V1.0-RC_2'), undefined);
    assert.equal(validateTag(long(128)), undefined);
    assertRejected(validateTag('-beta'), 'tag-syntax', 'A tag can\'t start with "-" ("-beta").');
    assert.equal(validateProjectId('syn0123'), undefined);
    assertRejected(validateProjectId('syn12a'), 'synid', '"syn12a" is not a Synapse project ID: expected "syn" followed by digits');
    assertRejected(validateProjectId(''), 'synid', 'required');
    assert.equal(validateRegistryHost('127.0.0.1:5123'), undefined);
    assertRejected(validateRegistryHost('[::1]:5000'), 'host', '"[" at position 1');
  });

  it('suggests a valid repository name from anything', () => {
    const cases: Array<[string, string]> = [
      ['My Tool v2!', 'my-tool-v2'],
      ['  Résumé Parser  ', 'resume-parser'],
      ['tools / Align', 'tools/align'],
      ['a..b___c-.d__e', 'a-b-c-d__e'],
      ['--x--', 'x'],
      ['!!!', ''],
      ['Tools//Align/', 'tools/align'],
    ];
    for (const [input, expected] of cases) assert.equal(suggestRepositoryName(input), expected, input);
  });
});

// ---- Property tests ----

const alnum = fc.stringMatching(/^[a-z0-9]{1,6}$/);
const separator = fc.constantFrom('.', '_', '__', '-', '--', '---');
const component = fc
  .tuple(alnum, fc.array(fc.tuple(separator, alnum), { maxLength: 3 }))
  .map(([head, tail]) => head + tail.map(([s, a]) => s + a).join(''));
const label = fc.stringMatching(/^[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,6}[a-zA-Z0-9])?$/);
const port = fc.integer({ min: 1, max: 65535 }).map((p) => `:${p}`);
// docker only reads the first segment as a host if it has a "." or ":" or is "localhost"
const host = fc.oneof(
  fc.tuple(fc.array(label, { minLength: 2, maxLength: 4 }), fc.option(port, { nil: '' })).map(([ls, p]) => ls.join('.') + p),
  fc.tuple(label, port).map(([l, p]) => l + p),
  fc.option(port, { nil: '' }).map((p) => 'localhost' + p),
);
const synId = fc.stringMatching(/^syn[0-9]{1,10}$/);
const tag = fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/);
const hex = (n: number, chars = '0123456789abcdef') =>
  fc.array(fc.constantFrom(...chars), { minLength: n, maxLength: n }).map((cs) => cs.join(''));
const digest = fc.oneof(
  { weight: 4, arbitrary: hex(64).map((h) => `sha256:${h}`) },
  { weight: 1, arbitrary: hex(128).map((h) => `sha512:${h}`) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.stringMatching(/^[A-Za-z][A-Za-z0-9]{0,4}(?:[-_+.][A-Za-z][A-Za-z0-9]{0,4}){0,2}$/), hex(40, '0123456789abcdefABCDEF'))
      .filter(([alg]) => !['sha256', 'sha384', 'sha512'].includes(alg))
      .map(([alg, h]) => `${alg}:${h}`),
  },
);

interface Parts {
  host: string;
  synId: string;
  components: string[];
  tag?: string;
  digest?: string;
}
const parts: fc.Arbitrary<Parts> = fc
  .record({
    host,
    synId,
    components: fc.array(component, { minLength: 1, maxLength: 3 }),
    tag: fc.option(tag, { nil: undefined }),
    digest: fc.option(digest, { nil: undefined }),
  })
  .filter((p) => `${p.host}/${p.synId}/${p.components.join('/')}`.length <= 255);

function text(p: Parts): string {
  return `${p.host}/${p.synId}/${p.components.join('/')}${p.tag !== undefined ? `:${p.tag}` : ''}${p.digest !== undefined ? `@${p.digest}` : ''}`;
}

/** Inserts `s` at a position picked by `at` (0..1) in `target`. */
const insertAt = (target: string, at: number, s: string) => {
  const i = Math.floor(at * (target.length + 1));
  return target.slice(0, i) + s + target.slice(i);
};

// Each mutation breaks exactly one rule of a valid reference; it yields the new text and the expected rule.
type Mutation = (p: Parts, at: number, pick: number) => { text: string; rule: NameRule; mentions?: string };
const pickFrom = <T>(xs: readonly T[], pick: number) => xs[Math.floor(pick * xs.length) % xs.length];
const withName = (p: Parts, name: string) => text({ ...p, components: [name] });
const nameOf = (p: Parts) => p.components.join('/');
const mutations: Record<string, Mutation> = {
  'an uppercase letter': (p, at, pick) => {
    const c = pickFrom([...'ABCDEFGHIJKLMNOPQRSTUVWXYZ'], pick);
    return { text: withName(p, insertAt(nameOf(p), at, c)), rule: 'uppercase', mentions: `"${c}"` };
  },
  'a leading or trailing separator': (p, at, pick) => {
    const i = Math.floor(at * p.components.length) % p.components.length;
    const s = pickFrom(['.', '_', '-', '__', '--'], pick);
    const components = p.components.map((c, j) => (j === i ? (pick < 0.5 ? s + c : c + s) : c));
    return { text: text({ ...p, components }), rule: 'separator', mentions: `"${s[0]}"` };
  },
  'an illegal character': (p, at, pick) => {
    const c = pickFrom(['!', '#', '$', '%', '&', '*', '(', ')', '+', '=', ',', ';', '?', '~', ' ', '\t', 'é', 'ß', '😀', '[', '"'], pick);
    return { text: withName(p, insertAt(nameOf(p), at, c)), rule: 'character', mentions: JSON.stringify(c) };
  },
  'a bad separator run ("..", "___", "._")': (p, at, pick) => {
    const run = pickFrom(['..', '___', '._', '_.', '-.', '.-', '_-', '-_', '__.', '--_'], pick);
    const i = Math.floor(at * p.components.length) % p.components.length;
    const components = p.components.map((c, j) => (j === i ? `${c}${run}x` : c));
    return { text: text({ ...p, components }), rule: 'separator' };
  },
  'an over-long tag': (p, at) => ({ text: text({ ...p, tag: 'v'.repeat(129 + Math.floor(at * 100)) }), rule: 'length', mentions: 'tag' }),
  'a non-synID first segment': (p, at, pick) => {
    const bad = pickFrom(['Syn1', 'SYN1', 'syn', 'syn1a', 'syn-1', 'syn1.2', 'project', '123', 's1', 'syn_1', 'synapse1', 'xyn1'], pick);
    return { text: text({ ...p, synId: bad }), rule: 'synid', mentions: `"${bad}"` };
  },
  'an empty component': (p, at, pick) => {
    const name = nameOf(p);
    const mutated = pick < 0.3 ? `${name}/` : pick < 0.6 ? `/${name}` : p.components.length > 1 ? name.replace('/', '//') : `${name}//x`;
    return { text: withName(p, mutated), rule: 'empty-component' };
  },
  'no name after the synID': (p) => ({ text: text({ ...p, components: [] }).replace(/\/(?=[:@]|$)/, ''), rule: 'missing-name' }),
  'a full name over 255 characters': (p) => ({
    text: withName(p, nameOf(p) + '/' + 'a'.repeat(255)),
    rule: 'length',
    mentions: 'limit is 255',
  }),
  'a bad digest': (p, at, pick) => ({
    text: text({ ...p, digest: pick < 0.5 ? `sha256:${'a'.repeat(Math.floor(at * 63))}` : `sha256:${'A'.repeat(64)}` }),
    rule: 'digest',
  }),
};

describe('naming: properties', () => {
  it('formatImageReference(parseImageReference(x)) === x for every valid reference', () => {
    fc.assert(
      fc.property(parts, (p) => {
        const t = text(p);
        for (const options of [{}, { registry: p.host }]) {
          const ref = parseImageReference(t, options);
          assert.ok(!(ref instanceof NameError), `${t}: ${ref instanceof NameError ? ref.message : ''}`);
          assert.equal(formatImageReference(ref), t);
          assert.deepEqual([ref.registry, ref.projectId, ref.name, ref.tag, ref.digest], [p.host, p.synId, nameOf(p), p.tag, p.digest]);
          assert.equal(ref.path, `${ref.projectId}/${ref.name}`);
        }
        assert.equal(isSynapseImageReference(t, p.host), true);
        assert.equal(validateRepositoryName(nameOf(p), { registry: p.host, projectId: p.synId }), undefined);
      }),
      fcParams,
    );
  });

  for (const [kind, mutate] of Object.entries(mutations)) {
    it(`rejects every reference with ${kind}`, () => {
      fc.assert(
        fc.property(
          parts,
          fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
          fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
          (p, at, pick) => {
            const { text: t, rule, mentions } = mutate(p, at, pick);
            const error = rejection(parseImageReference(t));
            assert.equal(error.rule, rule, `${t}: ${error.message}`);
            if (mentions) assert.ok(error.message.includes(mentions), `${t}: "${error.message}" should mention ${mentions}`);
          },
        ),
        fcParams,
      );
    });
  }

  it('rejects a valid reference for another registry with a registry mismatch', () => {
    fc.assert(
      fc.property(parts, host, (p, other) => {
        fc.pre(other !== p.host);
        assertRejected(parseImageReference(text(p), { registry: other }), 'registry-mismatch', `must be named ${other}/`);
      }),
      fcParams,
    );
  });

  it('explains every rejection of near-miss text with a specific rule (never the fallback)', () => {
    const near = fc.array(fc.constantFrom(...'aZ0:/@._-!syn1'.split(''), 'docker.synapse.org/', 'syn1/', 'sha256:', '__', '//'), {
      maxLength: 30,
    });
    fc.assert(
      fc.property(near, (chunks) => {
        const result = parseImageReference(chunks.join(''));
        if (result instanceof NameError) assert.notEqual(result.rule, 'syntax', result.message);
      }),
      { ...fcParams, numRuns: 2000 },
    );
  });

  it('suggestRepositoryName always yields a valid name (or ""), and is stable', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (s) => {
        const suggested = suggestRepositoryName(s);
        if (suggested !== '') assert.equal(validateRepositoryName(suggested), undefined, JSON.stringify(suggested));
        assert.equal(suggestRepositoryName(suggested), suggested);
      }),
      fcParams,
    );
  });
});
