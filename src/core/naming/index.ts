// Image names for Synapse's Docker registry: the one place that owns the grammar.
// It is docker/distribution's reference grammar (reference/regexp.go) narrowed the way Synapse's
// DockerNameUtil narrows it: the first path component must be a project synID (docs/synapse-api.md §3.5).
//   reference := host "/" synID "/" name [":" tag] ["@" digest]
// Matching is done with the anchored regexes below; only when one fails do we look closer, to say
// which rule was broken, by which character, at which (1-based) position.
// Messages go through @vscode/l10n, one whole sentence per variant, so translators never see fragments.
import * as l10n from '@vscode/l10n';

/** A short, stable code for the rule a name broke. */
export type NameRule =
  | 'uppercase' // a capital letter in a repository name
  | 'character' // a character that may not appear at all
  | 'separator' // a name part starts/ends with a separator, or separators are combined wrongly
  | 'empty-component' // "a//b", a leading or trailing "/"
  | 'missing-name' // nothing after the synID
  | 'synid' // the first path component is not syn<digits>
  | 'host' // the registry host is malformed
  | 'registry-mismatch' // no host, or another registry's host
  | 'tag-syntax'
  | 'digest'
  | 'length' // the full name over 255 characters, or a tag over 128
  | 'syntax'; // fallback; the tests check it is never reached

export class NameError extends Error {
  constructor(
    readonly rule: NameRule,
    message: string,
  ) {
    super(message);
    this.name = 'NameError';
  }
}

export interface ImageReference {
  /** host[:port], e.g. docker.synapse.org */
  registry: string;
  /** Everything between the host and the tag: `<projectId>/<name>`. */
  path: string;
  /** The project's synID, e.g. syn123. */
  projectId: string;
  /** The path after the synID, e.g. my-tool or tools/align. */
  name: string;
  tag?: string;
  digest?: string;
}

// ---- Grammar: one regex source per element, composed ----
const ALPHANUMERIC = '[a-z0-9]+';
const SEPARATOR = '(?:[._]|__|-+)'; // a single ".", a single "_", "__", or any run of "-"
const COMPONENT = `${ALPHANUMERIC}(?:${SEPARATOR}${ALPHANUMERIC})*`;
const NAME = `${COMPONENT}(?:/${COMPONENT})*`; // the part after the synID
const PROJECT_ID = 'syn[0-9]+';
const LABEL = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])'; // a DNS label
const HOST = `${LABEL}(?:\\.${LABEL})*(?::[0-9]+)?`;
const TAG = '[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}';
const ALGORITHM = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*';
const DIGEST = `${ALGORITHM}:[0-9a-fA-F]{32,}`;

const whole = (source: string) => new RegExp(`^(?:${source})$`);
const SEPARATOR_RE = whole(SEPARATOR);
const NAME_RE = whole(NAME);
const PROJECT_ID_RE = whole(PROJECT_ID);
const HOST_RE = whole(HOST);
const TAG_RE = whole(TAG);
const ALGORITHM_RE = whole(ALGORITHM);
const DIGEST_RE = whole(DIGEST);

/** docker's NameTotalLengthMax: host + "/" + path. (Synapse's column is varchar(512), so docker's limit binds.) */
export const MAX_NAME_LENGTH = 255;
export const MAX_TAG_LENGTH = 128;
/** go-digest checks these algorithms' exact length, in lowercase hex; others only need the general form. */
const DIGEST_HEX_LENGTH = new Map([
  ['sha256', 64],
  ['sha384', 96],
  ['sha512', 128],
]);

const q = (s: string) => JSON.stringify(s); // quotes, and shows spaces and control characters
const shortened = (s: string) => (s.length > 40 ? `${s.slice(0, 39)}…` : s);

// ---- Parsing and formatting ----

/**
 * Parses `host/synID/name[:tag][@digest]`. As docker does, the first segment is a host only if it has a
 * "." or ":" or is "localhost"; a reference without one would go to Docker Hub, so it is rejected.
 * With `options.registry`, the host must be exactly that registry.
 */
