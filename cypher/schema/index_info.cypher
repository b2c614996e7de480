SHOW INDEXES YIELD name, state, options
WHERE name = $name
RETURN state, options
