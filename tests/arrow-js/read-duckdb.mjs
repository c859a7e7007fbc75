// Reads a file `ipw export` wrote (csv, jsonl or parquet) with DuckDB, an implementation independent of ipw's, and
// prints its columns with the types DuckDB gave them, its row count and its rows as JSON, so tests can compare them
// with the run's records. A null stays null; 64-bit integers come out as numbers; timestamps as DuckDB's text.
// A CSV is read with allow_quoted_nulls = false, so an empty text ("") and a missing value (an empty field) stay apart
// as ipw writes them (DuckDB's default reads both as null). With --all-varchar its fields come back as the text they
// hold (DuckDB still does the RFC 4180 parsing), without the types DuckDB would guess from them.
import { DuckDBInstance } from '@duckdb/node-api';

const [path, format, option] = process.argv.slice(2);
const file = `'${path.replaceAll("'", "''")}'`;
const source = {
  csv: `read_csv(${file}, header = true, allow_quoted_nulls = false${option === '--all-varchar' ? ', all_varchar = true' : ''})`,
  jsonl: `read_json(${file}, format = 'newline_delimited')`,
  parquet: `read_parquet(${file})`,
}[format];
if (!source) throw new Error(`unknown format ${format}`);

const connection = await (await DuckDBInstance.create(':memory:')).connect();
const result = await connection.runAndReadAll(`SELECT * FROM ${source}`);
const names = result.columnNames();
const types = result.columnTypes().map(String);
const integers = new Set(['BIGINT', 'INTEGER', 'SMALLINT', 'TINYINT', 'UBIGINT', 'HUGEINT']);
const rows = result.getRowObjectsJson().map((row) => {
  for (const [i, name] of names.entries()) {
    if (integers.has(types[i]) && row[name] !== null) row[name] = Number(row[name]);
  }
  return row;
});
process.stdout.write(JSON.stringify({ numRows: rows.length, columns: names.map((name, i) => ({ name, type: types[i] })), rows }));