export function parseImageReference(text: string, options: { registry?: string } = {}): ImageReference | NameError {
  const at = text.indexOf('@');
  const nameAndTag = at < 0 ? text : text.slice(0, at);
  const digest = at < 0 ? undefined : text.slice(at + 1);
  const slash = nameAndTag.indexOf('/');
  const first = slash < 0 ? '' : nameAndTag.slice(0, slash);
  const hasHost = /[.:]/.test(first) || first === 'localhost';
  if (!hasHost || (options.registry !== undefined && first !== options.registry)) {
    return new NameError(
      'registry-mismatch',
      options.registry === undefined
        ? l10n.t({
            message: 'Images for Synapse must be named <registry host>/<project synID>/<name>; {0} is not.',
            args: [q(text)],
            comment: ['The <…> parts stand for the parts of an image name. {0} is the name given, quoted.'],
          })
        : l10n.t({
            message: 'Images for Synapse must be named {0}/<project synID>/<name>; {1} is not.',
            args: [options.registry, q(text)],
            comment: [
              '{0} is the registry host, e.g. docker.synapse.org. The <…> parts stand for the rest of an image name. {1} is the name given, quoted.',
            ],
          }),
    );
  }
  const registry = first;
  const hostError = validateRegistryHost(registry);
  if (hostError) return hostError;

  // The tag is after a ":" in the last path segment (the path itself can't contain ":").
  const rest = nameAndTag.slice(slash + 1);
  const colon = rest.indexOf(':', rest.lastIndexOf('/') + 1);
  const path = colon < 0 ? rest : rest.slice(0, colon);
  const tag = colon < 0 ? undefined : rest.slice(colon + 1);

  const split = path.indexOf('/');
  const projectId = split < 0 ? path : path.slice(0, split);
  const name = split < 0 ? '' : path.slice(split + 1);
  if (path === '') {
    return new NameError(
      'synid',
      l10n.t({
        message: '{0} has no project ID (expected {1}/<project synID>/<name>).',
        args: [q(text), registry],
        comment: ['{0} is the image name given, quoted; {1} is its registry host. The <…> parts stand for the rest of an image name.'],
      }),
    );
  }
  if (projectId === '') return new NameError('empty-component', l10n.t('{0} has an empty path component.', q(`${registry}/${path}`)));
  const error =
    validateProjectId(projectId) ??
    (name === ''
      ? new NameError(
          'missing-name',
          l10n.t({
            message: '{0} has no repository name after the project ID (expected {1}/{2}/<name>).',
            args: [q(`${registry}/${projectId}`), registry, projectId],
            comment: [
              '{0} is the image name given, quoted; {1} is its registry host and {2} its project synID. <name> stands for a repository name.',
            ],
          }),
        )
      : undefined) ??
    validateRepositoryName(name) ??
    (tag === undefined ? undefined : validateTag(tag)) ??
    (digest === undefined ? undefined : validateDigest(digest)) ??
    checkLength(`${registry}/${path}`);
  if (error) return error;
  return { registry, path, projectId, name, ...(tag !== undefined && { tag }), ...(digest !== undefined && { digest }) };
}

/** host/path[:tag][@digest] */
export function formatImageReference(ref: Pick<ImageReference, 'registry' | 'path' | 'tag' | 'digest'>): string {
  return `${ref.registry}/${ref.path}${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest !== undefined ? `@${ref.digest}` : ''}`;
}

export function isSynapseImageReference(text: string, registry: string): boolean {
  return !(parseImageReference(text, { registry }) instanceof NameError);
}

/** `registry/projectId/name[:tag]`; throws the NameError if the parts don't make a valid Synapse image name. */
export function synapseImageName(registry: string, projectId: string, name: string, tag?: string): string {
  const text = `${registry}/${projectId}/${name}${tag !== undefined ? `:${tag}` : ''}`;
  const parsed = parseImageReference(text, { registry });
  if (parsed instanceof NameError) throw parsed;
  return text;
}

