// Which layers of a setting the extension listens to. A workspace (a cloned repository) must never
// choose where the token or registry credentials go, and in Restricted Mode it chooses nothing.

/** The layers of one setting, as VS Code's `WorkspaceConfiguration.inspect()` reports them. */
export interface SettingLayers<T> {
  defaultValue?: T;
  globalValue?: T;
  workspaceValue?: T;
  workspaceFolderValue?: T;
}

/** Values of the wrong JSON type (a hand-edited settings.json) count as unset. */
export type TypeCheck<T> = (value: unknown) => value is T;

export const isString: TypeCheck<string> = (value): value is string => typeof value === 'string';
export const isBoolean: TypeCheck<boolean> = (value): value is boolean => typeof value === 'boolean';
export const isStringRecord: TypeCheck<Record<string, string>> = (value): value is Record<string, string> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && Object.values(value).every((v) => typeof v === 'string');

/**
 * The user's own value, else the default: workspace and folder values are never read, whatever
 * scope the manifest declares or the VS Code version honours.
 */
export function userLevelValue<T>(layers: SettingLayers<unknown> | undefined, fallback: T, check: TypeCheck<T>): T {
  return pickLayers([layers?.defaultValue, layers?.globalValue], fallback, check);
}

/**
 * A setting a workspace may set (build options): the folder's value over the workspace's over the
 * user's over the default, objects merged key by key as VS Code merges them. In an untrusted
 * workspace (Restricted Mode) only the user's value and the default count.
 */
export function workspaceSettableValue<T>(
  layers: SettingLayers<unknown> | undefined,
  fallback: T,
  check: TypeCheck<T>,
  isTrusted: boolean,
): T {
  const user = [layers?.defaultValue, layers?.globalValue];
  return pickLayers(isTrusted ? [...user, layers?.workspaceValue, layers?.workspaceFolderValue] : user, fallback, check);
}

/** Later layers win; plain objects are merged over the earlier ones. */
function pickLayers<T>(ordered: unknown[], fallback: T, check: TypeCheck<T>): T {
  let result: T = fallback;
  for (const value of ordered) {
    if (value === undefined || !check(value)) continue;
    result = isPlainObject(value) && isPlainObject(result) ? ({ ...result, ...value } as T) : value;
  }
  return result;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
