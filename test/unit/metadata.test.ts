// Each lazy system's own metadata in a converted image, read as the registry serves it: eStargz
// TOCs from layer footers, zstd:chunked TOCs from annotations, Nydus's bootstrap layer, SOCI's
// index and ztocs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nydus } from '../../src/systems/nydus.ts';
import { soci } from '../../src/systems/soci.ts';
import { estargzTocBytes, stargz } from '../../src/systems/stargz.ts';
import type { Descriptor, Manifest, RegistryImage } from '../../src/systems/system.ts';

/** The footer of a layer converted here (ctr-remote): its TOC starts at 0x400620. */
const FOOTER = Buffer.concat([
  Buffer.from('1f8b08040000000000ff1a00534716', 'hex'), Buffer.from([0]),
  Buffer.from('0000000000400620STARGZ', 'latin1'), Buffer.from('010000ffff0000000000000000', 'hex'),
]);

function image(layers: Descriptor[], top: Manifest = { layers }, manifests: Record<string, Manifest> = {}, tails: Record<string, Buffer> = {}): RegistryImage {
  return {
    top, layers,
    manifest: async (d) => manifests[d]!,
    blobTail: async (d, _size, bytes) => { assert.equal(bytes, 51); return tails[d]!; },
  };
}

test('eStargz: the TOC is what lies between its offset in the footer and the footer', async () => {
  assert.equal(FOOTER.length, 51);
  assert.equal(estargzTocBytes(FOOTER, 4196325), 4196325 - 0x400620 - 51);
  assert.throws(() => estargzTocBytes(Buffer.alloc(51), 1000), /not an eStargz footer/);
  const layers: Descriptor[] = [
    { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: 'sha256:a', size: 4196325 },
    { mediaType: 'application/vnd.oci.image.layer.v1.tar+zstd', digest: 'sha256:b', size: 1094663, annotations: { 'io.containers.zstd-chunked.manifest-position': '1092653:1962:38411:1' } },
  ];
  assert.deepEqual(await stargz.metadata!(image(layers, { layers }, {}, { 'sha256:a': FOOTER })), { what: 'TOC', bytes: 402 + 1962 });
});

test("Nydus: the bootstrap layer; SOCI: the index manifest and its ztocs", async () => {
  const blobs: Descriptor[] = [
    { mediaType: 'application/vnd.oci.image.layer.nydus.blob.v1', digest: 'sha256:1', size: 32516082, annotations: { 'containerd.io/snapshot/nydus-blob': 'true' } },
    { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: 'sha256:2', size: 6638, annotations: { 'containerd.io/snapshot/nydus-bootstrap': 'true' } },
  ];
  assert.deepEqual(await nydus.metadata!(image(blobs)), { what: 'bootstrap', bytes: 6638 });
  await assert.rejects(nydus.metadata!(image(blobs.slice(0, 1))), /no layer is annotated as the Nydus bootstrap/);

  const layers = [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: 'sha256:l', size: 30e6 }];
  const top: Manifest = {
    mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [
      { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: 'sha256:img', size: 685, annotations: { 'com.amazon.soci.index-digest': 'sha256:idx' } },
      { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: 'sha256:idx', size: 1111, annotations: { 'com.amazon.soci.image-manifest-digest': 'sha256:img' } },
    ],
  };
  const index: Manifest = { layers: [{ mediaType: 'application/octet-stream', digest: 'sha256:z1', size: 74288 }, { mediaType: 'application/octet-stream', digest: 'sha256:z2', size: 264040 }] };
  assert.deepEqual(await soci.metadata!(image(layers, top, { 'sha256:idx': index })), { what: 'SOCI index and ztocs', bytes: 1111 + 74288 + 264040 });
  await assert.rejects(soci.metadata!(image(layers)), /holds no SOCI index manifest/);
});
