// A few read-only calls to the lab registry's HTTP API (distribution v2).
import { UserError } from '../errors.ts';
const ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
].join(', ');

export class RegistryError extends UserError {}

import type { Descriptor, Manifest, RegistryImage } from '../systems/system.ts';

async function getManifest(host: string, repo: string, reference: string): Promise<Manifest | null> {
  let res: Response;
  try {
    res = await fetch(`http://${host}/v2/${repo}/manifests/${reference}`, { headers: { Accept: ACCEPT } });
  } catch (err) {
    throw new RegistryError(`registry ${host} does not answer (${(err as Error).message}); is the lab registry running?`);
  }
  if (res.status === 404) return null;
  if (!res.ok) throw new RegistryError(`registry ${host}: GET manifest ${repo}:${reference} answered ${res.status}`);
  return (await res.json()) as Manifest;
}

/** The image's layers (first platform of an index), or null when the tag does not exist. */
export async function imageLayers(host: string, repo: string, tag: string): Promise<Descriptor[] | null> {
  let m = await getManifest(host, repo, tag);
  if (m?.manifests?.length) m = await getManifest(host, repo, m.manifests[0]!.digest);
  return m ? (m.layers ?? []) : null;
}

/** The image behind a tag for a system to read its metadata from; null when the tag does not exist. */
export async function registryImage(host: string, repo: string, tag: string): Promise<RegistryImage | null> {
  const top = await getManifest(host, repo, tag);
  if (!top) return null;
  const manifest = async (digest: string) => {
    const m = await getManifest(host, repo, digest);
    if (!m) throw new RegistryError(`registry ${host}: ${repo}@${digest} is listed but missing`);
    return m;
  };
  const image = top.manifests?.length ? await manifest(top.manifests[0]!.digest) : top;
  return {
    top, layers: image.layers ?? [], manifest,
    async blobTail(digest, size, bytes) {
      const res = await fetch(`http://${host}/v2/${repo}/blobs/${digest}`, { headers: { Range: `bytes=${Math.max(0, size - bytes)}-${size - 1}` } });
      if (res.status !== 206) throw new RegistryError(`registry ${host}: GET ${repo} blob ${digest} with a range answered ${res.status}, not 206`);
      return Buffer.from(await res.arrayBuffer());
    },
  };
}

/** Sum of the compressed layer sizes: what a full pull must fetch. */
export function compressedSize(layers: Descriptor[]): number {
  return layers.reduce((s, l) => s + l.size, 0);
}