// ---- Validators (undefined = valid) ----

/**
 * A repository name as a user types it: the part after the synID, e.g. `my-tool` or `tools/align`.
 * With `within`, the full name's length limit is checked too.
 */
export function validateRepositoryName(name: string, within?: { registry: string; projectId: string }): NameError | undefined {
  if (!NAME_RE.test(name)) return diagnoseName(name);
  return within && checkLength(`${within.registry}/${within.projectId}/${name}`);
}

export function validateProjectId(id: string): NameError | undefined {
  if (PROJECT_ID_RE.test(id)) return undefined;
  if (id === '') return new NameError('synid', l10n.t('A Synapse project ID is required, e.g. "syn123".'));
  const chars = Array.from(id);
  const i = chars.findIndex((c, i) => (i < 3 ? c !== 'syn'[i] : !/[0-9]/.test(c)));
  // One whole sentence per reason, so a translation can reorder it. (l10n-dev only reads a comment written inline.)
  const message = /^[0-9]+$/.test(id)
    ? l10n.t({
        message: '{0} is not a Synapse project ID: expected "syn" followed by digits (did you mean {1}?).',
        args: [q(id), q(`syn${id}`)],
        comment: ['"syn" is literal: keep it. {0} is the ID given, quoted; {1} is the suggested ID, quoted.'],
      })
    : i < 0
      ? l10n.t({
          message: '{0} is not a Synapse project ID: expected "syn" followed by digits (the digits are missing).',
          args: [q(id)],
          comment: ['"syn" is literal: keep it. {0} is the ID given, quoted.'],
        })
      : i >= 3
        ? l10n.t({
            message: '{0} is not a Synapse project ID: expected "syn" followed by digits ({1} at position {2} is not a digit).',
            args: [q(id), q(chars[i]), i + 1],
            comment: [
              '"syn" is literal: keep it. {0} is the ID given, quoted; {1} is one of its characters, quoted, at 1-based position {2}.',
            ],
          })
        : chars[i].toLowerCase() === 'syn'[i]
          ? l10n.t({
              message: '{0} is not a Synapse project ID: expected "syn" followed by digits ({1} at position {2} should be lowercase {3}).',
              args: [q(id), q(chars[i]), i + 1, q('syn'[i])],
              comment: [
                '"syn" is literal: keep it. {0} is the ID given, quoted; {1} is one of its characters, quoted, at 1-based position {2}; {3} is the letter of "syn" expected there, quoted.',
              ],
            })
          : l10n.t({
              message: '{0} is not a Synapse project ID: expected "syn" followed by digits ({1} at position {2} should be {3}).',
              args: [q(id), q(chars[i]), i + 1, q('syn'[i])],
              comment: [
                '"syn" is literal: keep it. {0} is the ID given, quoted; {1} is one of its characters, quoted, at 1-based position {2}; {3} is the letter of "syn" expected there, quoted.',
              ],
            });
  return new NameError('synid', message);
}

export function validateTag(tag: string): NameError | undefined {
  if (TAG_RE.test(tag)) return undefined;
  if (tag === '') return new NameError('tag-syntax', l10n.t("A tag can't be empty."));
  if (/^[.-]/.test(tag)) {
    return new NameError(
      'tag-syntax',
      l10n.t({
        message: "A tag can't start with {0} ({1}).",
        args: [q(tag[0]), q(tag)],
        comment: ['{0} is a character, quoted; {1} is the whole tag.'],
      }),
    );
  }
  const chars = Array.from(tag);
  const bad = chars.findIndex((c) => !/[A-Za-z0-9_.-]/.test(c));
  if (bad >= 0) {
    return new NameError(
      'tag-syntax',
      l10n.t(
        'Tags can only contain letters, digits, "_", "." and "-": {0} at position {1} of {2} is not allowed.',
        q(chars[bad]),
        bad + 1,
        q(tag),
      ),
    );
  }
  if (tag.length > MAX_TAG_LENGTH) {
    return new NameError(
      'length',
      l10n.t('A tag can be at most {0} characters; {1} is {2}.', MAX_TAG_LENGTH, q(shortened(tag)), tag.length),
    );
  }
  return new NameError('syntax', l10n.t('{0} is not a valid tag.', q(tag)));
}

