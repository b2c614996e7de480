// Checks every .cypher file under a folder with Neo4j's Cypher parser and semantic analysis (no server needed).
// Usage: make lint-cypher. Errors fail; warnings (the deprecated pre-5.15 procedure, kept on purpose) are shown.
import { lintCypherQuery, testData } from '@neo4j-cypher/language-support';
import fs from 'fs';
import path from 'path';

const walk = (dir) => fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
  e.isDirectory() ? walk(path.join(dir, e.name)) : e.name.endsWith('.cypher') ? [path.join(dir, e.name)] : []);
const schema = { procedures: testData.mockSchema.procedures, functions: testData.mockSchema.functions };
let errors = 0;
let files = 0;
for (const file of walk(process.argv[2])) {
  files += 1;
  // Templates get sample values, as kg/neo4j_store.py gives them checked ones.
  // A retrieval query for neo4j-graphrag follows the vector search that package runs, which yields node and score.
  const preamble = file.includes(`${path.sep}graphrag${path.sep}`)
    ? 'CALL db.index.vector.queryNodes($index, $k, $vector) YIELD node, score WITH node, score\n' : '';
  const query = preamble + fs.readFileSync(file, 'utf8').replaceAll('__LABEL__', '`Org`').replaceAll('__TYPE__', '`ACQUIRE`').replaceAll('__DIMENSIONS__', '384');
  const result = lintCypherQuery(query, schema);
  const diagnostics = (result.diagnostics ?? result).filter((d) => !d.message.startsWith('Parameter $'));
  for (const d of diagnostics) {
    const kind = d.severity === 1 ? 'error' : 'warning';
    if (d.severity === 1) errors += 1;
    console.log(`${file}:${d.range.start.line + 1}: ${kind}: ${d.message}`);
  }
}
console.log(`${files} Cypher files checked, ${errors} errors`);
process.exit(errors ? 1 : 0);
