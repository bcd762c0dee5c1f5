// Which Synapse endpoints the client may talk to, normalised once.
import * as l10n from '@vscode/l10n';

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname) || /^127(\.\d{1,3}){3}$/.test(hostname);
}

/**
 * Parses the `synapseDocker.endpoint` setting into a base URL without a trailing slash or
 * `/repo/v1`. Plain http is refused unless the host is loopback, so a token is never sent in
 * clear text over a network.
 */
export function normalizeEndpoint(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new Error(l10n.t('The Synapse endpoint "{0}" is not a URL (expected e.g. https://repo-prod.prod.sagebase.org).', raw));
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new Error(
      l10n.t({
        message: 'The Synapse endpoint must use https, not {0}.',
        args: [url.protocol.replace(':', '')],
        comment: ['{0}: the URL scheme the endpoint uses instead, e.g. ftp.'],
      }),
    );
  }
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    throw new Error(
      l10n.t('The Synapse endpoint {0} uses plain http; only loopback hosts (the local sandbox) may. Use https.', url.origin),
    );
  }
  if (url.username || url.password) {
    throw new Error(l10n.t('The Synapse endpoint must not contain credentials.'));
  }
  const path = url.pathname.replace(/\/+$/, '').replace(/\/repo\/v1$/, '');
  return `${url.origin}${path}`;
}

/**
 * The Synapse web site's address as every link is built from it: without a trailing slash. The
 * one place the slash is stripped (settings, preflight links, the terms-of-use sentence use it).
 */
export function portalBase(portalUrl: string): string {
  return portalUrl.replace(/\/+$/, '');
}
