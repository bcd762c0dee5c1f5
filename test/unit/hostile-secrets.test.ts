// Hostile inputs around the token, each with its exact outcome: tokens with control characters,
// spaces or non-ASCII at sign-in (against the real sandbox, which must see no request), and
// ~/.synapseConfig files and SYNAPSE_AUTH_TOKEN values as people (and attackers) write them.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { discoverToken } from '../../src/core/credentials';
import { SignInError, verifyToken } from '../../src/core/synapse/signIn';
import { RequestStats, useTestSandbox } from './helpers/inProcessSandbox';
import { leaks } from './helpers/leaks';

const ADVICE =
  'A personal access token is one line of letters, digits, dots, dashes and underscores; copy it again from your Synapse account settings.';

interface SignInCase {
  name: string;
  /** The pasted text, made from a valid token. */
  paste: (token: string) => string;
  /** The exact refusal, or 'accepted'. */
  outcome: string | 'accepted';
}

const at = (token: string, position: number, insert: string) => `${token.slice(0, position - 1)}${insert}${token.slice(position - 1)}`;

const SIGN_IN_CASES: SignInCase[] = [
  {
    name: 'a LF inside (a wrapped copy)',
    paste: (t) => at(t, 40, '\n'),
    outcome: `The token contains a line break (U+000A) at position 40. ${ADVICE}`,
  },
  {
    name: 'a CR/LF inside (a continuation line)',
    paste: (t) => at(t, 12, '\r\n'),
    outcome: `The token contains a line break (U+000D) at position 12. ${ADVICE}`,
  },
  { name: 'a TAB inside', paste: (t) => at(t, 100, '\t'), outcome: `The token contains a tab at position 100. ${ADVICE}` },
  {
    name: 'a NUL inside',
    paste: (t) => at(t, 7, '\0'),
    outcome: `The token contains a control character (U+0000) at position 7. ${ADVICE}`,
  },
  {
    name: 'DEL inside',
    paste: (t) => at(t, 8, '\x7f'),
    outcome: `The token contains a control character (U+007F) at position 8. ${ADVICE}`,
  },
  {
    name: 'a C1 control (CSI) inside',
    paste: (t) => at(t, 9, '\u009b'),
    outcome: `The token contains a control character (U+009B) at position 9. ${ADVICE}`,
  },
  { name: 'a space inside', paste: (t) => at(t, 50, ' '), outcome: `The token contains a space (U+0020) at position 50. ${ADVICE}` },
  {
    name: 'a no-break space inside',
    paste: (t) => at(t, 51, '\u00a0'),
    outcome: `The token contains a space (U+00A0) at position 51. ${ADVICE}`,
  },
  {
    name: 'a zero-width space inside',
    paste: (t) => at(t, 52, '\u200b'),
    outcome: `The token contains a space (U+200B) at position 52. ${ADVICE}`,
  },
  {
    name: 'a Unicode line separator inside',
    paste: (t) => at(t, 53, '\u2028'),
    outcome: `The token contains a line break (U+2028) at position 53. ${ADVICE}`,
  },
  {
    name: 'an ellipsis (a shortened display copied)',
    paste: (t) => `${t.slice(0, 20)}…`,
    outcome: `The token contains the character U+2026 at position 21, which no personal access token has. ${ADVICE}`,
  },
  {
    name: 'an emoji (counted as one position)',
    paste: (t) => at(t, 5, '🔑'),
    outcome: `The token contains the character U+1F511 at position 5, which no personal access token has. ${ADVICE}`,
  },
  { name: 'blanks and line breaks around it only (trimmed, as before)', paste: (t) => `\r\n\t  ${t} \n`, outcome: 'accepted' },
];

