// Which Synapse endpoints the client may talk to, normalised once.

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
    throw new Error(`The Synapse endpoint "${raw}" is not a URL (expected e.g. https://repo-prod.prod.sagebase.org).`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new Error(`The Synapse endpoint must use https, not ${url.protocol.replace(':', '')}.`);
  }
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    throw new Error(`The Synapse endpoint ${url.origin} uses plain http; only loopback hosts (the local sandbox) may. Use https.`);
  }
  if (url.username || url.password) {
    throw new Error('The Synapse endpoint must not contain credentials.');
  }
  const path = url.pathname.replace(/\/+$/, '').replace(/\/repo\/v1$/, '');
  return `${url.origin}${path}`;
}
