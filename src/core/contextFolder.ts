// Which build context folders deserve a question before anything is sent: a build uploads the
// whole folder (minus .dockerignore) to the Docker engine, and a workspace setting
// (synapseDocker.build.context) can point it anywhere, e.g. at the user's home folder.
import * as l10n from '@vscode/l10n';
import { realpath } from 'node:fs/promises';
import * as path from 'node:path';
import { formatBytes } from './util/bytes';

/** Why a context folder is risky to send. */
export type ContextRisk = 'root' | 'home' | 'containsHome' | 'outsideWorkspace';

export interface ContextFolderInputs {
  /** The workspace folders (absolute). With none, "outside the workspace" does not apply. */
  workspaceFolders: string[];
  /** The user's home folder (os.homedir()). */
  homeDir: string;
  /** Path rules to apply; default the running platform's. */
  platform?: NodeJS.Platform;
}

export interface ContextFolderAssessment {
  /** The folder as it was assessed (absolute, normalized). */
  folder: string;
  /** Empty when the folder can be sent without asking. */
  risks: ContextRisk[];
  /** Where the folder really is, when it is reached through a symbolic link. */
  target?: string;
}

function pathsFor(platform: NodeJS.Platform): path.PlatformPath {
  return platform === 'win32' ? path.win32 : path.posix;
}

/** Windows and macOS compare paths without case (their default file systems do). */
function comparable(value: string, platform: NodeJS.Platform): string {
  return platform === 'win32' || platform === 'darwin' ? value.toLowerCase() : value;
}

function sameOrInside(parent: string, child: string, platform: NodeJS.Platform): boolean {
  const p = pathsFor(platform);
  const relative = p.relative(comparable(parent, platform), comparable(child, platform));
  return relative === '' || (relative !== '..' && !relative.startsWith(`..${p.sep}`) && !p.isAbsolute(relative));
}

/** Decides from the paths alone (no file system access). */
export function assessContextFolder(folder: string, inputs: ContextFolderInputs): ContextFolderAssessment {
  const platform = inputs.platform ?? process.platform;
  const p = pathsFor(platform);
  const resolved = p.resolve(folder);
  const home = p.resolve(inputs.homeDir);
  const same = (a: string, b: string) => comparable(p.resolve(a), platform) === comparable(p.resolve(b), platform);
  const risks: ContextRisk[] = [];
  if (p.parse(resolved).root === resolved) risks.push('root');
  else if (same(resolved, home)) risks.push('home');
  else if (sameOrInside(resolved, home, platform)) risks.push('containsHome');
  const folders = inputs.workspaceFolders.map((workspaceFolder) => p.resolve(workspaceFolder));
  if (folders.length > 0 && !folders.some((workspaceFolder) => sameOrInside(workspaceFolder, resolved, platform)))
    risks.push('outsideWorkspace');
  return { folder: resolved, risks };
}

async function real(value: string): Promise<string> {
  return realpath(value).catch(() => value);
}

/**
 * As assessContextFolder, with symbolic links resolved on both sides: a `ctx -> ~` link in the
 * workspace is the home folder, not a folder of the workspace.
 */
export async function assessContextFolderOnDisk(folder: string, inputs: ContextFolderInputs): Promise<ContextFolderAssessment> {
  const [resolved, home, ...workspaceFolders] = await Promise.all([
    real(path.resolve(folder)),
    real(inputs.homeDir),
    ...inputs.workspaceFolders.map(real),
  ]);
  const assessment = assessContextFolder(resolved, { ...inputs, homeDir: home, workspaceFolders });
  // Show the folder as the user named it; the link target is in the sentence when it differs.
  return { folder: path.resolve(folder), risks: assessment.risks, ...(resolved !== path.resolve(folder) ? { target: resolved } : {}) };
}

/** One sentence per risk, for the question asked before sending. */
export function contextRiskSentences(assessment: ContextFolderAssessment, workspaceFolders: string[]): string[] {
  const sentences = assessment.risks.map((risk) => {
    switch (risk) {
      case 'root':
        return l10n.t({
          message:
            'The build context {0} is the root of the file system: every file on it that .dockerignore does not exclude would be sent to the Docker engine.',
          args: [assessment.folder],
          comment: ['{0}: a folder path.'],
        });
      case 'home':
        return l10n.t({
          message:
            'The build context {0} is your home folder: every file in it that .dockerignore does not exclude (keys, tokens, documents) would be sent to the Docker engine.',
          args: [assessment.folder],
          comment: ['{0}: a folder path.'],
        });
      case 'containsHome':
        return l10n.t({
          message:
            'The build context {0} contains your home folder: every file in it that .dockerignore does not exclude (keys, tokens, documents) would be sent to the Docker engine.',
          args: [assessment.folder],
          comment: ['{0}: a folder path.'],
        });
      case 'outsideWorkspace':
        return workspaceFolders.length === 1
          ? l10n.t({
              message: 'The build context {0} is outside the workspace folder {1}.',
              args: [assessment.folder, workspaceFolders[0]],
              comment: ['{0}, {1}: folder paths.'],
            })
          : l10n.t({
              message: 'The build context {0} is outside every workspace folder.',
              args: [assessment.folder],
              comment: ['{0}: a folder path.'],
            });
    }
  });
  if (assessment.target && sentences.length) {
    sentences.unshift(
      l10n.t({
        message: 'The build context {0} is a symbolic link to {1}.',
        args: [assessment.folder, assessment.target],
        comment: ['{0}, {1}: folder paths.'],
      }),
    );
  }
  return sentences;
}

/** What the build is about to upload, once the context is walked. */
export function describeContextUpload(summary: { contextDir: string; filesIncluded: number; bytesIncluded: number }): string {
  const size = formatBytes(summary.bytesIncluded);
  return summary.filesIncluded === 1
    ? l10n.t({
        message: 'Sending {0} (1 file, {1}) to the Docker engine.',
        args: [summary.contextDir, size],
        comment: ['{0}: the build context folder. {1}: a size, e.g. 1.5 MB.'],
      })
    : l10n.t({
        message: 'Sending {0} ({1} files, {2}) to the Docker engine.',
        args: [summary.contextDir, String(summary.filesIncluded), size],
        comment: ['{0}: the build context folder. {1}: a number of files. {2}: a size, e.g. 1.5 MB.'],
      });
}
