// What a test looks for in text that must not betray a secret: the secret, its dot-separated parts,
// any 16 characters in a row of it (after a JWT's header, which every token shares), and any 16
// characters in a row of its base64 or base64url encoding at each of the three byte alignments.
// Written independently of src/core/util/redact.ts, so the tests do not grade it by its own rules.

function windows(text: string, size = 16): string[] {
  const found: string[] = [];
  for (let i = 0; i + size <= text.length; i++) found.push(text.slice(i, i + size));
  return found;
}

export function leakNeedles(secret: string): Array<{ what: string; needle: string }> {
  const needles: Array<{ what: string; needle: string }> = [{ what: 'the secret', needle: secret }];
  const parts = secret.split('.');
  parts.slice(parts.length === 3 ? 1 : 0).forEach((part, i) => {
    if (part.length >= 8) needles.push({ what: `dot part ${i + (parts.length === 3 ? 1 : 0)}`, needle: part });
  });
  const body = parts.length === 3 ? secret.slice(secret.indexOf('.') + 1) : secret;
  for (const w of windows(body)) needles.push({ what: 'a 16-character fragment', needle: w });
  for (let k = 0; k < 3; k++) {
    const encoded = Buffer.concat([Buffer.alloc(k, 0x20), Buffer.from(secret)]).toString('base64');
    const core = encoded.slice(k ? 4 : 0, encoded.length - 4);
    for (const w of windows(core)) {
      needles.push({ what: `base64 at offset ${k}`, needle: w });
      needles.push({ what: `base64url at offset ${k}`, needle: w.replace(/\+/g, '-').replace(/\//g, '_') });
    }
  }
  return needles;
}

/** What of `secret` shows in `text` (empty when nothing does). */
export function leaks(text: string, secret: string): string[] {
  return [
    ...new Set(
      leakNeedles(secret)
        .filter(({ needle }) => text.includes(needle))
        .map(({ what }) => what),
    ),
  ];
}
