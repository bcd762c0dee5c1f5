// Finds a Synapse token the way Synapse's Python client does (synapse-api.md §5.1): the
// config file ~/.synapseConfig first, then the SYNAPSE_AUTH_TOKEN environment variable.
import * as l10n from '@vscode/l10n';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

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

/** A minimal reader for Python's configparser INI format (sections, `key = value` or `key: value`). */
export function parseIni(text: string): Map<string, Map<string, string>> {
  const sections = new Map<string, Map<string, string>>();
  let current: Map<string, string> | undefined;
  let lastKey: string | undefined;
  for (const rawLine of text.split(/\r?\n/)) {
    if (/^\s*([#;]|$)/.test(rawLine)) continue;
    const section = /^\s*\[([^\]]+)\]\s*$/.exec(rawLine);
    if (section) {
      current = new Map();
      sections.set(section[1].trim(), current);
      lastKey = undefined;
      continue;
    }
    if (/^\s/.test(rawLine) && current && lastKey) {
      // configparser continues a value on indented lines.
      current.set(lastKey, `${current.get(lastKey)}\n${rawLine.trim()}`);
      continue;
    }
    const pair = /^\s*([^=:]+?)\s*[=:]\s*(.*?)\s*$/.exec(rawLine);
    if (pair && current) {
      lastKey = pair[1].toLowerCase(); // configparser lower-cases option names
      current.set(lastKey, pair[2]);
    }
  }
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
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') problems.push(l10n.t('Couldn\'t read ~/.synapseConfig: {0}', (error as Error).message));
  }
  if (text !== undefined) {
    const fromFile = tokenFromConfig(parseIni(text), env.SYNAPSE_PROFILE);
    if (fromFile.found) return { found: fromFile.found, problems };
    if (fromFile.problem) problems.push(fromFile.problem);
  }

  const fromEnv = env.SYNAPSE_AUTH_TOKEN?.trim();
  if (fromEnv) {
    return { found: { token: fromEnv, source: 'environment', description: 'SYNAPSE_AUTH_TOKEN' }, problems };
  }
  return { problems };
}

function tokenFromConfig(
  sections: Map<string, Map<string, string>>,
  profileFromEnv: string | undefined,
): { found?: DiscoveredToken; problem?: string } {
  const profile = profileFromEnv?.trim() || 'default';
  const sectionName = profile === 'default' ? 'default' : `profile ${profile}`;
  let section = sections.get(sectionName);
  let label = `[${sectionName}]`;
  if (!section) {
    if (profile !== 'default') {
      // Here sectionName is always "profile <profile>".
      return {
        problem: l10n.t({
          message: '~/.synapseConfig has no [profile {0}] section (SYNAPSE_PROFILE={0}).',
          args: [profile],
          comment: ['{0}: a profile name. Keep "[profile {0}]" and "SYNAPSE_PROFILE={0}" as they are: a section of the config file and an environment variable.'],
        }),
      };
    }
    section = sections.get('authentication');
    label = '[authentication]';
  }
  const token = section?.get('authtoken')?.trim();
  if (!section || !token) return {};
  return {
    found: { token, source: 'configFile', description: `~/.synapseConfig ${label}`, userName: section.get('username') || undefined },
  };
}
