// Reads the scopes a personal access token carries, to explain a refusal before the server
// gives one. The token is a JWT; its payload is not secret, but the token as a whole is.
import * as l10n from '@vscode/l10n';

export type SynapseScope = 'openid' | 'email' | 'profile' | 'view' | 'download' | 'modify' | 'authorize' | 'offline_access';

/**
 * The one table of the scopes each action needs (synapse-api.md §1.2, §3.4, §3.5): sign-in warns
 * about them, the permission checks (permissions.ts) refuse by them. `view` for Synapse's own
 * answers. A push asks the registry for pull as well (distribution's appendAccessRecords), and
 * Synapse grants pull on an existing repository only with `download`; only the first push, which
 * creates the repository, gets pull with push, so it needs no `download`.
 */
export const REQUIRED_SCOPES = {
  browse: ['view'],
  pull: ['view', 'download'],
  /** A push to an existing repository (every push after the first): what a token should have. */
  push: ['view', 'download', 'modify'],
  /** The push that creates the repository. */
  createRepository: ['view', 'modify'],
} as const satisfies Record<string, readonly SynapseScope[]>;

/** The actions sign-in explains missing scopes for (creating a repository is a push to the user). */
export type TokenAction = Exclude<keyof typeof REQUIRED_SCOPES, 'createRepository'>;

export interface TokenClaims {
  subject?: string;
  scopes: string[];
  tokenType?: string;
}

/** Decodes the JWT payload; undefined when the string is not a JWT with an `access.scope` list. */
export function readTokenClaims(token: string): TokenClaims | undefined {
  const parts = token.trim().split('.');
  if (parts.length !== 3) return undefined;
  try {
    const payload = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as {
      sub?: unknown;
      token_type?: unknown;
      access?: { scope?: unknown };
    };
    const scopes = payload.access?.scope;
    if (!Array.isArray(scopes) || !scopes.every((s) => typeof s === 'string')) return undefined;
    return {
      subject: typeof payload.sub === 'string' ? payload.sub : undefined,
      tokenType: typeof payload.token_type === 'string' ? payload.token_type : undefined,
      scopes,
    };
  } catch {
    return undefined;
  }
}

/** The scopes an action needs that the token lacks (empty when it has them all). */
export function missingScopes(claims: TokenClaims, action: TokenAction): SynapseScope[] {
  return REQUIRED_SCOPES[action].filter((scope) => !claims.scopes.includes(scope));
}

/** What a token without these scopes cannot do: one whole sentence per action and count, for translators. */
export function missingScopesSentence(missing: readonly string[], action: TokenAction): string {
  const [first, second, third] = missing;
  if (action === 'browse') return l10n.t('This personal access token lacks the {0} scope, which browsing Synapse needs.', first);
  if (action === 'pull') {
    return missing.length === 1
      ? l10n.t('This personal access token lacks the {0} scope, which a pull needs.', first)
      : l10n.t('This personal access token lacks the {0} and {1} scopes, which a pull needs.', first, second);
  }
  if (missing.length === 1) return l10n.t('This personal access token lacks the {0} scope, which a push needs.', first);
  if (missing.length === 2) return l10n.t('This personal access token lacks the {0} and {1} scopes, which a push needs.', first, second);
  return l10n.t('This personal access token lacks the {0}, {1} and {2} scopes, which a push needs.', first, second, third);
}

/** The sentence with what to do about it, for sign-in. */
export function describeMissingScopes(missing: readonly string[], action: TokenAction): string {
  return l10n.t('{0} {1}', missingScopesSentence(missing, action), l10n.t('Create a token with the view, download and modify scopes.'));
}

/** A character no personal access token has, found where it would break an HTTP header or a copy. */
export interface TokenCharacterProblem {
  kind: 'lineBreak' | 'tab' | 'space' | 'control' | 'other';
  /** 1-based position in the (trimmed) token. */
  position: number;
  /** "U+000A" */
  codePoint: string;
}

// Blank characters beyond \s: zero-width spaces and joiners, the word joiner.
const INVISIBLE_SPACE = /[\u200B-\u200D\u2060]/;

/**
 * The first character that cannot be in a token: a control character (C0, DEL, C1), any space,
 * or anything outside ASCII (a PAT is a JWT: letters, digits and `-_.`).
 */
export function findTokenCharacterProblem(token: string): TokenCharacterProblem | undefined {
  let position = 0;
  for (const char of token) {
    position++;
    const code = char.codePointAt(0)!;
    if (code > 0x20 && code < 0x7f) continue;
    const codePoint = `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
    if (code === 0x0a || code === 0x0d || code === 0x2028 || code === 0x2029 || code === 0x85)
      return { kind: 'lineBreak', position, codePoint };
    if (code === 0x09) return { kind: 'tab', position, codePoint };
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) return { kind: 'control', position, codePoint };
    if (/\s/.test(char) || INVISIBLE_SPACE.test(char)) return { kind: 'space', position, codePoint };
    return { kind: 'other', position, codePoint };
  }
  return undefined;
}

/** One sentence naming the character and where it is; never the token. */
export function describeTokenCharacterProblem(problem: TokenCharacterProblem): string {
  const { position, codePoint } = problem;
  switch (problem.kind) {
    case 'lineBreak':
      return l10n.t({
        message: 'The token contains a line break ({0}) at position {1}.',
        args: [codePoint, position],
        comment: ['{0}: a Unicode code point such as U+000A. {1}: the position of that character in the token, counted from 1.'],
      });
    case 'tab':
      return l10n.t({
        message: 'The token contains a tab at position {0}.',
        args: [position],
        comment: ['{0}: a position in the token, counted from 1.'],
      });
    case 'space':
      return l10n.t({
        message: 'The token contains a space ({0}) at position {1}.',
        args: [codePoint, position],
        comment: ['{0}: a Unicode code point such as U+0020. {1}: the position of that character in the token, counted from 1.'],
      });
    case 'control':
      return l10n.t({
        message: 'The token contains a control character ({0}) at position {1}.',
        args: [codePoint, position],
        comment: ['{0}: a Unicode code point such as U+0000. {1}: the position of that character in the token, counted from 1.'],
      });
    case 'other':
      return l10n.t({
        message: 'The token contains the character {0} at position {1}, which no personal access token has.',
        args: [codePoint, position],
        comment: ['{0}: a Unicode code point such as U+2026. {1}: the position of that character in the token, counted from 1.'],
      });
  }
}

/** The sign-in refusal for such a token: what is wrong, then what to do. */
export function tokenCharacterRefusal(problem: TokenCharacterProblem): string {
  return l10n.t(
    '{0} {1}',
    describeTokenCharacterProblem(problem),
    l10n.t(
      'A personal access token is one line of letters, digits, dots, dashes and underscores; copy it again from your Synapse account settings.',
    ),
  );
}
