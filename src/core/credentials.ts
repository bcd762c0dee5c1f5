// Finds a Synapse token the way Synapse's Python client does (synapse-api.md §5.1): the
// config file ~/.synapseConfig first, then the SYNAPSE_AUTH_TOKEN environment variable. A token
// that cannot be one (a continuation line, a space, a control character) is refused with the file
// and line (or the variable) and what is wrong, never the token; the next place is then looked at.
import * as l10n from '@vscode/l10n';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { describeTokenCharacterProblem, findTokenCharacterProblem } from './synapse/pat';

export interface DiscoveredToken {
  token: string;
  /** Where it came from, for the sign-in picker: never includes the token. */
  source: 'configFile' | 'environment';
  /** "~/.synapseConfig [profile work]" or "SYNAPSE_AUTH_TOKEN". */
  description: string;
  userName?: string;
}

export interface DiscoveryResult {
  found?: DiscoveredToken;
  /** Why a place that was looked at gave nothing usable (e.g. a named profile missing). */
  problems: string[];
}

export interface DiscoveryEnvironment {
  homeDir?: string;
  env?: NodeJS.ProcessEnv;
}

/** One option of an INI file, with where it was written. */
export interface IniEntry {
  /** As configparser reads it: stripped, continuation lines joined with "\n". */
  value: string;
  /** The 1-based line where the option (and its value) starts. */
  line: number;
  /** The lines that continued the value (indented deeper than the option). */
  continuedOn: number[];
  /** Set when the option was already given in this section: the line of the earlier one. */
  earlierLine?: number;
}

/**
 * Reads Python's configparser INI format (RawConfigParser's defaults): `[section]`, `key = value`
 * or `key: value`, keys lower-cased, full-line `#`/`;` comments, and a line indented deeper than
 * the option above it continuing that option's value (joined with "\n"). Lines end with LF, CRLF
 * or a lone CR (Python's universal newlines). A leading BOM is ignored (Python would refuse the
 * file; editors on Windows write one). A repeated section adds to the first; a repeated option
 * replaces it but remembers the earlier line (configparser refuses both).
 */
