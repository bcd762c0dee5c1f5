// Which build context folders the build asks about before sending (home, a file system root, a
// folder holding the home folder, anything outside the workspace), the sentences the question
// shows, and the line that says what is being sent once the context is walked.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  assessContextFolder,
  assessContextFolderOnDisk,
  ContextRisk,
  contextRiskSentences,
  describeContextUpload,
} from '../../src/core/contextFolder';

describe('build context folder: what is asked before sending', () => {
  const posix: Array<[string, string, string[], ContextRisk[]]> = [
    // [title, folder, workspace folders, risks]
    ['a folder of the workspace', '/home/ann/proj/app', ['/home/ann/proj'], []],
    ['the workspace folder itself', '/home/ann/proj', ['/home/ann/proj'], []],
    ['a folder of the second workspace folder', '/srv/other/x', ['/home/ann/proj', '/srv/other'], []],
    ['the home folder (a setting of "../../..")', '/home/ann', ['/home/ann/proj'], ['home', 'outsideWorkspace']],
    ['the home folder written with a trailing slash and dots', '/home/ann/proj/../', ['/home/ann/proj'], ['home', 'outsideWorkspace']],
    ['the file system root', '/', ['/home/ann/proj'], ['root', 'outsideWorkspace']],
    ['a folder holding the home folder', '/home', ['/home/ann/proj'], ['containsHome', 'outsideWorkspace']],
    ['a sibling of the workspace', '/home/ann/other', ['/home/ann/proj'], ['outsideWorkspace']],
    ['a folder whose name only starts like the workspace', '/home/ann/proj-secrets', ['/home/ann/proj'], ['outsideWorkspace']],
    ['the home folder when it is the workspace', '/home/ann', ['/home/ann'], ['home']],
    ['any folder with no workspace open', '/tmp/build', [], []],
  ];
  for (const [title, folder, workspaceFolders, risks] of posix) {
    it(`posix: ${title}`, () => {
      assert.deepEqual(assessContextFolder(folder, { workspaceFolders, homeDir: '/home/ann', platform: 'linux' }).risks, risks);
    });
  }

  it('windows: drive roots, the profile folder in any case, and other drives', () => {
    const inputs = { workspaceFolders: ['C:\\Users\\Ann\\proj'], homeDir: 'C:\\Users\\Ann', platform: 'win32' as const };
    assert.deepEqual(assessContextFolder('C:\\', inputs).risks, ['root', 'outsideWorkspace']);
    assert.deepEqual(assessContextFolder('c:\\users\\ann', inputs).risks, ['home', 'outsideWorkspace']);
    assert.deepEqual(assessContextFolder('C:\\Users\\ANN\\Proj\\app', inputs).risks, []);
    assert.deepEqual(assessContextFolder('D:\\data', inputs).risks, ['outsideWorkspace']);
  });

  it('on disk: a link in the workspace that points at the home folder is the home folder', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ctx-folder-'));
    try {
      const home = path.join(root, 'home');
      const workspace = path.join(home, 'proj');
      fs.mkdirSync(workspace, { recursive: true });
      fs.symlinkSync(home, path.join(workspace, 'ctx'));
      const assessment = await assessContextFolderOnDisk(path.join(workspace, 'ctx'), { workspaceFolders: [workspace], homeDir: home });
      assert.deepEqual(assessment.risks, ['home', 'outsideWorkspace']);
      assert.equal(assessment.folder, path.join(workspace, 'ctx'));
      assert.deepEqual(contextRiskSentences(assessment, [workspace]), [
        `The build context ${path.join(workspace, 'ctx')} is a symbolic link to ${fs.realpathSync(home)}.`,
        `The build context ${path.join(workspace, 'ctx')} is your home folder: every file in it that .dockerignore does not exclude (keys, tokens, documents) would be sent to the Docker engine.`,
        `The build context ${path.join(workspace, 'ctx')} is outside the workspace folder ${workspace}.`,
      ]);
      // A plain folder of the workspace is not asked about.
      fs.mkdirSync(path.join(workspace, 'app'));
      assert.deepEqual(
        (await assessContextFolderOnDisk(path.join(workspace, 'app'), { workspaceFolders: [workspace], homeDir: home })).risks,
        [],
      );
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('says why, one sentence per risk', () => {
    assert.deepEqual(contextRiskSentences({ folder: '/', risks: ['root', 'outsideWorkspace'] }, ['/a', '/b']), [
      'The build context / is the root of the file system: every file on it that .dockerignore does not exclude would be sent to the Docker engine.',
      'The build context / is outside every workspace folder.',
    ]);
    assert.deepEqual(contextRiskSentences({ folder: '/home', risks: ['containsHome'] }, []), [
      'The build context /home contains your home folder: every file in it that .dockerignore does not exclude (keys, tokens, documents) would be sent to the Docker engine.',
    ]);
  });

  it('says what is being sent once the context is walked', () => {
    assert.equal(
      describeContextUpload({ contextDir: '/w/app', filesIncluded: 20_000, bytesIncluded: 1_234_567 }),
      'Sending /w/app (20000 files, 1.2 MB) to the Docker engine.',
    );
    assert.equal(
      describeContextUpload({ contextDir: '/w/app', filesIncluded: 1, bytesIncluded: 13 }),
      'Sending /w/app (1 file, 13 B) to the Docker engine.',
    );
  });
});
