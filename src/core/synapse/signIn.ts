// Checks a personal access token before it is stored: its characters, shape and scopes first (no
// request needed to explain a missing `view`), then GET /userProfile, refusing anonymous and 401.
import * as l10n from '@vscode/l10n';
import { SynapseClient } from './client';
import { SynapseError, termsOfUseSentence } from './errors';
import {
  describeMissingScopes,
  findTokenCharacterProblem,
  missingScopes,
  readTokenClaims,
  TokenAction,
  TokenClaims,
  tokenCharacterRefusal,
} from './pat';
import { registerSecret } from '../util/redact';
import { TransportOptions } from './transport';
import { ANONYMOUS_PRINCIPAL_ID, UserProfile } from './types';

export class SignInError extends Error {
  constructor(
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'SignInError';
  }
}

export interface VerifiedToken {
  profile: UserProfile;
  claims: TokenClaims;
  /** Actions the token's scopes do not allow, with the sentence that explains each. */
  limitations: Array<{ action: TokenAction; message: string }>;
}

export async function verifyToken(
  token: string,
  options: Omit<TransportOptions, 'token'>,
  signal?: AbortSignal,
  /** The Synapse web site, named when the user must accept new terms of use there. */
  portalUrl?: string,
): Promise<VerifiedToken> {
  const trimmed = token.trim();
  if (!trimmed) throw new SignInError(l10n.t('The token is empty. Paste a Synapse personal access token.'));
  // From here on, whatever echoes it (a server, undici) is redacted.
  registerSecret(trimmed);
  // A CR/LF would make undici throw with the header (token included) in its message; a space or
  // control character is a copy mistake. Refused before any request.
  const badCharacter = findTokenCharacterProblem(trimmed);
  if (badCharacter) throw new SignInError(tokenCharacterRefusal(badCharacter));
  const claims = readTokenClaims(trimmed);
  if (!claims) {
    throw new SignInError(
      l10n.t(
        'This is not a Synapse personal access token (expected three dot-separated parts, like eyJ…). Copy the whole token from your Synapse account settings.',
      ),
    );
  }
  const missingView = missingScopes(claims, 'browse');
  if (missingView.length > 0) throw new SignInError(describeMissingScopes(missingView, 'browse'));

  let profile: UserProfile;
  try {
    profile = await new SynapseClient({ ...options, token: trimmed }).getUserProfile(signal);
  } catch (error) {
    if (error instanceof SynapseError && error.kind === 'unauthenticated') {
      const advice = l10n.t('It may have been revoked, or gone unused for 180 days. Create a new personal access token.');
      const refusal = error.reason
        ? l10n.t('Synapse refused this token ({0}). {1}', error.reason, advice)
        : l10n.t('Synapse refused this token (invalid access token). {0}', advice);
      throw new SignInError(refusal, error);
    }
    // A valid token of a user who must accept new terms: every call answers 403 until they do, on the web site.
    if (error instanceof SynapseError && error.termsOfUseNotSigned) throw new SignInError(termsOfUseSentence(portalUrl), error);
    throw error;
  }
  if (profile.ownerId === ANONYMOUS_PRINCIPAL_ID) {
    throw new SignInError(
      l10n.t('Synapse treated this token as the anonymous user. Create a personal access token while signed in to your account.'),
    );
  }
  const limitations = (['pull', 'push'] as const)
    .map((action) => ({ action, missing: missingScopes(claims, action) }))
    .filter(({ missing }) => missing.length > 0)
    .map(({ action, missing }) => ({ action, message: describeMissingScopes(missing, action) }));
  return { profile, claims, limitations };
}
