// Reads the scopes a personal access token carries, to explain a refusal before the server
// gives one. The token is a JWT; its payload is not secret, but the token as a whole is.
import * as l10n from '@vscode/l10n';

export type SynapseScope = 'openid' | 'email' | 'profile' | 'view' | 'download' | 'modify' | 'authorize' | 'offline_access';

/** What each action needs (synapse-api.md §1.2, §3.4). */
export const REQUIRED_SCOPES = {
  browse: ['view'],
  pull: ['view', 'download'],
  push: ['view', 'download', 'modify'],
} as const satisfies Record<string, readonly SynapseScope[]>;

export type TokenAction = keyof typeof REQUIRED_SCOPES;

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
