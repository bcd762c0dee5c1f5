// .dockerignore as `docker build` reads and applies it since Docker 23 (moby/patternmatcher 0.6
// and its ignorefile, which the CLI 23-29 and BuildKit's file sync share; test/unit/dockerignore.test.ts
// compares the context with the real CLI's, name by name):
// - the file: a `#` comment only in the first column, the rest trimmed, each pattern cleaned, a
//   leading `/` dropped;
// - a pattern is literal, a prefix (`dir/**`), a suffix (`**/name`, `**.log`) or a regular
//   expression (`*`, `?`, `[…]`, `\`), and `**` spans folders;
// - in the walk, a path is matched against each rule on its own, and against its folders only
//   through the folder's own results (the CLI's MatchesUsingParentResults). That is not always the
//   same as asking about every parent folder: a `!` rule the folder skipped is not applied to the
//   folder's children through it, as in the CLI.
// Docker 20.10's CLI used the older rules (regex characters such as `(` or `+` not escaped, `**foo`
// only at a segment's start, one parent folder per rule); the current ones are the ones users run.
import * as path from 'node:path';

const SEP = path.sep;
const ESCAPED_SEP = SEP === '\\' ? '\\\\' : SEP;

/** A pattern that `docker build` refuses (its file has it), with moby's reason. */
export class DockerignorePatternError extends Error {
  constructor(
    readonly pattern: string,
    readonly reason: string,
  ) {
    super(`${reason}: ${pattern}`);
  }
}

