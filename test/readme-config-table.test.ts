// The README's configuration reference is generated from the declared variables; this
// keeps the committed README in step with the code.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configTable, withTable } from '../scripts/config-table.js';

describe('README configuration reference', () => {
  it('matches the variables declared in reference/src/common/config.ts (run npm run docs:config -- --write)', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    expect(withTable(readme)).toBe(readme);
  });

  it('lists every seed variable the services read', () => {
    const table = configTable();
    for (const name of [
      'DATABASE_URL',
      'REDIS_URL',
      'S3_ENDPOINT',
      'JWT_SECRET',
      'SESSION_MAX_AGE',
      'CA_VALIDITY_DAYS',
      'CORS_ORIGINS',
    ]) {
      expect(table).toContain(`\`${name}\``);
    }
  });
});
