CREATE (d:Document)
SET d = $properties