/** Go's strings.TrimSpace: Unicode white space (not U+FEFF, which String.prototype.trim also drops). */
function trimSpace(text: string): string {
  return text
    .replace(/^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/, '')
    .replace(/[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/, '');
}

/** Go's filepath.Clean (the platform's separators; "" is "."). */
function clean(text: string): string {
  const normalized = path.normalize(text);
  return normalized.length > 1 && normalized.endsWith(SEP) && !/^[A-Za-z]:\\$/.test(normalized) ? normalized.slice(0, -1) : normalized;
}

const toSlash = (text: string) => (SEP === '/' ? text : text.replace(/\\/g, '/'));
const fromSlash = (text: string) => (SEP === '/' ? text : text.replace(/\//g, SEP));

/** The patterns of a .dockerignore file, as the CLI reads them (ignorefile.ReadAll). */
export function readDockerignore(text: string): string[] {
  const patterns: string[] = [];
  text.split('\n').forEach((raw, index) => {
    let line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (index === 0 && line.startsWith('\ufeff')) line = line.slice(1);
    if (line.startsWith('#')) return;
    let pattern = trimSpace(line);
    if (pattern === '') return;
    const invert = pattern.startsWith('!');
    if (invert) pattern = trimSpace(pattern.slice(1));
    if (pattern.length > 0) {
      pattern = toSlash(clean(pattern));
      if (pattern.length > 1 && pattern.startsWith('/')) pattern = pattern.slice(1);
    }
    patterns.push(invert ? `!${pattern}` : pattern);
  });
  return patterns;
}

/** Go's filepath.Match syntax check (what moby runs on each pattern before using it). */
function checkSyntax(pattern: string): void {
  const bad = () => new DockerignorePatternError(pattern, 'syntax error in pattern');
  const escapes = SEP !== '\\';
  /** One character of a class, with its escape; returns the index after it. */
  const classChar = (at: number): number => {
    if (at >= pattern.length || pattern[at] === '-' || pattern[at] === ']') throw bad();
    if (pattern[at] === '\\' && escapes && ++at >= pattern.length) throw bad();
    at += (pattern.codePointAt(at) ?? 0) > 0xffff ? 2 : 1;
    if (at >= pattern.length) throw bad();
    return at;
  };
  let at = 0;
  while (at < pattern.length) {
    const ch = pattern[at];
    if (ch === '[') {
      at++;
      if (pattern[at] === '^') at++;
      for (let ranges = 0; ; ranges++) {
        if (pattern[at] === ']' && ranges > 0) {
          at++;
          break;
        }
        at = classChar(at);
        if (pattern[at] === '-') at = classChar(at + 1);
      }
    } else if (ch === '\\' && escapes) {
      if (at + 1 >= pattern.length) throw bad();
      at += 2;
    } else {
      at++;
    }
  }
}

type MatchKind = 'exact' | 'prefix' | 'suffix' | 'regexp';

interface Rule {
  /** Cleaned, without its `!`, in the platform's separators. */
  pattern: string;
  exclusion: boolean;
  kind?: MatchKind;
  regexp?: RegExp;
}

/** POSIX classes Go's regexp knows inside brackets, for JavaScript. */
const POSIX_CLASSES: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7f',
  blank: '\\t ',
  cntrl: '\\x00-\\x1f\\x7f',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};

/** moby's translation of a pattern: its kind, and the regular expression when it needs one. */
function compile(rule: Rule): void {
  const chars = Array.from(rule.pattern);
  let source = '^';
  let kind: MatchKind = 'exact';
  for (let i = 0, at = 0; at < chars.length; i++) {
    const ch = chars[at++];
    if (ch === '*') {
      if (chars[at] === '*') {
        at++;
        if (chars[at] === SEP) at++; // `**/` is `**`
        if (at >= chars.length) {
          // A trailing `**` takes everything, as in .gitignore.
          if (kind === 'exact') kind = 'prefix';
          else {
            source += '.*';
            kind = 'regexp';
          }
        } else {
          source += `(.*${ESCAPED_SEP})?`;
          kind = 'regexp';
        }
        if (i === 0) kind = 'suffix';
      } else {
        source += `[^${ESCAPED_SEP}]*`;
        kind = 'regexp';
      }
    } else if (ch === '?') {
      source += `[^${ESCAPED_SEP}]`;
      kind = 'regexp';
    } else if ('.+()|{}$'.includes(ch)) {
      source += `\\${ch}`;
    } else if (ch === '\\') {
      if (SEP === '\\') {
        source += ESCAPED_SEP; // a separator on Windows, never an escape
        continue;
      }
      if (at < chars.length) {
        source += `\\${chars[at++]}`;
        kind = 'regexp';
      } else {
        source += '\\';
      }
    } else if (ch === '[' || ch === ']') {
      source += ch;
      kind = 'regexp';
    } else {
      source += ch;
    }
  }
  rule.kind = kind;
  if (kind !== 'regexp') return;
  source = source.replace(/\[:([a-z]+):\]/g, (whole, name: string) => POSIX_CLASSES[name] ?? whole);
  try {
    rule.regexp = new RegExp(`${source}$`);
  } catch {
    throw new DockerignorePatternError(rule.pattern, 'syntax error in pattern');
  }
}

function matches(rule: Rule, file: string): boolean {
  switch (rule.kind) {
    case 'exact':
      return file === rule.pattern;
    case 'prefix':
      return file.startsWith(rule.pattern.slice(0, -2));
    case 'suffix': {
      const suffix = rule.pattern.slice(2);
      // `**/foo` also matches "foo" itself.
      return file.endsWith(suffix) || (suffix.startsWith(SEP) && file === suffix.slice(1));
    }
    default:
      return rule.regexp!.test(file);
  }
}

/** Which rules matched a folder (or one above it): what its children are matched with. */
export type FolderResults = readonly boolean[];

export class DockerignoreMatcher {
  private readonly rules: Rule[] = [];
  /** The `!` rules' patterns, `/`-separated: a folder starting one of them is walked though left out (the tar walk). */
  private readonly exceptions: string[];
  /** The same for fsutil, without a trailing `/**` or `/*`. */
  private readonly fileSyncPrefixes: string[];
  /** fsutil walks every folder left out when a `!` pattern has a wildcard before its trailing glob. */
  private readonly fileSyncWalksAll: boolean;

  /** Patterns as readDockerignore gives them; throws DockerignorePatternError where moby refuses one. */
  constructor(patterns: readonly string[]) {
    for (const line of patterns) {
      let pattern = trimSpace(line);
      if (pattern === '') continue;
      pattern = clean(pattern);
      let exclusion = false;
      if (pattern.startsWith('!')) {
        if (pattern.length === 1) throw new DockerignorePatternError(line, 'illegal exclusion pattern');
        exclusion = true;
        pattern = pattern.slice(1);
      }
      checkSyntax(pattern);
      const rule: Rule = { pattern, exclusion };
      // moby compiles a rule when it is first used; here every error comes before the walk.
      compile(rule);
      this.rules.push(rule);
    }
    this.exceptions = this.rules.filter((rule) => rule.exclusion).map((rule) => toSlash(rule.pattern));
    this.fileSyncPrefixes = this.exceptions.map((pattern) => pattern.replace(/\/\*\*$/, '').replace(/\/\*$/, ''));
    const wildcard = SEP === '\\' ? /[*[\]?^]/ : /[*[\]?^\\]/;
    this.fileSyncWalksAll = this.fileSyncPrefixes.some((prefix) => wildcard.test(prefix));
  }

  get empty(): boolean {
    return this.rules.length === 0;
  }

  /**
   * Whether a folder left out must still be walked, because a `!` rule may bring back something
   * inside it. The CLI's tar walk: when a `!` pattern starts with the folder's path. BuildKit's
   * file sync (fsutil) compares without a trailing `/**` or `/*`, and walks every such folder when
   * a `!` pattern has a wildcard anywhere else, since that may match below any folder.
   */
  mayBringBack(folder: string, walk: 'tar' | 'file-sync'): boolean {
    if (walk === 'file-sync' && this.fileSyncWalksAll) return true;
    const prefixes = walk === 'tar' ? this.exceptions : this.fileSyncPrefixes;
    return prefixes.some((prefix) => `${prefix}/`.startsWith(`${folder}/`));
  }

  /**
   * Whether a path (relative, `/`-separated) is left out, given its folder's results: moby's
   * MatchesUsingParentResults. `results` is what its children need. Only a path at the top has no
   * folder results (the walk and WalkMatcher always pass them below it), so the parent-folder
   * search moby does without them never applies.
   */
  match(relative: string, folder?: FolderResults): { excluded: boolean; results: FolderResults } {
    const file = fromSlash(relative);
    const results = new Array<boolean>(this.rules.length).fill(false);
    let excluded = false;
    for (let index = 0; index < this.rules.length; index++) {
      const rule = this.rules[index];
      let match = folder?.[index] ?? false;
      if (!match) {
        // A rule that cannot change the answer is skipped, and so is not recorded for the children.
        if (rule.exclusion !== excluded) continue;
        match = matches(rule, file);
      }
      results[index] = match;
      if (match) excluded = !rule.exclusion;
    }
    return { excluded, results };
  }
}

/**
 * A matcher for paths asked in any order: each folder's results are worked out once, from its
 * own folder's, as the CLI's walk carries them down.
 */
export class WalkMatcher {
  private readonly folders = new Map<string, FolderResults>();

  constructor(readonly matcher: DockerignoreMatcher) {}

  /** True when a path (relative, `/`-separated) is left out. */
  ignores(relative: string): boolean {
    return this.matcher.match(relative, this.resultsOf(path.posix.dirname(relative))).excluded;
  }

  private resultsOf(folder: string): FolderResults | undefined {
    if (folder === '.') return undefined;
    let results = this.folders.get(folder);
    if (!results) {
      results = this.matcher.match(folder, this.resultsOf(path.posix.dirname(folder))).results;
      this.folders.set(folder, results);
    }
    return results;
  }
}
