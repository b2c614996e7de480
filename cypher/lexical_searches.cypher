// The best chunks for each entry of $queries (each only quoted words joined by OR, scoped to one field), in
// one statement: each query's $candidates index hits, the access filter, and its best $k readable chunks.
// No CALL subquery: its importing WITH is deprecated from 5.23 and its scope clause unknown before, so the
// per-query cut is a sliced collect, which reads the same on every supported version.
UNWIND range(0, size($queries) - 1) AS row
CALL db.index.fulltext.queryNodes('kgrag_chunk_text', $queries[row], {limit: $candidates}) YIELD node, score
MATCH (d:Document {id: node.doc_id})
WHERE $groups IS NULL OR any(g IN d.groups WHERE g IN $groups)
WITH row, node.id AS id, score
ORDER BY row, score DESC, id
WITH row, collect({id: id, score: score})[..$k] AS best
UNWIND best AS hit
RETURN row, hit.id AS id, hit.score AS score
