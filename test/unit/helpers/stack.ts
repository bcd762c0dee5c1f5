// Unit tests that need the real local stack read it from .synapse-sandbox/sandbox.json.
// When the stack is not up they fail with a message saying how to start it; they never skip.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { SandboxInfo } from '../../sandbox/stack';

export type { SandboxInfo, SandboxProject, SandboxUser } from '../../sandbox/stack';

function projectRoot(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${__dirname}`);
  }
}

export const sandboxInfoFile = path.join(projectRoot(), '.synapse-sandbox', 'sandbox.json');
const START_HINT = 'start it with `npm run stack:up` (or run the whole suite with `npm test`)';

/**
 * Set by `npm run test:fast` (.mocharc.fast.json requires ./no-stack): the fast tests must not
 * touch the stack, so a fast test that reaches it fails here instead of passing on a machine
 * where the stack happens to be up.
 */
export const NO_STACK_FLAG = 'SYNAPSE_TEST_NO_STACK';

function refuseInFastRun(): void {
  if (process.env[NO_STACK_FLAG] === '1') {
    throw new Error(
      'This test needs the local test stack, but it runs in `npm run test:fast`, which is for tests that need none: ' +
        'take its file out of .mocharc.fast.json (it then runs in `npm run test:unit` and `npm test`).',
    );
  }
}

/** sandbox.json as written by `stack up`; throws a clear error when the stack is not up. */
export function readSandboxInfo(): SandboxInfo {
  refuseInFastRun();
  let info: SandboxInfo;
  try {
    info = JSON.parse(fs.readFileSync(sandboxInfoFile, 'utf8')) as SandboxInfo;
  } catch {
    throw new Error(`The local test stack is not up (${sandboxInfoFile} is missing or unreadable): ${START_HINT}.`);
  }
  if (!info.synapseEndpoint || !info.registry || !info.dockerHost) {
    throw new Error(`The local test stack is not up (${sandboxInfoFile} has no synapseEndpoint/registry/dockerHost): ${START_HINT}.`);
  }
  return info;
}

/** Like readSandboxInfo, and also checks that the sandbox answers (a stale file fails here, clearly). */
export async function requireLiveStack(): Promise<SandboxInfo> {
  const info = readSandboxInfo();
  try {
    const response = await fetch(`${info.synapseEndpoint}/__admin/state`, { signal: AbortSignal.timeout(3000) });
    if (response.ok) return info;
    throw new Error(`HTTP ${response.status}`);
  } catch (error) {
    throw new Error(
      `The local test stack is recorded in ${sandboxInfoFile} but the sandbox at ${info.synapseEndpoint} ` +
        `does not answer (${error instanceof Error ? error.message : String(error)}): ${START_HINT}.`,
    );
  }
}
