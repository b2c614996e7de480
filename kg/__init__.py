"""kgrag: knowledge-graph retrieval with provenance."""
