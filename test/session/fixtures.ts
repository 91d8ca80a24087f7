import * as path from 'path';

// Session fixtures kept as files in test/fixtures (read from the source tree: the build does not copy them).

/** A manifest as version 1 wrote it, before loops, per-loop settings and routing were kept. */
export const V1_MANIFEST = path.join(__dirname, '..', '..', '..', 'test', 'fixtures', 'session-v1.json');
