// Prints the field table of docs/schema.md from src/core/schema.ts (run: npx tsx scripts/schema-table.ts).
// test/unit/records.test.ts checks that the doc lists every field with its unit.
import { FIELDS } from '../src/core/schema.js';

const esc = (s: string) => s.replace(/\|/g, '\\|');
console.log('| field | type | unit | meaning |');
console.log('| --- | --- | --- | --- |');
for (const f of FIELDS) console.log(`| \`${f.name}\` | ${f.type} | ${f.unit || '–'} | ${esc(f.doc)} |`);
