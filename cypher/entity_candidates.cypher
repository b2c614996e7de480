// Entities whose readable surface forms share a word with a question phrase ($query: quoted words, OR-ed).
CALL db.index.fulltext.queryRelationships('kgrag_mention_text', $query) YIELD relationship, score
WITH relationship AS m, score LIMIT $candidates
MATCH (d:Document {id: m.doc_id})
WHERE $groups IS NULL OR any(g IN d.groups WHERE g IN $groups)
RETURN endNode(m).id AS entity_id, m.text AS alias, max(score) AS score
ORDER BY score DESC, entity_id
LIMIT $limit
