import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { discoverToken, parseIni } from '../../src/core/credentials';

describe('token discovery (~/.synapseConfig, then SYNAPSE_AUTH_TOKEN)', () => {
  let home: string;

  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), 'synapse-home-'));
  });
  afterEach(async () => {
    await rm(home, { recursive: true, force: true });
  });

  const writeConfig = (text: string) => writeFile(join(home, '.synapseConfig'), text);

  it('reads authtoken from [default] and keeps the username', async () => {
    await writeConfig('[default]\nusername = jdoe\nauthtoken = tok-default\n\n[profile work]\nauthtoken = tok-work\n');
    const { found } = await discoverToken({ homeDir: home, env: {} });
    assert.equal(found?.token, 'tok-default');
    assert.equal(found?.source, 'configFile');
    assert.equal(found?.userName, 'jdoe');
    assert.equal(found?.description, '~/.synapseConfig [default]');
  });

  it('picks [profile NAME] when SYNAPSE_PROFILE names it', async () => {
    await writeConfig('[default]\nauthtoken = tok-default\n[profile work]\nauthtoken: tok-work\n');
    const { found } = await discoverToken({ homeDir: home, env: { SYNAPSE_PROFILE: 'work' } });
    assert.equal(found?.token, 'tok-work');
    assert.equal(found?.description, '~/.synapseConfig [profile work]');
  });

  it('falls back to the legacy [authentication] section', async () => {
    await writeConfig('; comment\n[authentication]\nAuthToken = tok-legacy\n');
    const { found } = await discoverToken({ homeDir: home, env: {} });
    assert.equal(found?.token, 'tok-legacy');
    assert.equal(found?.description, '~/.synapseConfig [authentication]');
  });

  it('reports a named profile that is missing, then uses the environment', async () => {
    await writeConfig('[default]\nauthtoken = tok-default\n');
    const result = await discoverToken({ homeDir: home, env: { SYNAPSE_PROFILE: 'nope', SYNAPSE_AUTH_TOKEN: 'tok-env' } });
    assert.equal(result.found?.token, 'tok-env');
    assert.equal(result.found?.source, 'environment');
    assert.match(result.problems[0], /no \[profile nope\] section/);
  });

  it('prefers the config file over SYNAPSE_AUTH_TOKEN, as the Python client does', async () => {
    await writeConfig('[default]\nauthtoken = tok-file\n');
    const { found } = await discoverToken({ homeDir: home, env: { SYNAPSE_AUTH_TOKEN: 'tok-env' } });
    assert.equal(found?.token, 'tok-file');
  });

  it('uses SYNAPSE_AUTH_TOKEN when there is no config file, and finds nothing when neither exists', async () => {
    assert.equal((await discoverToken({ homeDir: home, env: { SYNAPSE_AUTH_TOKEN: ' tok-env ' } })).found?.token, 'tok-env');
    assert.equal((await discoverToken({ homeDir: home, env: {} })).found, undefined);
  });

  it('ignores a config whose section has no authtoken', async () => {
    await writeConfig('[default]\nusername = jdoe\n[cache]\nlocation = ~/.synapseCache\n');
    assert.equal((await discoverToken({ homeDir: home, env: {} })).found, undefined);
  });

  it('parses configparser continuation lines and lower-cases keys', () => {
    const sections = parseIni('[endpoints]\nRepoEndpoint = http://x\n  /repo/v1\n');
    assert.equal(sections.get('endpoints')?.get('repoendpoint'), 'http://x\n/repo/v1');
  });
});