export function readIni(text: string): Map<string, Map<string, IniEntry>> {
  const sections = new Map<string, Map<string, IniEntry>>();
  let current: Map<string, IniEntry> | undefined;
  let last: IniEntry | undefined;
  let indentLevel = 0;
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
  lines.forEach((rawLine, index) => {
    const lineNumber = index + 1;
    const stripped = rawLine.trim();
    if (!stripped || /^[#;]/.test(stripped)) return;
    const indent = rawLine.search(/\S/);
    if (current && last && indent > indentLevel) {
      last.value = `${last.value}\n${stripped}`;
      last.continuedOn.push(lineNumber);
      return;
    }
    indentLevel = indent;
    last = undefined;
    const section = /^\[([^\]]+)\]$/.exec(stripped);
    if (section) {
      const name = section[1].trim();
      current = sections.get(name) ?? new Map();
      sections.set(name, current);
      return;
    }
    const pair = /^([^=:]+?)\s*[=:]\s*(.*)$/.exec(stripped);
    if (pair && current) {
      const key = pair[1].toLowerCase(); // configparser lower-cases option names
      last = { value: pair[2].trim(), line: lineNumber, continuedOn: [], earlierLine: current.get(key)?.line };
      current.set(key, last);
    }
  });
  return sections;
}

/** readIni's values alone. */
export function parseIni(text: string): Map<string, Map<string, string>> {
  const sections = new Map<string, Map<string, string>>();
  for (const [name, entries] of readIni(text)) sections.set(name, new Map([...entries].map(([key, entry]) => [key, entry.value])));
  return sections;
}

export async function discoverToken(environment: DiscoveryEnvironment = {}): Promise<DiscoveryResult> {
  const env = environment.env ?? process.env;
  const configPath = join(environment.homeDir ?? homedir(), '.synapseConfig');
  const problems: string[] = [];

  let text: string | undefined;
  try {
    text = await readFile(configPath, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
      problems.push(l10n.t("Couldn't read ~/.synapseConfig: {0}", (error as Error).message));
  }
  if (text !== undefined) {
    const fromFile = tokenFromConfig(readIni(text), env.SYNAPSE_PROFILE, configPath);
    if (fromFile.found) return { found: fromFile.found, problems };
    if (fromFile.problem) problems.push(fromFile.problem);
  }

  const fromEnv = env.SYNAPSE_AUTH_TOKEN?.trim();
  if (fromEnv) {
    const badCharacter = findTokenCharacterProblem(fromEnv);
    if (badCharacter) {
      problems.push(
        l10n.t({
          message: 'SYNAPSE_AUTH_TOKEN was not used. {0}',
          args: [describeTokenCharacterProblem(badCharacter)],
          comment: [
            'SYNAPSE_AUTH_TOKEN is an environment variable: keep it as it is. {0}: a sentence saying which character is wrong and where.',
          ],
        }),
      );
      return { problems };
    }
    return { found: { token: fromEnv, source: 'environment', description: 'SYNAPSE_AUTH_TOKEN' }, problems };
  }
  return { problems };
}

function tokenFromConfig(
  sections: Map<string, Map<string, IniEntry>>,
  profileFromEnv: string | undefined,
  configPath: string,
): { found?: DiscoveredToken; problem?: string } {
  const profile = profileFromEnv?.trim() || 'default';
  const sectionName = profile === 'default' ? 'default' : `profile ${profile}`;
  let section = sections.get(sectionName);
  let name = sectionName;
  if (!section) {
    if (profile !== 'default') {
      // Here sectionName is always "profile <profile>".
      return {
        problem: l10n.t({
          message: '~/.synapseConfig has no [profile {0}] section (SYNAPSE_PROFILE={0}).',
          args: [profile],
          comment: [
            '{0}: a profile name. Keep "[profile {0}]" and "SYNAPSE_PROFILE={0}" as they are: a section of the config file and an environment variable.',
          ],
        }),
      };
    }
    section = sections.get('authentication');
    name = 'authentication';
  }
  const entry = section?.get('authtoken');
  if (!section || !entry) return {};
  const problem = configTokenProblem(entry, configPath, name);
  if (problem) return { problem };
  return {
    found: {
      token: entry.value,
      source: 'configFile',
      description: `~/.synapseConfig [${name}]`,
      userName: section.get('username')?.value || undefined,
    },
  };
}

/** Why the file's authtoken cannot be used, naming the file and the line where its value starts. */
function configTokenProblem(entry: IniEntry, configPath: string, section: string): string | undefined {
  if (entry.earlierLine !== undefined) {
    return l10n.t({
      message: '{0}, line {1}: authtoken is given a second time in [{2}] (first on line {3}), so neither was used. Keep one.',
      args: [configPath, entry.line, section, entry.earlierLine],
      comment: [
        '{0}: the config file\'s path. {1}: a line number in it. Keep "authtoken" and "[{2}]" as they are: an option and a section of the file. {3}: the line of the first authtoken.',
      ],
    });
  }
  if (!entry.value) {
    return l10n.t({
      message: '{0}, line {1}: the authtoken in [{2}] is empty.',
      args: [configPath, entry.line, section],
      comment: [
        '{0}: the config file\'s path. {1}: a line number in it. Keep "authtoken" and "[{2}]" as they are: an option and a section of the file.',
      ],
    });
  }
  if (entry.continuedOn.length) {
    // configparser joins an indented line to the value above it: the token would carry a line break.
    return l10n.t({
      message:
        '{0}, line {1}: the authtoken in [{2}] continues on line {3} (an indented line continues the value above it), so it is not one token. Remove that line or its indentation.',
      args: [configPath, entry.line, section, entry.continuedOn[0]],
      comment: [
        '{0}: the config file\'s path. {1}: a line number in it. Keep "authtoken" and "[{2}]" as they are: an option and a section of the file. {3}: the line that continues it.',
      ],
    });
  }
  const badCharacter = findTokenCharacterProblem(entry.value);
  if (!badCharacter) return undefined;
  return l10n.t({
    message: '{0}, line {1}: the authtoken in [{2}] was not used. {3}',
    args: [configPath, entry.line, section, describeTokenCharacterProblem(badCharacter)],
    comment: [
      '{0}: the config file\'s path. {1}: a line number in it. Keep "authtoken" and "[{2}]" as they are: an option and a section of the file. {3}: a sentence saying which character is wrong and where.',
    ],
  });
}
