// Reads an Arrow IPC stream file with apache-arrow (an implementation independent of ipw's) and
// prints its schema, row count and rows as JSON, so tests can compare them with what ipw wrote.
import { readFileSync } from 'node:fs';
import { tableFromIPC } from 'apache-arrow';

const path = process.argv[2];
const table = tableFromIPC(readFileSync(path));
const fields = table.schema.fields.map((f) => ({ name: f.name, type: String(f.type), nullable: f.nullable }));
const rows = [];
for (const row of table) {
  const plain = {};
  for (const f of table.schema.fields) {
    const v = row[f.name];
    // A list cell is a Vector: written out as a plain array of its values.
    plain[f.name] = typeof v === 'bigint' ? Number(v) : v !== null && typeof v === 'object' && typeof v.toArray === 'function' ? Array.from(v) : v;
  }
  rows.push(plain);
}
process.stdout.write(JSON.stringify({ numRows: table.numRows, batches: table.batches.length, fields, rows }));
