// The visible documents among $ids (as in document_get.cypher), in one statement.
UNWIND $ids AS id
MATCH (d:Document {id: id})
WHERE $groups IS NULL OR any(g IN d.groups WHERE g IN $groups)
RETURN d {.id, .source, .title, .media_type, .content_hash, .text, .metadata, .groups} AS document