describe('hostile tokens at sign-in (real sandbox; nothing is sent)', () => {
  const sandbox = useTestSandbox();

  for (const testCase of SIGN_IN_CASES) {
    it(testCase.name, async () => {
      const env = sandbox();
      const token = env.token('alice');
      const result = await verifyToken(testCase.paste(token), { endpoint: env.url }).then(
        (verified) => verified,
        (error: unknown) => error,
      );
      const requests = (await env.admin<RequestStats>('GET', 'stats')).requests.filter((r) => !r.path.startsWith('/__admin'));
      if (testCase.outcome === 'accepted') {
        assert.equal((result as { profile?: { userName?: string } }).profile?.userName, 'alice', String(result));
        assert.deepEqual(
          requests.map((r) => r.path),
          ['/repo/v1/userProfile'],
        );
        return;
      }
      assert.ok(result instanceof SignInError, `expected a refusal, got ${String(result)}`);
      assert.equal(result.message, testCase.outcome);
      assert.deepEqual(requests, [], 'a malformed token must be refused before any request');
      assert.deepEqual(leaks(result.message, token), []);
    });
  }
});

interface DiscoveryCase {
  name: string;
  /** ~/.synapseConfig's content (none when undefined); <TOKEN> stands for the token. */
  file?: string;
  env?: Record<string, string>;
  /** The token found (TOKEN, or ENV for the environment's value "ENV"), or none. */
  found?: 'TOKEN' | 'ENV';
  userName?: string;
  /** Exact problems; PATH stands for the config file's path. */
  problems: string[];
}

const DISCOVERY_CASES: DiscoveryCase[] = [
  {
    name: 'an indented line after authtoken (configparser continues the value: a LF would enter the token)',
    file: '[default]\nauthtoken = <TOKEN>\n  username = jdoe\n',
    problems: [
      'PATH, line 2: the authtoken in [default] continues on line 3 (an indented line continues the value above it), so it is not one token. Remove that line or its indentation.',
    ],
  },
  {
    name: 'the same, with SYNAPSE_AUTH_TOKEN set: the environment is used and the file problem is kept',
    file: '[default]\nauthtoken = <TOKEN>-A\n\tB\n',
    env: { SYNAPSE_AUTH_TOKEN: 'ENV' },
    found: 'ENV',
    problems: [
      'PATH, line 2: the authtoken in [default] continues on line 3 (an indented line continues the value above it), so it is not one token. Remove that line or its indentation.',
    ],
  },
  {
    name: 'a blank line, then an indented line (still a continuation, as configparser reads it)',
    file: '# mine\n[default]\nauthtoken = <TOKEN>\n\n    more\n',
    problems: [
      'PATH, line 3: the authtoken in [default] continues on line 5 (an indented line continues the value above it), so it is not one token. Remove that line or its indentation.',
    ],
  },
  {
    name: 'options indented alike are separate options, not a continuation',
    file: '[default]\n  authtoken = <TOKEN>\n  username = jdoe\n',
    found: 'TOKEN',
    userName: 'jdoe',
    problems: [],
  },
  {
    name: 'an indented comment inside a value is a comment',
    file: '[default]\nauthtoken = <TOKEN>\n  ; not part of it\nusername = jdoe\n',
    found: 'TOKEN',
    userName: 'jdoe',
    problems: [],
  },
  {
    name: 'authtoken given twice in one section',
    file: '[default]\nauthtoken = <TOKEN>\nusername = jdoe\nAuthToken = <TOKEN>-OTHER\n',
    problems: ['PATH, line 4: authtoken is given a second time in [default] (first on line 2), so neither was used. Keep one.'],
  },
  {
    name: 'a section given twice adds to the first',
    file: '[default]\nusername = jdoe\n[cache]\nlocation = /tmp\n[default]\nauthtoken = <TOKEN>\n',
    found: 'TOKEN',
    userName: 'jdoe',
    problems: [],
  },
  {
    name: 'a UTF-8 BOM and CRLF line ends (a file saved on Windows)',
    file: '\uFEFF[default]\r\nusername = jdoe\r\nauthtoken = <TOKEN>\r\n',
    found: 'TOKEN',
    userName: 'jdoe',
    problems: [],
  },
  {
    name: 'a CRLF file with a continuation counts lines as an editor does',
    file: '[default]\r\n\r\nauthtoken = <TOKEN>\r\n  x\r\n',
    problems: [
      'PATH, line 3: the authtoken in [default] continues on line 4 (an indented line continues the value above it), so it is not one token. Remove that line or its indentation.',
    ],
  },
  {
    name: 'lone CR line ends (old Mac files; Python reads them as lines)',
    file: '[default]\rauthtoken = <TOKEN>\r',
    found: 'TOKEN',
    problems: [],
  },
  {
    name: 'an empty authtoken',
    file: '[default]\nusername = jdoe\nauthtoken =\n',
    problems: ['PATH, line 3: the authtoken in [default] is empty.'],
  },
  {
    name: 'an inline comment (configparser keeps it in the value)',
    file: '[default]\nauthtoken = <TOKEN> ; my work token\n',
    problems: ['PATH, line 2: the authtoken in [default] was not used. The token contains a space (U+0020) at position LEN+1.'],
  },
  {
    name: 'a TAB inside the value',
    file: '[default]\nauthtoken = TOK\tEN\n',
    problems: ['PATH, line 2: the authtoken in [default] was not used. The token contains a tab at position 4.'],
  },
  {
    name: 'a NUL inside the value, in the legacy [authentication] section',
    file: '[authentication]\nauthtoken = <TOKEN>\0x\n',
    problems: [
      'PATH, line 2: the authtoken in [authentication] was not used. The token contains a control character (U+0000) at position LEN+1.',
    ],
  },
  {
    name: 'a form feed inside the value (not a line end for configparser)',
    file: '[profile work]\nauthtoken = <TOKEN>\fx\n',
    env: { SYNAPSE_PROFILE: 'work' },
    problems: [
      'PATH, line 2: the authtoken in [profile work] was not used. The token contains a control character (U+000C) at position LEN+1.',
    ],
  },
  {
    name: 'SYNAPSE_AUTH_TOKEN with a space inside',
    env: { SYNAPSE_AUTH_TOKEN: '<TOKEN> tail' },
    problems: ['SYNAPSE_AUTH_TOKEN was not used. The token contains a space (U+0020) at position LEN+1.'],
  },
  {
    name: 'SYNAPSE_AUTH_TOKEN with a LF inside (an exported multi-line value)',
    env: { SYNAPSE_AUTH_TOKEN: '<TOKEN>\nsecond line' },
    problems: ['SYNAPSE_AUTH_TOKEN was not used. The token contains a line break (U+000A) at position LEN+1.'],
  },
  {
    name: 'SYNAPSE_AUTH_TOKEN with a trailing newline (trimmed, as before)',
    env: { SYNAPSE_AUTH_TOKEN: '<TOKEN>\n' },
    found: 'TOKEN',
    problems: [],
  },
];

