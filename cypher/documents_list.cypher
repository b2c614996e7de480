MATCH (d:Document)
WHERE $groups IS NULL OR any(g IN d.groups WHERE g IN $groups)
RETURN d {.id, .source, .title, .media_type, .content_hash, .text, .metadata, .groups} AS document
ORDER BY d.id
