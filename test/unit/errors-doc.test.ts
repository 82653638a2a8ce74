import t from 'tap';
import fs from 'node:fs';
import { renderErrorsDoc } from '../../src/shared/errors-doc.js';

t.test('docs/errors.md matches the registry (run `npm run docs:errors` after adding a code)', async (t) => {
  t.equal(fs.readFileSync('docs/errors.md', 'utf8'), renderErrorsDoc());
});
