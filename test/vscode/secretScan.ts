// Looks for a secret (a personal access token) in every file under some folders: as plain text,
// UTF-16, URL-encoded, as fragments, and base64/base64url (as in an HTTP Basic or X-Registry-Auth
// header), so a leak through a log line, a settings/state file or a cache is found. Used by the host tests (VS Code's user data, logs) and by
// the runners (the browser profile).
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface SecretHit {
  file: string;
  encoding: string;
}

export interface ScanReport {
  hits: SecretHit[];
  filesScanned: number;
  bytesScanned: number;
  /** Files under the roots that were skipped because they are the allowed secret store. */
  excluded: string[];
}

/** Needles shorter than this would hit by chance. */
const MIN_NEEDLE = 12;

/** `text` cut into `size`-character pieces: any leaked run of 2·size−1 characters holds one whole. */
function chunks(text: string, size: number): string[] {
  const found: string[] = [];
  for (let i = 0; i + size <= text.length; i += size) found.push(text.slice(i, i + size));
  return found;
}

/**
 * The byte patterns that betray `secret`, each with the name of its encoding: the secret as text,
 * UTF-16 and URL-encoded; its fragments (each dot-separated part of 8+ characters but a JWT's
 * shared header, and 16-character pieces of what follows that header, so any 31 characters in a
 * row are found); and base64/base64url at each of the three alignments (as in an HTTP Basic or
 * X-Registry-Auth header), whole and in 32-character pieces (any 63 in a row).
 */
export function secretNeedles(secret: string): { encoding: string; bytes: Buffer }[] {
  const needles: { encoding: string; bytes: Buffer }[] = [
    { encoding: 'utf8', bytes: Buffer.from(secret, 'utf8') },
    { encoding: 'utf16le', bytes: Buffer.from(secret, 'utf16le') },
  ];
  const encoded = encodeURIComponent(secret);
  if (encoded !== secret) needles.push({ encoding: 'url', bytes: Buffer.from(encoded) });
  const parts = secret.split('.');
  const jwt = parts.length === 3 && parts[0].startsWith('eyJ');
  parts.slice(jwt ? 1 : 0).forEach((part, i) => {
    if (part.length >= 8) needles.push({ encoding: `part ${i + (jwt ? 1 : 0)}`, bytes: Buffer.from(part) });
  });
  const body = jwt ? secret.slice(parts[0].length) : secret;
  for (const piece of chunks(body, 16)) needles.push({ encoding: 'fragment', bytes: Buffer.from(piece) });
  // base64 at each of the three alignments; the groups touching the neighbours are cut off.
  const raw = Buffer.from(secret, 'utf8');
  for (let k = 0; k < 3; k++) {
    const b64 = Buffer.concat([Buffer.alloc(k, 0x41), raw])
      .toString('base64')
      .replace(/=+$/, '');
    const core = b64.slice(k === 0 ? 0 : 4, b64.length - 4);
    if (core.length < MIN_NEEDLE) continue;
    const url = core.replace(/\+/g, '-').replace(/\//g, '_');
    needles.push({ encoding: `base64/${k}`, bytes: Buffer.from(core) });
    if (url !== core) needles.push({ encoding: `base64url/${k}`, bytes: Buffer.from(url) });
    for (const piece of chunks(core, 32)) {
      needles.push({ encoding: `base64 fragment/${k}`, bytes: Buffer.from(piece) });
      const urlPiece = piece.replace(/\+/g, '-').replace(/\//g, '_');
      if (urlPiece !== piece) needles.push({ encoding: `base64url fragment/${k}`, bytes: Buffer.from(urlPiece) });
    }
  }
  return needles;
}

function isUnder(file: string, excluded: string[]): boolean {
  return excluded.some((ex) => file === ex || file.startsWith(ex.endsWith(path.sep) ? ex : ex + path.sep));
}

/**
 * Scans every regular file under `roots` (following no symlinks out of them; sockets and the like
 * are skipped) for `secret`. `exclude` lists files or folders that may hold it (the secret store).
 */
export function scanForSecret(roots: string[], secret: string, exclude: string[] = []): ScanReport {
  if (secret.length < 8) throw new Error('refusing to scan for a secret shorter than 8 characters');
  const needles = secretNeedles(secret);
  const excludedPaths = exclude.filter(Boolean).map((p) => path.resolve(p));
  const report: ScanReport = { hits: [], filesScanned: 0, bytesScanned: 0, excluded: [] };
  const seen = new Set<string>();
  const visit = (p: string) => {
    let st: fs.Stats;
    try {
      st = fs.lstatSync(p);
    } catch {
      return; // vanished while scanning
    }
    if (st.isSymbolicLink()) {
      // Roots may be symlinks (short socket paths); links inside roots are not followed.
      if (!roots.includes(p)) return;
      try {
        st = fs.statSync(p);
      } catch {
        return;
      }
    }
    let real = p;
    try {
      real = fs.realpathSync(p);
    } catch {
      /* keep p */
    }
    if (seen.has(real)) return;
    seen.add(real);
    if (isUnder(path.resolve(p), excludedPaths) || isUnder(real, excludedPaths)) {
      report.excluded.push(p);
      return;
    }
    if (st.isDirectory()) {
      let names: string[] = [];
      try {
        names = fs.readdirSync(p);
      } catch {
        return;
      }
      for (const name of names) visit(path.join(p, name));
      return;
    }
    if (!st.isFile()) return;
    let data: Buffer;
    try {
      data = fs.readFileSync(p);
    } catch {
      return; // unreadable (locked, vanished)
    }
    report.filesScanned++;
    report.bytesScanned += data.length;
    for (const needle of needles) {
      if (data.indexOf(needle.bytes) !== -1) {
        report.hits.push({ file: p, encoding: needle.encoding });
        break;
      }
    }
  };
  for (const root of roots) visit(root);
  return report;
}

/** Files under `roots` whose name contains `fragment` (e.g. an output channel's log file). */
export function findFiles(roots: string[], fragment: string): string[] {
  const found: string[] = [];
  const visit = (p: string, depth: number) => {
    let st: fs.Stats;
    try {
      st = depth === 0 ? fs.statSync(p) : fs.lstatSync(p);
    } catch {
      return;
    }
    if (st.isDirectory()) {
      for (const name of fs.readdirSync(p)) visit(path.join(p, name), depth + 1);
    } else if (st.isFile() && path.basename(p).includes(fragment)) {
      found.push(p);
    }
  };
  for (const root of roots) visit(root, 0);
  return found;
}

/** The encodings of `secret` found in `text` (empty when none): for notification texts and labels. */
export function secretInText(text: string, secret: string): string[] {
  const bytes = Buffer.from(text, 'utf8');
  return [
    ...new Set(
      secretNeedles(secret)
        .filter((needle) => bytes.indexOf(needle.bytes) !== -1)
        .map((needle) => needle.encoding),
    ),
  ];
}
