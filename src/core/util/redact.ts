// The one redactor every exit passes text through (log, notifications, error messages, engine
// text, build output). It removes:
//  (a) anything shaped like a JWT (every Synapse PAT is one), registered or not;
//  (b) every registered secret, whole, JSON-escaped, each of its dot-separated parts of 8+
//      characters (but a JWT's header, which all tokens share), and any run of FRAGMENT_LENGTH
//      (16) or more of its consecutive characters that reaches past that header —
//      a cut (Synapse's 200-character excerpt, a wrapped line) or a split token is still found,
//      and the match is widened to all it shares with the secret;
//  (c) the base64 and base64url encodings of any text holding a registered secret (the Docker
//      X-Registry-Auth header is base64url(JSON authconfig), HTTP Basic is base64(user:token)):
//      for each of the three byte alignments the secret can have, the characters that depend on
//      the secret alone, or 16+ of them in a row; the whole base64 run holding them goes.
// Sixteen base64url characters are 96 bits: ordinary text (digests, image names, ids) never
// shares that much with a token by chance. Pieces shorter than that are not recognised, except
// the dot-separated parts of 8+ characters, which are matched whole.
// The registry is module state: dist/docker.js bundles its own copy, so Docker operations
// register the auth they were given and the VS Code layer redacts again with the session's token.

export const REDACTED_TOKEN = '[redacted token]';
export const REDACTED_CREDENTIALS = '[redacted credentials]';

/** Shorter secrets are not registered: matching them would hit ordinary words. */
export const MIN_SECRET_LENGTH = 8;
export const FRAGMENT_LENGTH = 16;
/** The most recent secrets kept (a token stays registered after sign-out: redacting more is harmless). */
const MAX_SECRETS = 16;

// A JWT (three base64url parts, the first starting with '{"' encoded) — the shape of every PAT.
const TOKEN_PATTERN = /eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]+/g;
const BASE64_CHAR = /[A-Za-z0-9+/_=-]/;
// Only a run of FRAGMENT_LENGTH non-blank characters can hold a fragment.
const WORD_RUN = new RegExp(`\\S{${FRAGMENT_LENGTH},}`, 'g');

interface Needle {
  text: string;
  /** Encoded forms are removed with the whole base64 run around them. */
  encoded: boolean;
}

interface Matcher {
  /** Matched whole, anywhere. */
  exact: Needle[];
  /** Every FRAGMENT_LENGTH-gram of the long needles → where it occurs in them. */
  grams: Map<string, Array<{ needle: Needle; at: number }>>;
}

const registered: string[] = [];
let cachedMatcher: Matcher | undefined;

/** Makes `redact` remove this secret from now on (idempotent; blanks and short strings are ignored). */
export function registerSecret(secret: string | undefined): void {
  const value = secret?.trim();
  if (!value || value.length < MIN_SECRET_LENGTH) return;
  const existing = registered.indexOf(value);
  if (existing === registered.length - 1 && existing !== -1) return;
  if (existing !== -1) registered.splice(existing, 1);
  registered.push(value);
  if (registered.length > MAX_SECRETS) registered.shift();
  cachedMatcher = undefined;
}

/** The secrets registered so far (for tests). */
export function registeredSecretCount(): number {
  return registered.length;
}

/** Removes the registered secrets, the `extra` ones and anything token-shaped from `text`. */
export function redact(text: string, extra: readonly (string | undefined)[] = []): string {
  if (!text) return text;
  const extraSecrets = extra
    .map((s) => s?.trim())
    .filter((s): s is string => !!s && s.length >= MIN_SECRET_LENGTH && !registered.includes(s));
  const matcher = extraSecrets.length ? buildMatcher([...registered, ...extraSecrets]) : (cachedMatcher ??= buildMatcher(registered));
  // Whole JWTs first: a fragment match must not cut an unrelated token so the pattern misses it.
  const result = text.replace(TOKEN_PATTERN, REDACTED_TOKEN);
  return matcher.exact.length ? removeNeedles(result, matcher) : result;
}

/** redact() for a value that may not be a string (an error's fields); undefined stays undefined. */
export function redactOptional(text: string | undefined, extra: readonly (string | undefined)[] = []): string | undefined {
  return text === undefined ? undefined : redact(text, extra);
}