describe('hostile ~/.synapseConfig files and SYNAPSE_AUTH_TOKEN values', () => {
  let home: string;
  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), 'synapse-hostile-'));
  });
  afterEach(() => rm(home, { recursive: true, force: true }));

  // A token-shaped value; the real sandbox is not involved in discovery.
  const TOKEN = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIzNDAwMDAxIiwianRpIjoiaG9zdGlsZSJ9.c2lnbmF0dXJlLW9mLXRoZS1ob3N0aWxlLXRlc3Q';
  const fill = (text: string) => text.replace(/<TOKEN>/g, TOKEN).replace(/LEN\+1/g, String(TOKEN.length + 1));

  for (const testCase of DISCOVERY_CASES) {
    it(testCase.name, async () => {
      const path = join(home, '.synapseConfig');
      if (testCase.file !== undefined) await writeFile(path, fill(testCase.file));
      const env = Object.fromEntries(Object.entries(testCase.env ?? {}).map(([k, v]) => [k, fill(v)]));
      const result = await discoverToken({ homeDir: home, env });
      const expected = testCase.found === 'TOKEN' ? TOKEN : testCase.found === 'ENV' ? 'ENV' : undefined;
      assert.equal(result.found?.token, expected);
      if (testCase.userName) assert.equal(result.found?.userName, testCase.userName);
      assert.deepEqual(
        result.problems,
        testCase.problems.map((p) => fill(p).replace('PATH', path)),
      );
      for (const problem of result.problems) assert.deepEqual(leaks(problem, TOKEN), [], problem);
    });
  }
});
