// DADI's overlaybd: block-device images served by a user-space daemon. It needs a block
// frontend the kernel provides: TCMU (LIO), ublk or nbd. No mode is defined until a machine
// we test on has one; doctor says exactly what is missing.
import { kernelOption } from './host.ts';
import type { HostCheck, SnapshotterSystem } from './system.ts';

const FRONTENDS: [string, string][] = [
  ['CONFIG_TARGET_CORE', 'TCMU (LIO target core)'],
  ['CONFIG_BLK_DEV_UBLK', 'ublk'],
  ['CONFIG_BLK_DEV_NBD', 'nbd'],
];

export const overlaybd: SnapshotterSystem = {
  name: 'overlaybd',
  title: 'DADI overlaybd block images (needs a TCMU, ublk or nbd block frontend)',
  tools: [],
  snapshotter: 'overlaybd',
  modes: [],
  hostChecks(): HostCheck[] {
    const states = FRONTENDS.map(([opt, label]) => ({ opt, label, state: kernelOption(opt) }));
    if (states.some((s) => s.state === 'y' || s.state === 'm')) return [{ what: 'block frontend' }];
    const detail = states.map((s) => `${s.opt} ${s.state === 'unknown' ? 'unknown (no kernel config readable)' : 'is not set'}`).join(', ');
    return [{ what: 'block frontend', problem: `no block frontend for overlaybd: ${detail}; it needs a kernel with one of ${FRONTENDS.map(([, l]) => l).join(', ')}` }];
  },
  pullArgv() {
    throw new Error('overlaybd has no mode here');
  },
};
