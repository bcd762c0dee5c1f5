// Which layers of a setting count: connection settings only ever the user's own value, build
// settings a workspace's value only when the workspace is trusted.
import assert from 'node:assert/strict';
import { isBoolean, isString, isStringRecord, userLevelValue, workspaceSettableValue } from '../../src/core/settingLayers';

const HOSTILE = {
  defaultValue: 'https://repo-prod.prod.sagebase.org',
  globalValue: 'http://127.0.0.1:4000',
  workspaceValue: 'http://127.0.0.1:6666',
  workspaceFolderValue: 'http://127.0.0.1:7777',
};

describe('setting layers: connection settings are user-level only', () => {
  it("takes the user's value over a workspace's and a folder's", () => {
    assert.equal(userLevelValue(HOSTILE, 'fallback', isString), 'http://127.0.0.1:4000');
  });

  it('takes the default, never the workspace, when the user set nothing', () => {
    assert.equal(userLevelValue({ ...HOSTILE, globalValue: undefined }, 'fallback', isString), 'https://repo-prod.prod.sagebase.org');
    assert.equal(
      userLevelValue({ workspaceValue: 'tcp://127.0.0.1:2375', workspaceFolderValue: 'tcp://127.0.0.1:2376' }, '', isString),
      '',
    );
  });

  it('falls back when the setting is unknown or of the wrong type', () => {
    assert.equal(userLevelValue(undefined, 'docker.synapse.org', isString), 'docker.synapse.org');
    assert.equal(userLevelValue({ defaultValue: 'docker.synapse.org', globalValue: 42 }, 'x', isString), 'docker.synapse.org');
  });
});

describe('setting layers: build settings a workspace may set', () => {
  const args = {
    defaultValue: {},
    globalValue: { USER_ARG: 'mine', SHARED: 'user' },
    workspaceValue: { WORKSPACE_ARG: 'ws', SHARED: 'workspace' },
    workspaceFolderValue: { FOLDER_ARG: 'folder' },
  };

  it('a trusted workspace: folder over workspace over user, objects merged key by key', () => {
    assert.deepEqual(workspaceSettableValue(args, {}, isStringRecord, true), {
      USER_ARG: 'mine',
      SHARED: 'workspace',
      WORKSPACE_ARG: 'ws',
      FOLDER_ARG: 'folder',
    });
    assert.equal(
      workspaceSettableValue(
        { defaultValue: '', globalValue: 'base', workspaceValue: 'ws', workspaceFolderValue: 'deps' },
        '',
        isString,
        true,
      ),
      'deps',
    );
    assert.equal(workspaceSettableValue({ defaultValue: false, workspaceValue: true }, false, isBoolean, true), true);
  });

  it('Restricted Mode: the workspace and folder values are ignored, user values and defaults only', () => {
    assert.deepEqual(workspaceSettableValue(args, {}, isStringRecord, false), { USER_ARG: 'mine', SHARED: 'user' });
    assert.equal(
      workspaceSettableValue({ defaultValue: '', workspaceValue: '../../..', workspaceFolderValue: '/' }, '', isString, false),
      '',
    );
    assert.equal(workspaceSettableValue({ defaultValue: false, workspaceValue: true }, false, isBoolean, false), false);
    assert.equal(
      workspaceSettableValue({ defaultValue: '', globalValue: 'linux/arm64', workspaceValue: 'linux/amd64' }, '', isString, false),
      'linux/arm64',
    );
  });

  it('ignores values of the wrong type (build args that are not all strings)', () => {
    assert.deepEqual(workspaceSettableValue({ defaultValue: {}, workspaceValue: { A: 1 } }, {}, isStringRecord, true), {});
    assert.deepEqual(workspaceSettableValue({ defaultValue: {}, workspaceValue: ['A=1'] }, {}, isStringRecord, true), {});
  });
});
