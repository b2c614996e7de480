// Every read carries the caller's groups ($groups, or null for the unrestricted system view); a row is kept only
// when its document shares a group with the caller.
MATCH (d:Document {id: $doc_id})
WHERE $groups IS NULL OR any(g IN d.groups WHERE g IN $groups)
RETURN d {.id, .source, .title, .media_type, .content_hash, .text, .metadata, .groups} AS document