/** `algorithm:hex`, as docker's grammar has it; sha256/384/512 must also have their exact length in lowercase hex. */
export function validateDigest(digest: string): NameError | undefined {
  const colon = digest.indexOf(':');
  const algorithm = colon < 0 ? digest : digest.slice(0, colon);
  const hex = digest.slice(colon + 1);
  const length = DIGEST_HEX_LENGTH.get(algorithm);
  if (DIGEST_RE.test(digest) && (length === undefined || new RegExp(`^[a-f0-9]{${length}}$`).test(hex))) return undefined;
  if (colon < 0 || !ALGORITHM_RE.test(algorithm)) {
    return new NameError('digest', l10n.t('{0} is not a digest: expected "sha256:" followed by 64 hexadecimal digits.', q(digest)));
  }
  const chars = Array.from(hex);
  const bad = chars.findIndex((c) => !(length ? /[a-f0-9]/ : /[a-fA-F0-9]/).test(c));
  if (bad >= 0) {
    const position = colon + 2 + bad;
    return new NameError(
      'digest',
      length
        ? l10n.t('{0} at position {1} of {2} is not a lowercase hexadecimal digit.', q(chars[bad]), position, q(digest))
        : l10n.t('{0} at position {1} of {2} is not a hexadecimal digit.', q(chars[bad]), position, q(digest)),
    );
  }
  return new NameError(
    'digest',
    length
      ? l10n.t({
          message: 'A {0} digest has {1} hexadecimal digits; {2} has {3}.',
          args: [algorithm, length, q(shortened(digest)), hex.length],
          comment: ['{0} is a digest algorithm (sha256, sha384 or sha512); {2} is the digest given, quoted.'],
        })
      : l10n.t('A digest needs at least 32 hexadecimal digits; {0} has {1}.', q(digest), hex.length),
  );
}

/** host[:port] as docker accepts it (no IPv6 literals). */
export function validateRegistryHost(host: string): NameError | undefined {
  if (HOST_RE.test(host)) return undefined;
  // Each reason is its own whole message (the host comes first in all of them).
  const fail = (message: string) => new NameError('host', message);
  if (host === '') return fail(l10n.t('{0} is not a valid registry host: it is empty.', q(host)));
  const colon = host.indexOf(':');
  const hostname = colon < 0 ? host : host.slice(0, colon);
  const chars = Array.from(hostname);
  const bad = chars.findIndex((c) => !/[A-Za-z0-9.-]/.test(c));
  if (bad >= 0)
    return fail(l10n.t('{0} is not a valid registry host: {1} at position {2} is not allowed.', q(host), q(chars[bad]), bad + 1));
  let start = 0; // hostname is ASCII from here on, so string indices are positions
  for (const label of hostname.split('.')) {
    if (label === '') return fail(l10n.t('{0} is not a valid registry host: it has an empty label at position {1}.', q(host), start + 1));
    const edge = label.startsWith('-') ? 0 : label.endsWith('-') ? label.length - 1 : -1;
    if (edge >= 0) {
      return fail(l10n.t('{0} is not a valid registry host: "-" at position {1} can\'t start or end a label.', q(host), start + edge + 1));
    }
    start += label.length + 1;
  }
  if (colon >= 0) {
    const port = Array.from(host.slice(colon + 1));
    if (port.length === 0) return fail(l10n.t('{0} is not a valid registry host: the port number after ":" is missing.', q(host)));
    const i = port.findIndex((c) => !/[0-9]/.test(c));
    if (i >= 0) {
      return fail(
        l10n.t(
          '{0} is not a valid registry host: {1} at position {2} is not a digit of the port number.',
          q(host),
          q(port[i]),
          colon + 2 + i,
        ),
      );
    }
  }
  return new NameError('syntax', l10n.t('{0} is not a valid registry host.', q(host)));
}

