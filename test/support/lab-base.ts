// Imported first by unit tests that reach the machine watch: points HELLOBENCH_LAB_BASE at a
// directory of this test process, so that unit tests neither read the machine's real lab
// directory (root's, mode 0700 once a lab has run: unreadable to other users) nor count a
// benchmark running beside them as another lab. It must be evaluated before src/paths.ts,
// which reads the variable once: ES modules evaluate their imports in order.
import { tmpdir } from 'node:os';
import { join } from 'node:path';

process.env.HELLOBENCH_LAB_BASE = join(tmpdir(), `hellobench-unit-${process.pid}`);
