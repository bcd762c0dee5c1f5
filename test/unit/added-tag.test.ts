// Taking back the tag a palette push added (src/core/addedTag.ts), against the stack's real engine:
// only what the tag step changed, never a tag that was there before, never the image.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import type Docker from 'dockerode';
import { addTag, imageIdOf, undoTag } from '../../src/core/addedTag';
import { BASE_IMAGE, ImageJanitor, makeTree, stackEngine, uniqueId } from './helpers/docker-fixtures';

describe('Added tag: what a cancelled palette push takes back (real engine)', function () {
  this.timeout(60_000);
  let docker: Docker;
  const janitor = new ImageJanitor(() => docker);
  const run = uniqueId();
  const dirs: string[] = [];

  before(async () => {
    docker = (await stackEngine()).docker;
  });
  after(async () => {
    await janitor.cleanUp();
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** A new image (a label makes it unique) named `name`; returns its id. */
  async function image(name: string): Promise<string> {
    const dir = makeTree({ Dockerfile: `FROM ${BASE_IMAGE}\nLABEL test.id="${name} ${uniqueId()}"\n` });
    dirs.push(dir);
    janitor.add(name);
    const stream = await docker.buildImage({ context: dir, src: ['Dockerfile'] }, { t: name, rm: true });
    await new Promise((resolve, reject) =>
      docker.modem.followProgress(stream, (error: Error | null, output: unknown) => (error ? reject(error) : resolve(output))),
    );
    return (await docker.getImage(name).inspect()).Id;
  }

  const tagWith = (id: string, reference: string) => () => {
    const colon = reference.lastIndexOf(':');
    janitor.add(reference);
    return docker.getImage(id).tag({ repo: reference.slice(0, colon), tag: reference.slice(colon + 1) });
  };
  const tagsOf = async (id: string) => ((await docker.getImage(id).inspect()).RepoTags ?? []).sort();

  it('a new tag is removed; the image and its own tag stay', async () => {
    const source = `local/added-${run}-a:v1`;
    const id = await image(source);
    const target = `127.0.0.1:5999/syn1000001/added-${run}-a:v1`;
    const added = await addTag(docker, id, target, tagWith(id, target));
    assert.deepEqual(added, { reference: target, imageId: id, previousImageId: undefined });
    assert.deepEqual(await tagsOf(id), [target, source].sort());
    assert.deepEqual(await undoTag(docker, added), { kind: 'removed' });
    assert.equal(await imageIdOf(docker, target), undefined);
    assert.deepEqual(await tagsOf(id), [source]);
  });

  it('a tag that already named the image is left alone (unchanged)', async () => {
    const source = `local/added-${run}-b:v1`;
    const id = await image(source);
    const target = `127.0.0.1:5999/syn1000001/added-${run}-b:v1`;
    await tagWith(id, target)();
    const added = await addTag(docker, id, target, tagWith(id, target));
    assert.equal(added.previousImageId, id);
    assert.deepEqual(await undoTag(docker, added), { kind: 'unchanged' });
    assert.deepEqual(await tagsOf(id), [target, source].sort());
  });

  it('a tag that named another image names that image again', async () => {
    const target = `127.0.0.1:5999/syn1000001/added-${run}-c:v1`;
    const other = await image(target);
    const source = `local/added-${run}-c:v1`;
    const id = await image(source);
    const added = await addTag(docker, id, target, tagWith(id, target));
    assert.equal(added.previousImageId, other);
    assert.equal(await imageIdOf(docker, target), id);
    assert.deepEqual(await undoTag(docker, added), { kind: 'restored', imageId: other });
    assert.equal(await imageIdOf(docker, target), other);
    assert.deepEqual(await tagsOf(id), [source]);
  });

  it('a tag someone moved or removed meanwhile is left as it is', async () => {
    const source = `local/added-${run}-d:v1`;
    const id = await image(source);
    const elsewhere = await image(`local/added-${run}-d-elsewhere:v1`);
    const target = `127.0.0.1:5999/syn1000001/added-${run}-d:v1`;
    const added = await addTag(docker, id, target, tagWith(id, target));
    await tagWith(elsewhere, target)(); // re-tagged outside the extension
    assert.deepEqual(await undoTag(docker, added), { kind: 'changed-elsewhere' });
    assert.equal(await imageIdOf(docker, target), elsewhere);
    await docker.getImage(target).remove({ noprune: true });
    assert.deepEqual(await undoTag(docker, added), { kind: 'changed-elsewhere' });
    assert.deepEqual(await tagsOf(id), [source]);
  });

  it("the image's only name is kept (removing it would remove the image)", async () => {
    const source = `local/added-${run}-e:v1`;
    const id = await image(source);
    const target = `127.0.0.1:5999/syn1000001/added-${run}-e:v1`;
    const added = await addTag(docker, id, target, tagWith(id, target));
    await docker.getImage(source).remove({ noprune: true }); // now the added tag is its only one
    const outcome = await undoTag(docker, added);
    assert.equal(outcome.kind, 'kept');
    assert.equal(await imageIdOf(docker, target), id, 'the image and the tag are still there');
  });
});
