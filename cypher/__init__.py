"""Every Cypher statement the Neo4j store runs, one parameterised ``.cypher`` file each (loaded by
``kg.statements``), and the saved Browser queries in ``browser/``. This package holds data, no code."""
