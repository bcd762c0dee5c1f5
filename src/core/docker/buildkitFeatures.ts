// What a Dockerfile asks of the builder, read cheaply before it is sent: the instructions only
// BuildKit runs (the classic builder refuses them, or worse, misreads a heredoc as instructions),
// a `# syntax=` directive, and whether a base image comes from a given registry (only then are
// its credentials handed to the build). Also: which BuildKit feature a classic builder's error
// names. Nothing here talks to the engine.

export interface DockerfileFeature {
  /** As a user writes it: "RUN --mount", "COPY --link", "a heredoc (<<EOF)". */
  feature: string;
  /** 1-based line of the Dockerfile where the instruction starts. */
  line: number;
}

export interface DockerfileScan {
  /** Instructions no classic builder runs. */
  buildkitOnly: DockerfileFeature[];
  /** The `# syntax=` directive's value, if any. */
  syntax?: string;
  /** Image references of FROM lines and of --from= flags (stage names included; ARGs unexpanded). */
  images: string[];
}

/** One instruction: its keyword, its text after the keyword (continuations joined), its first line. */
interface Instruction {
  keyword: string;
  rest: string;
  line: number;
}

const DIRECTIVE = /^#\s*([a-zA-Z][a-zA-Z0-9_-]*)\s*=\s*(.*?)\s*$/;
// `<<EOF`, `<<-EOF`, `<<"EOF"` starting a word (not `<<<`, not inside a quoted string's text).
const HEREDOC = /(?:^|\s)<<-?(["']?)[A-Za-z_][A-Za-z0-9_]*\1(?![A-Za-z0-9_])/;
/** A Dockerfile read for these checks is cut here (real ones are far smaller). */
const MAX_SCANNED = 1024 * 1024;

function instructions(text: string): { list: Instruction[]; syntax?: string } {
  const lines = text
    .slice(0, MAX_SCANNED)
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/);
  let escape = '\\';
  let syntax: string | undefined;
  let index = 0;
  // Parser directives: only at the very top, before any other line.
  for (; index < lines.length; index++) {
    const directive = DIRECTIVE.exec(lines[index].trim());
    if (!directive) break;
    const name = directive[1].toLowerCase();
    if (name === 'syntax') syntax = directive[2];
    else if (name === 'escape' && (directive[2] === '`' || directive[2] === '\\')) escape = directive[2];
  }
  const list: Instruction[] = [];
  let current: Instruction | undefined;
  for (; index < lines.length; index++) {
    const raw = lines[index];
    const trimmed = raw.trim();
    if (!current) {
      if (trimmed === '' || trimmed.startsWith('#')) continue;
      const match = /^(\S+)\s*(.*)$/.exec(trimmed)!;
      current = { keyword: match[1].toUpperCase(), rest: '', line: index + 1 };
      const body = match[2];
      if (body.endsWith(escape)) current.rest = body.slice(0, -1);
      else {
        current.rest = body;
        list.push(current);
        current = undefined;
      }
      continue;
    }
    // Comment lines inside a continued instruction are dropped, as the parser does.
    if (trimmed.startsWith('#')) continue;
    if (trimmed.endsWith(escape)) current.rest += ` ${trimmed.slice(0, -1)}`;
    else {
      current.rest += ` ${trimmed}`;
      list.push(current);
      current = undefined;
    }
  }
  if (current) list.push(current);
  return { list, syntax };
}

/** The leading `--flag` names of an instruction ("--mount=type=cache" → "mount"). */
function flags(rest: string): string[] {
  const found: string[] = [];
  for (const word of rest.split(/\s+/)) {
    const flag = /^--([a-z][a-z0-9-]*)(?:=|$)/.exec(word);
    if (!flag) break;
    found.push(flag[1]);
  }
  return found;
}

const BUILDKIT_ONLY_FLAGS: Record<string, string[]> = {
  RUN: ['mount', 'network', 'security'],
  COPY: ['link', 'parents', 'exclude'],
  ADD: ['link', 'parents', 'exclude', 'checksum', 'keep-git-dir'],
};

export function scanDockerfile(text: string): DockerfileScan {
  const { list, syntax } = instructions(text);
  const buildkitOnly: DockerfileFeature[] = [];
  const images: string[] = [];
  for (const instruction of list) {
    const instructionFlags = flags(instruction.rest);
    for (const flag of instructionFlags) {
      if (BUILDKIT_ONLY_FLAGS[instruction.keyword]?.includes(flag))
        buildkitOnly.push({ feature: `${instruction.keyword} --${flag}`, line: instruction.line });
    }
    if (['RUN', 'COPY', 'ADD'].includes(instruction.keyword) && HEREDOC.test(instruction.rest)) {
      buildkitOnly.push({ feature: `${instruction.keyword} <<EOF`, line: instruction.line });
    }
    if (instruction.keyword === 'FROM') {
      const image = instruction.rest.split(/\s+/).find((word) => word && !word.startsWith('--'));
      if (image) images.push(image);
    }
    for (const word of instruction.rest.split(/\s+/)) {
      const from = /^--from=(\S+)$/.exec(word) ?? /^--mount=.*\bfrom=([^,\s]+)/.exec(word);
      if (from) images.push(from[1]);
    }
  }
  return { buildkitOnly, syntax, images };
}

/**
 * True when an image of the Dockerfile may come from `registry` (host[:port]): a FROM or --from
 * naming it, or one that an ARG decides (its value may name it).
 */
export function mayPullFrom(scan: DockerfileScan, registry: string): boolean {
  const host = registry.toLowerCase().replace(/\/+$/, '');
  return scan.images.some((image) => image.includes('$') || image.toLowerCase().startsWith(`${host}/`));
}

/** The BuildKit feature a classic builder's error names, as a user writes it; undefined when it names none. */
export function buildkitFeatureInError(raw: string): string | undefined {
  const option = /the (--[a-z][a-z0-9-]*) option requires BuildKit/i.exec(raw);
  if (option) return `COPY ${option[1]}`;
  const flag = /unknown flag: (mount|network|security|link|parents|exclude|checksum|keep-git-dir)\b/i.exec(raw);
  if (flag)
    return ['mount', 'network', 'security'].includes(flag[1].toLowerCase())
      ? `RUN --${flag[1].toLowerCase()}`
      : `COPY --${flag[1].toLowerCase()}`;
  if (/requires BuildKit|BuildKit is required|only supported (?:with|by) BuildKit/i.test(raw)) return 'BuildKit';
  return undefined;
}
