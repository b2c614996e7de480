// The best chunks for each entry of $queries (each only quoted words joined by OR, scoped to one field), in
// one statement: each query's $candidates index hits, the access filter, and its best $k readable chunks.
UNWIND range(0, size($queries) - 1) AS row
CALL {
  WITH row
  CALL db.index.fulltext.queryNodes('kgrag_chunk_text', $queries[row]) YIELD node, score
  WITH node, score LIMIT $candidates
  MATCH (d:Document {id: node.doc_id})
  WHERE $groups IS NULL OR any(g IN d.groups WHERE g IN $groups)
  RETURN node.id AS id, score
  ORDER BY score DESC, id
  LIMIT $k
}
RETURN row, id, score
