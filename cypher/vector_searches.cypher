// The nearest chunks by cosine for each row of $vectors, in one statement: each row's $candidates index hits, the
// access filter in the same query, and that row's best $k readable chunks (a sliced collect rather than a CALL
// subquery, whose importing WITH is deprecated from 5.23 and whose scope clause older servers do not know).
UNWIND range(0, size($vectors) - 1) AS row
CALL db.index.vector.queryNodes('kgrag_chunk_embedding', $candidates, $vectors[row]) YIELD node, score
MATCH (d:Document {id: node.doc_id})
WHERE $groups IS NULL OR any(g IN d.groups WHERE g IN $groups)
WITH row, node.id AS id, score
ORDER BY row, score DESC, id
WITH row, collect({id: id, score: score})[..$k] AS best
UNWIND best AS hit
RETURN row, hit.id AS id, hit.score AS score
