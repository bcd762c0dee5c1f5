// Talking to the stack's registry directly, as a client other than this engine would: a token from
// the sandbox's token server, and an OCI image manifest PUT for blobs an engine pushed. This is
// how the tests produce an OCI push on an engine that pushes only Docker v2 manifests (Engine
// 20.10); the registry then notifies the sandbox as it does for any push.
import * as assert from 'node:assert/strict';
import type { SandboxInfo } from './stack';

const DOCKER_V2 = 'application/vnd.docker.distribution.manifest.v2+json';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

interface Descriptor {
  mediaType: string;
  size: number;
  digest: string;
}
interface ImageManifest {
  schemaVersion: 2;
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
}

/** A registry bearer token for `scopes` (e.g. repository:syn1/x:push,pull), with a user's PAT. */
export async function registryToken(
  info: Pick<SandboxInfo, 'synapseEndpoint' | 'registry'>,
  pat: string,
  scopes: string[],
): Promise<string> {
  const query = [`service=${encodeURIComponent(info.registry)}`, ...scopes.map((s) => `scope=${encodeURIComponent(s)}`)].join('&');
  const response = await fetch(`${info.synapseEndpoint}/docker/v1/bearerToken?${query}`, {
    headers: { Authorization: `Basic ${Buffer.from(`user:${pat}`).toString('base64')}` },
  });
  assert.equal(response.status, 200, await response.clone().text());
  return ((await response.json()) as { token: string }).token;
}

/**
 * Puts, under `to:tag`, an OCI image manifest for the image the Docker v2 manifest `from@digest`
 * describes (same config and layers, blobs mounted across repositories). Returns its digest.
 */
export async function putOciCopy(
  info: Pick<SandboxInfo, 'synapseEndpoint' | 'registry'>,
  pat: string,
  from: string,
  digest: string,
  to: string,
  tag: string,
): Promise<string> {
  const base = `http://${info.registry}/v2`;
  const token = await registryToken(info, pat, [`repository:${from}:pull`, `repository:${to}:push,pull`]);
  const auth = { Authorization: `Bearer ${token}` };
  const got = await fetch(`${base}/${from}/manifests/${digest}`, { headers: { ...auth, Accept: DOCKER_V2 } });
  assert.equal(got.status, 200, `GET ${from}@${digest}: ${await got.clone().text()}`);
  const source = (await got.json()) as ImageManifest;
  assert.equal(source.mediaType, DOCKER_V2);
  if (from !== to) {
    for (const blob of [source.config, ...source.layers]) {
      const mounted = await fetch(
        `${base}/${to}/blobs/uploads/?mount=${encodeURIComponent(blob.digest)}&from=${encodeURIComponent(from)}`,
        { method: 'POST', headers: auth },
      );
      assert.equal(mounted.status, 201, `mounting ${blob.digest} into ${to}: ${mounted.status} ${await mounted.text()}`);
    }
  }
  const oci: ImageManifest = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { ...source.config, mediaType: 'application/vnd.oci.image.config.v1+json' },
    layers: source.layers.map((layer) => ({ ...layer, mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' })),
  };
  const put = await fetch(`${base}/${to}/manifests/${tag}`, {
    method: 'PUT',
    headers: { ...auth, 'Content-Type': OCI_MANIFEST },
    body: JSON.stringify(oci),
  });
  assert.equal(put.status, 201, `PUT ${to}:${tag}: ${await put.text()}`);
  const stored = put.headers.get('docker-content-digest');
  assert.ok(stored?.startsWith('sha256:'), 'the registry names the stored digest');
  return stored as string;
}
