// Reads this extension's settings in one place; everything else gets plain values.
// The connection settings (endpoint, registry, portal, Docker engine) decide where the token and
// the registry credentials go, so only the user's own value counts: a workspace's
// .vscode/settings.json is ignored even where the manifest's "application" scope is not honoured.
import * as vscode from 'vscode';
import { TreeSettings } from '../core/tree/model';
import { DockerTagSort, ProjectListFilter, ProjectListSort } from '../core/synapse/types';
import { portalBase } from '../core/synapse/endpoint';
import { isBoolean, isString, isStringRecord, SettingLayers, userLevelValue, workspaceSettableValue } from '../core/settingLayers';

export interface SynapseSettings {
  endpoint: string;
  registry: string;
  portalUrl: string;
}

/** Options a workspace may set for its builds (ignored in Restricted Mode). */
export interface BuildSettings {
  context: string;
  args: Record<string, string>;
  target: string;
  platform: string;
  noCache: boolean;
  /** auto (BuildKit where the engine offers it), buildkit or classic. */
  builder: BuildBuilder;
  /** The network RUN steps use; '' for the engine's default. */
  network: string;
}

export type BuildBuilder = 'auto' | 'buildkit' | 'classic';

function isBuilder(value: unknown): value is BuildBuilder {
  return value === 'auto' || value === 'buildkit' || value === 'classic';
}

export const SETTINGS_SECTION = 'synapseDocker';

const DEFAULT_ENDPOINT = 'https://repo-prod.prod.sagebase.org';
const DEFAULT_REGISTRY = 'docker.synapse.org';
const DEFAULT_PORTAL = 'https://www.synapse.org';

function layers(section: string, key: string, resource?: vscode.Uri): SettingLayers<unknown> | undefined {
  return vscode.workspace.getConfiguration(section, resource).inspect<unknown>(key);
}

export function readSettings(): SynapseSettings {
  const endpoint = layers(SETTINGS_SECTION, 'endpoint');
  // A non-string endpoint is shown as invalid rather than silently replaced by production.
  const userEndpoint = endpoint?.globalValue;
  return {
    endpoint: userEndpoint === undefined ? userLevelValue(endpoint, DEFAULT_ENDPOINT, isString) : String(userEndpoint),
    registry: userLevelValue(layers(SETTINGS_SECTION, 'registry'), DEFAULT_REGISTRY, isString),
    portalUrl: portalBase(userLevelValue(layers(SETTINGS_SECTION, 'portalUrl'), DEFAULT_PORTAL, isString)),
  };
}

/** The user's `synapseDocker.dockerHost` ('' when unset: DOCKER_HOST, contexts, the default follow). */
export function readDockerHost(): string {
  return userLevelValue(layers(SETTINGS_SECTION, 'dockerHost'), '', isString);
}

/** Build options for a Dockerfile (its folder's settings apply); user values only in Restricted Mode. */
export function readBuildSettings(resource: vscode.Uri | undefined, isTrusted = vscode.workspace.isTrusted): BuildSettings {
  const section = `${SETTINGS_SECTION}.build`;
  const read = <T>(key: string, fallback: T, check: (value: unknown) => value is T) =>
    workspaceSettableValue(layers(section, key, resource), fallback, check, isTrusted);
  return {
    context: read('context', '', isString),
    args: read('args', {}, isStringRecord),
    target: read('target', '', isString),
    platform: read('platform', '', isString),
    noCache: read('noCache', false, isBoolean),
    builder: read('builder', 'auto' as BuildBuilder, isBuilder),
    network: read('network', '', isString).trim(),
  };
}

export function readTreeSettings(): TreeSettings {
  const config = vscode.workspace.getConfiguration(SETTINGS_SECTION);
  return {
    projectFilter: config.get<ProjectListFilter>('projects.filter', 'ALL'),
    projectSort: config.get<ProjectListSort>('projects.sort', 'LAST_ACTIVITY'),
    tagSort: config.get<DockerTagSort>('tags.sort', 'CREATED_ON'),
    registry: readSettings().registry,
  };
}

/** Fires when any setting that changes which Synapse we talk to changes. */
export function onDidChangeConnectionSettings(listener: () => void): vscode.Disposable {
  return onDidChangeSettings(['endpoint', 'registry', 'portalUrl'], listener);
}

/** Fires when a setting that changes what the tree lists changes. */
export function onDidChangeTreeSettings(listener: () => void): vscode.Disposable {
  return onDidChangeSettings(['projects.filter', 'projects.sort', 'tags.sort'], listener);
}

/** Fires when the Docker engine setting changes. */
export function onDidChangeDockerHost(listener: () => void): vscode.Disposable {
  return onDidChangeSettings(['dockerHost'], listener);
}

function onDidChangeSettings(keys: string[], listener: () => void): vscode.Disposable {
  return vscode.workspace.onDidChangeConfiguration((event) => {
    if (keys.some((key) => event.affectsConfiguration(`${SETTINGS_SECTION}.${key}`))) listener();
  });
}