/** What betrays `secret` (shared with the secret scanner in the tests). */
export function secretForms(secret: string): { plain: string[]; encoded: string[] } {
  const plain = new Set<string>([secret]);
  const escaped = JSON.stringify(secret).slice(1, -1);
  plain.add(escaped);
  // A JWT's header ({"alg":…}) is the same in every token: not secret, and matching it alone would
  // cut other text. The payload and signature are.
  for (const part of secret.split('.').slice(jwtHeaderLength(secret) ? 1 : 0)) if (part.length >= MIN_SECRET_LENGTH) plain.add(part);
  const encoded = new Set<string>();
  for (const form of new Set([secret, escaped])) {
    for (const core of base64Cores(Buffer.from(form, 'utf8'))) {
      encoded.add(core);
      encoded.add(core.replace(/\+/g, '-').replace(/\//g, '_'));
    }
  }
  return { plain: [...plain], encoded: [...encoded] };
}

/**
 * The base64 characters that depend only on `bytes`, for each alignment (0, 1 or 2 bytes before
 * them): whole 4-character groups, so the ones mixing in the neighbours' bits are left out.
 */
export function base64Cores(bytes: Buffer): string[] {
  const cores: string[] = [];
  for (let offset = 0; offset < 3; offset++) {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64');
    const firstGroup = offset === 0 ? 0 : 1;
    const wholeGroups = Math.floor((offset + bytes.length) / 3);
    const core = encoded.slice(firstGroup * 4, wholeGroups * 4);
    if (core.length >= 12) cores.push(core);
  }
  return cores;
}

/** The length of the header when `text` is a JWT (three parts, the first encoding '{"'), else 0. */
function jwtHeaderLength(text: string): number {
  const parts = text.split('.');
  return parts.length === 3 && parts[0].startsWith('eyJ') ? parts[0].length : 0;
}

function buildMatcher(secrets: readonly string[]): Matcher {
  const exact: Needle[] = [];
  const grams = new Map<string, Array<{ needle: Needle; at: number }>>();
  for (const secret of secrets) {
    const forms = secretForms(secret);
    const needles = [...forms.plain.map((text) => ({ text, encoded: false })), ...forms.encoded.map((text) => ({ text, encoded: true }))];
    for (const needle of needles) {
      exact.push(needle);
      // Fragments lying wholly in a JWT header are not indexed (see secretForms).
      const header = needle.encoded ? 0 : jwtHeaderLength(needle.text);
      for (let at = Math.max(0, header + 1 - FRAGMENT_LENGTH); at + FRAGMENT_LENGTH <= needle.text.length; at++) {
        const gram = needle.text.slice(at, at + FRAGMENT_LENGTH);
        const list = grams.get(gram);
        if (list) list.push({ needle, at });
        else grams.set(gram, [{ needle, at }]);
      }
    }
  }
  // Longest first, so a whole secret goes before one of its parts.
  exact.sort((a, b) => b.text.length - a.text.length);
  return { exact, grams };
}

interface Range {
  start: number;
  end: number;
  encoded: boolean;
}

function removeNeedles(text: string, matcher: Matcher): string {
  const ranges: Range[] = [];
  for (const needle of matcher.exact) {
    for (let at = text.indexOf(needle.text); at !== -1; at = text.indexOf(needle.text, at + needle.text.length)) {
      ranges.push(widen(text, { start: at, end: at + needle.text.length, encoded: needle.encoded }));
    }
  }
  for (const run of text.matchAll(WORD_RUN)) {
    const runStart = run.index ?? 0;
    const runEnd = runStart + run[0].length;
    for (let i = runStart; i + FRAGMENT_LENGTH <= runEnd; i++) {
      const hits = matcher.grams.get(text.slice(i, i + FRAGMENT_LENGTH));
      if (!hits) continue;
      let furthest = i + FRAGMENT_LENGTH;
      for (const { needle, at } of hits) {
        // Widen the match to everything the text shares with the needle around it.
        let start = i;
        let offset = at;
        while (start > 0 && offset > 0 && text[start - 1] === needle.text[offset - 1]) {
          start--;
          offset--;
        }
        let end = i + FRAGMENT_LENGTH;
        let needleEnd = at + FRAGMENT_LENGTH;
        while (end < text.length && needleEnd < needle.text.length && text[end] === needle.text[needleEnd]) {
          end++;
          needleEnd++;
        }
        ranges.push(widen(text, { start, end, encoded: needle.encoded }));
        furthest = Math.max(furthest, end);
      }
      i = furthest - 1;
    }
  }
  if (!ranges.length) return text;
  ranges.sort((a, b) => a.start - b.start);
  let out = '';
  let cursor = 0;
  for (let k = 0; k < ranges.length;) {
    const range = { ...ranges[k] };
    for (k++; k < ranges.length && ranges[k].start <= range.end; k++) {
      range.end = Math.max(range.end, ranges[k].end);
      range.encoded ||= ranges[k].encoded;
    }
    out += text.slice(cursor, range.start) + (range.encoded ? REDACTED_CREDENTIALS : REDACTED_TOKEN);
    cursor = range.end;
  }
  return out + text.slice(cursor);
}

/** An encoded secret takes its whole base64 run along: the characters next to it carry its edge bits. */
function widen(text: string, range: Range): Range {
  if (!range.encoded) return range;
  let { start, end } = range;
  while (start > 0 && BASE64_CHAR.test(text[start - 1])) start--;
  while (end < text.length && BASE64_CHAR.test(text[end])) end++;
  return { start, end, encoded: true };
}
