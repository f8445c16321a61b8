// Where hellobench keeps things. Built tools, prepared images and caches live outside the
// checkout, so a fresh clone (and CI) reuses what this machine already built; the lab's
// live state lives under a short system path (unix socket paths are limited to 108 bytes).
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const HOME = process.env.HELLOBENCH_HOME ?? '/var/cache/hellobench';
export const BIN_DIR = join(HOME, 'bin');
export const CACHE_DIR = join(HOME, 'cache');
export const REGISTRY_STORE = join(HOME, 'registry');
export const LAB_BASE = process.env.HELLOBENCH_LAB_BASE ?? '/var/lib/hellobench';
