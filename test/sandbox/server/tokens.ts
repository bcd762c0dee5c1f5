// Tokens: the sandbox's personal access tokens (HS256 JWTs it verifies itself) and the ES256/RS256
// docker bearer tokens Docker Distribution accepts (header kid = libtrust key id of the signing cert).
import { createHash, createHmac, createPrivateKey, KeyObject, randomUUID, sign, timingSafeEqual, X509Certificate } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { OAUTH_SCOPES, OAuthScope } from './model';

const base64url = (data: Buffer | string): string => Buffer.from(data).toString('base64url');
const encodeJson = (value: unknown): string => base64url(JSON.stringify(value));

export interface PatClaims {
  iss: string;
  aud: string;
  sub: string;
  iat: number;
  nbf: number;
  jti: string;
  token_type: 'PERSONAL_ACCESS_TOKEN';
  access: { scope: OAuthScope[]; oidc_claims: Record<string, never> };
}

export interface PatIdentity {
  userId: string;
  scopes: OAuthScope[];
}

/**
 * Issues and verifies PATs. A token is valid only if its HMAC verifies and the sandbox issued its jti,
 * so editing the payload (say, to add scopes) gives 401 like Synapse.
 */
export class PatAuthority {
  private readonly issued = new Map<string, string>(); // jti → user id
  private readonly revoked = new Set<string>(); // jtis of revoked tokens (Synapse still parses them)

  constructor(
    private readonly secret: Buffer,
    readonly issuer: string,
  ) {}

  /** iat/jti may be fixed so that seeded users keep the same token across restarts. */
  mint(userId: string, scopes: readonly OAuthScope[], fixed?: { iat: number; jti: string }): string {
    const iat = fixed?.iat ?? Math.floor(Date.now() / 1000);
    const claims: PatClaims = {
      iss: this.issuer,
      aud: '0',
      sub: userId,
      iat,
      nbf: iat,
      jti: fixed?.jti ?? randomUUID(),
      token_type: 'PERSONAL_ACCESS_TOKEN',
      access: { scope: [...scopes], oidc_claims: {} },
    };
    const unsigned = `${encodeJson({ alg: 'HS256', typ: 'JWT' })}.${encodeJson(claims)}`;
    this.issued.set(claims.jti, userId);
    return `${unsigned}.${this.signature(unsigned)}`;
  }

  /** Forgets the token's jti, so it no longer verifies; false when the token is not one this authority issued. */
  revoke(token: string): boolean {
    const identity = this.verify(token);
    if (!identity) return false;
    const { jti } = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as { jti: string };
    this.revoked.add(jti);
    return this.issued.delete(jti);
  }

  /** A token this authority signed and later revoked: the signature verifies, the token is no longer active. */
  isRevoked(token: string): boolean {
    const parts = token.split('.');
    if (parts.length !== 3 || !this.signatureMatches(parts)) return false;
    try {
      const { jti } = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as { jti?: string };
      return typeof jti === 'string' && this.revoked.has(jti) && !this.issued.has(jti);
    } catch {
      return false;
    }
  }

  private signatureMatches(parts: string[]): boolean {
    const expected = Buffer.from(this.signature(`${parts[0]}.${parts[1]}`));
    const actual = Buffer.from(parts[2]);
    return expected.length === actual.length && timingSafeEqual(expected, actual);
  }

  /** A stable jti for a seeded user, derived from the secret. */
  seededJti(userName: string): string {
    const hex = createHmac('sha256', this.secret).update(`seeded-token:${userName}`).digest('hex');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
  }

  verify(token: string): PatIdentity | undefined {
    const parts = token.split('.');
    if (parts.length !== 3 || !this.signatureMatches(parts)) return undefined;
    let claims: Partial<PatClaims>;
    try {
      claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as Partial<PatClaims>;
    } catch {
      return undefined;
    }
    if (claims.token_type !== 'PERSONAL_ACCESS_TOKEN' || !claims.jti || !claims.sub) return undefined;
    if (this.issued.get(claims.jti) !== claims.sub) return undefined;
    const scopes = (claims.access?.scope ?? []).filter((s): s is OAuthScope => (OAUTH_SCOPES as readonly string[]).includes(s));
    return { userId: claims.sub, scopes };
  }

  private signature(unsigned: string): string {
    return createHmac('sha256', this.secret).update(unsigned).digest('base64url');
  }
}

/** RFC 4648 base32 without padding. */
function base32(data: Buffer): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of data) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
  return out;
}

/** libtrust key id: SHA-256 of the SPKI DER, first 30 bytes, base32, 12 groups of 4 joined by ':'. */
export function libtrustKeyId(publicKey: KeyObject): string {
  const der = publicKey.export({ type: 'spki', format: 'der' });
  const encoded = base32(createHash('sha256').update(der).digest().subarray(0, 30));
  return encoded.match(/.{4}/g)!.join(':');
}

export interface DockerAccess {
  type: string;
  name: string;
  actions: string[];
}

/** Signs docker registry bearer tokens with the key whose certificate the registry trusts. */
export class DockerTokenSigner {
  readonly kid: string;
  readonly alg: 'ES256' | 'RS256';
  private readonly key: KeyObject;

  constructor(
    keyPem: string,
    readonly certPem: string,
  ) {
    this.key = createPrivateKey(keyPem);
    const certKey = new X509Certificate(certPem).publicKey;
    this.kid = libtrustKeyId(certKey);
    const type = this.key.asymmetricKeyType;
    if (type === 'ec' && this.key.asymmetricKeyDetails?.namedCurve === 'prime256v1') this.alg = 'ES256';
    else if (type === 'rsa') this.alg = 'RS256';
    else throw new Error('The docker token key must be an EC P-256 or an RSA key.');
  }

  /** DockerTokenUtil's token: 120 s lifetime, nbf 120 s in the past. */
  sign(issuer: string, service: string, subject: string, access: DockerAccess[]): string {
    const now = Math.floor(Date.now() / 1000);
    const header = { typ: 'JWT', alg: this.alg, kid: this.kid };
    const claims = { iss: issuer, aud: service, sub: subject, iat: now, nbf: now - 120, exp: now + 120, jti: randomUUID(), access };
    const unsigned = `${encodeJson(header)}.${encodeJson(claims)}`;
    // JWS ES256 wants the raw r||s signature, not DER.
    const signature = sign('sha256', Buffer.from(unsigned), { key: this.key, dsaEncoding: 'ieee-p1363' });
    return `${unsigned}.${base64url(signature)}`;
  }
}

/** A fresh EC P-256 key and self-signed certificate (via the openssl CLI; Node cannot make certificates). */
export async function generateTokenKeyPair(): Promise<{ keyPem: string; certPem: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'synapse-sandbox-key-'));
  try {
    const keyFile = join(dir, 'key.pem');
    const certFile = join(dir, 'cert.pem');
    await promisify(execFile)('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      '3650',
      '-subj',
      '/CN=synapse-sandbox-docker-token',
    ]);
    return { keyPem: await readFile(keyFile, 'utf8'), certPem: await readFile(certFile, 'utf8') };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
