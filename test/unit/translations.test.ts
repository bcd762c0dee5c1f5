// Messages composed in src/core are built with @vscode/l10n, so a translation reaches them too.
// A pseudo-translation of the committed l10n/bundle.l10n.json stands in for a language pack: every
// message checked here must come out translated, with its values (IDs, names, positions) kept.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { getL10nJson, getL10nPseudoLocalized, l10nJsonFormat } from '@vscode/l10n-dev';
import { inspectPush } from '../../src/core/synapse/permissions';
import { DockerEndpoint } from '../../src/core/docker/endpoint';
import { explainConnectionError } from '../../src/core/docker/engine';
import { parseImageReference, validateProjectId, validateRepositoryName, validateTag, NameError } from '../../src/core/naming';
import { describeMissingScopes } from '../../src/core/synapse/pat';
import { verifyToken } from '../../src/core/synapse/signIn';
import { SynapseClient } from '../../src/core/synapse/client';
import { ProjectsTreeModel } from '../../src/core/tree/model';
import { MessageNode } from '../../src/core/tree/nodes';
import { relativeTime } from '../../src/core/util/time';
import { TranslationBundle, useTranslations } from '../../src/core/util/translations';
import { TEST_REGISTRY, useTestSandbox } from './helpers/inProcessSandbox';

const ROOT = resolve(__dirname, '../../..');
const BUNDLE_PATH = join(ROOT, 'l10n/bundle.l10n.json');

function sourcesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourcesUnder(path) : path.endsWith('.ts') ? [path] : [];
  });
}

function asStrings(json: l10nJsonFormat): TranslationBundle {
  return Object.fromEntries(Object.entries(json).map(([key, value]) => [key, typeof value === 'string' ? value : value.message]));
}

/** Runs `make` in English and with the pseudo-translation; both texts are returned. */
async function bothWays(pseudo: TranslationBundle, make: () => string | Promise<string>): Promise<{ english: string; translated: string }> {
  useTranslations(undefined);
  const english = await make();
  useTranslations(pseudo);
  try {
    return { english, translated: await make() };
  } finally {
    useTranslations(undefined);
  }
}

function assertTranslated({ english, translated }: { english: string; translated: string }, ...values: string[]): void {
  assert.ok(english.length > 0);
  assert.notEqual(translated, english, `not translated: ${english}`);
  assert.doesNotMatch(translated, /\{\d+\}/, `a placeholder was left unfilled: ${translated}`);
  for (const value of values) {
    assert.ok(english.includes(value), `the English text names ${value}: ${english}`);
    assert.ok(translated.includes(value), `the translation keeps ${value}: ${translated}`);
  }
}

const nameMessage = (result: NameError | unknown): string => {
  assert.ok(result instanceof NameError);
  return result.message;
};

describe('translations of core messages', () => {
  const committed = JSON.parse(readFileSync(BUNDLE_PATH, 'utf8')) as l10nJsonFormat;
  const pseudo = asStrings(getL10nPseudoLocalized(committed));

  it('l10n/bundle.l10n.json lists exactly the messages in src (run `npm run l10n` after changing one)', async function () {
    // Parsing every source file with the extractor's WebAssembly parser takes seconds of CPU; its
    // time says nothing about the product.
    this.timeout(90_000);
    const files = sourcesUnder(join(ROOT, 'src')).map((path) => ({ contents: readFileSync(path, 'utf8'), extension: '.ts' }));
    const extracted = await getL10nJson(files);
    const missing = Object.keys(extracted).filter((key) => !(key in committed));
    const stale = Object.keys(committed).filter((key) => !(key in extracted));
    assert.deepEqual({ missing, stale }, { missing: [], stale: [] });
    assert.ok(Object.keys(extracted).length > 150, `only ${Object.keys(extracted).length} messages found`);
  });

  it('translates each naming rule, keeping the offending character and position', async () => {
    assertTranslated(await bothWays(pseudo, () => nameMessage(validateRepositoryName('My-tool'))), '"M"', '1');
    assertTranslated(await bothWays(pseudo, () => nameMessage(validateRepositoryName('tool--x_'))), '"_"');
    assertTranslated(await bothWays(pseudo, () => nameMessage(validateProjectId('123'))), 'syn123');
    assertTranslated(await bothWays(pseudo, () => nameMessage(validateTag('v1 beta'))), '" "', '3');
    assertTranslated(
      await bothWays(pseudo, () => nameMessage(parseImageReference('ubuntu:22.04', { registry: 'docker.synapse.org' }))),
      'docker.synapse.org',
    );
  });

  it('translates token problems found before any request', async () => {
    assertTranslated(await bothWays(pseudo, () => describeMissingScopes(['download', 'modify'], 'push')), 'download', 'modify');
    const signInMessage = async () =>
      (await verifyToken('hunter2', { endpoint: 'http://127.0.0.1:9' }).catch((error: Error) => error)) as Error;
    assertTranslated(await bothWays(pseudo, async () => (await signInMessage()).message));
  });

  it('translates refusals, engine problems and ages', async () => {
    const refusal = async () =>
      (
        await inspectPush({
          reference: parseImageReference(`${TEST_REGISTRY}/syn1000001/tool`) as never,
          portalUrl: 'https://www.synapse.org',
        })
      ).refusals[0];
    assertTranslated(await bothWays(pseudo, async () => (await refusal()).message));
    assertTranslated(await bothWays(pseudo, async () => (await refusal()).fix));
    const endpoint: DockerEndpoint = { host: 'unix:///tmp/no-such.sock', source: 'default' };
    const refused = Object.assign(new Error('connect ENOENT'), { code: 'ENOENT' });
    assertTranslated(await bothWays(pseudo, () => explainConnectionError(refused, endpoint).message), '/tmp/no-such.sock');
    assertTranslated(await bothWays(pseudo, () => relativeTime('2026-01-01T00:00:00Z', Date.parse('2026-01-01T00:00:10Z'))));
  });

  describe('in the tree', () => {
    const sandbox = useTestSandbox();
    it('translates the message under an empty filter result', async () => {
      const env = sandbox();
      const client = new SynapseClient({ endpoint: env.url, token: env.token('bob'), retry: { maxRetries: 0 } }); // bob's few projects fit one page
      const model = new ProjectsTreeModel({
        client: async () => client,
        settings: () => ({ projectFilter: 'ALL', projectSort: 'LAST_ACTIVITY', tagSort: 'CREATED_ON', registry: TEST_REGISTRY }),
        pinnedProjects: () => [],
      });
      const text = async () => {
        model.setFilter('no project is called this');
        return ((await model.children()).find((node) => node.kind === 'message') as MessageNode).text;
      };
      assertTranslated(await bothWays(pseudo, text), 'no project is called this');
    });
  });
});
