import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mountsBuiltFrom, parseMountinfo } from '../../src/lab/mounts.ts';

const lab = '/var/lib/hellobench/lab-4838';
const snap = `${lab}/containerd/root/io.containerd.snapshotter.v1.overlayfs/snapshots`;
const MOUNTINFO = [
  // ctr-remote's image mount, left at /tmp when it was killed: built from the lab's snapshots.
  `1234 29 0:171 / /tmp/target2646669933 rw,relatime shared:600 - overlay overlay rw,lowerdir=${snap}/2/fs:${snap}/1/fs,upperdir=${snap}/3/fs,workdir=${snap}/3/work,uuid=on`,
  // A FUSE mount under the lab, with a space in its path (octal-escaped in mountinfo).
  `1240 29 0:180 / ${lab}/stargz/root/snapshotter/snapshots/1/fs\\040x rw,nodev - fuse.rawBridge stargz rw,user_id=0`,
  // Another lab's overlay, and one whose path only begins like ours.
  `1250 29 0:190 / /tmp/target1 rw - overlay overlay rw,lowerdir=/var/lib/hellobench/lab-5044/x/fs,upperdir=/var/lib/hellobench/lab-48380/y`,
  '25 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw',
].join('\n');

test('mountinfo: targets unescaped, and the filesystem\'s own options kept', () => {
  const m = parseMountinfo(MOUNTINFO);
  assert.equal(m.length, 4);
  assert.equal(m[1]!.target, `${lab}/stargz/root/snapshotter/snapshots/1/fs x`);
  assert.equal(m[1]!.fstype, 'fuse.rawBridge');
  assert.match(m[0]!.options, /^rw,lowerdir=/);
  assert.equal(m[3]!.options, 'rw');
});

test('a mount elsewhere built from a lab\'s layers is the lab\'s; one under the lab or of another lab is not counted so', () => {
  const built = mountsBuiltFrom(lab, parseMountinfo(MOUNTINFO));
  assert.deepEqual(built.map((m) => m.target), ['/tmp/target2646669933']);
  assert.deepEqual(mountsBuiltFrom('/var/lib/hellobench/lab-5044', parseMountinfo(MOUNTINFO)).map((m) => m.target), ['/tmp/target1']);
});