/**
 * A valid repository name made from anything (a folder name, a title): lowercase, other characters become
 * "-", separators are tidied. "My Tool v2!" → "my-tool-v2". Returns "" if nothing usable is left.
 * Capped at 200 characters, leaving room for the host and synID within the 255 limit.
 */
export function suggestRepositoryName(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '') // drop accents: "é" → "e"
    .toLowerCase()
    .split('/')
    .map((part) =>
      part
        .replace(/[^a-z0-9._-]+/g, '-')
        .replace(/[._-]+/g, (run) => (/^(?:[._]|__)$/.test(run) ? run : '-')) // "--", "._", "..." → "-"
        .replace(/^[._-]+|[._-]+$/g, ''),
    )
    .filter((part) => part !== '')
    .join('/')
    .slice(0, 200)
    .replace(/[._/-]+$/, '');
}

// ---- Diagnosis of an invalid repository name ----

function diagnoseName(name: string): NameError {
  if (name === '') return new NameError('missing-name', l10n.t('A repository name is required, e.g. "my-tool".'));
  const chars = Array.from(name);
  for (const [i, c] of chars.entries()) {
    if (/[A-Z]/.test(c)) {
      return new NameError(
        'uppercase',
        l10n.t('Repository names must be lowercase: {0} at position {1} of {2} is uppercase.', q(c), i + 1, q(name)),
      );
    }
    if (!/[a-z0-9._/-]/.test(c)) {
      return new NameError(
        'character',
        l10n.t(
          'Repository names can only contain lowercase letters, digits, "/" and the separators ".", "_" and "-": {0} at position {1} of {2} is not allowed.',
          q(c),
          i + 1,
          q(name),
        ),
      );
    }
  }
  let start = 0; // the name is ASCII from here on, so string indices are positions
  for (const part of name.split('/')) {
    if (part === '') return new NameError('empty-component', l10n.t('{0} has an empty path component.', q(name)));
    const edge = /^[._-]/.test(part) ? 0 : /[._-]$/.test(part) ? part.length - 1 : -1;
    if (edge >= 0) {
      return new NameError(
        'separator',
        l10n.t(
          'Each part of a repository name must start and end with a letter or digit: {0} at position {1} of {2} is a separator.',
          q(part[edge]),
          start + edge + 1,
          q(name),
        ),
      );
    }
    for (const run of part.matchAll(/[._-]+/g)) {
      // Every prefix of a valid separator is itself valid, so the first invalid prefix ends at the culprit.
      const k = Array.from(run[0]).findIndex((_, k) => !SEPARATOR_RE.test(run[0].slice(0, k + 1)));
      if (k < 0) continue;
      return new NameError(
        'separator',
        l10n.t({
          message:
            'Repository names join letters and digits with a single ".", "_" or "__", or a run of "-": {0} at position {1} of {2} can\'t follow {3}.',
          args: [q(run[0][k]), start + (run.index ?? 0) + k + 1, q(name), q(run[0].slice(0, k))],
          comment: ['{0} is a separator character, quoted; {2} is the repository name; {3} is the separators just before {0}, quoted.'],
        }),
      );
    }
    start += part.length + 1;
  }
  return new NameError('syntax', l10n.t('{0} is not a valid repository name.', q(name)));
}

function checkLength(fullName: string): NameError | undefined {
  return fullName.length > MAX_NAME_LENGTH
    ? new NameError('length', l10n.t('The full image name is {0} characters; the limit is {1}.', fullName.length, MAX_NAME_LENGTH))
    : undefined;
}
