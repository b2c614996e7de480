// kgrag's schema: run once at connect time; every statement is idempotent (IF NOT EXISTS).
// Uniqueness constraints also give the id lookups their indexes.
CREATE CONSTRAINT kgrag_document_id IF NOT EXISTS FOR (d:Document) REQUIRE d.id IS UNIQUE;
CREATE CONSTRAINT kgrag_chunk_id IF NOT EXISTS FOR (c:Chunk) REQUIRE c.id IS UNIQUE;
CREATE CONSTRAINT kgrag_entity_id IF NOT EXISTS FOR (e:Entity) REQUIRE e.id IS UNIQUE;
CREATE CONSTRAINT kgrag_meta_key IF NOT EXISTS FOR (m:KgragMeta) REQUIRE m.key IS UNIQUE;
CREATE CONSTRAINT kgrag_principal_name IF NOT EXISTS FOR (p:KgragPrincipal) REQUIRE p.name IS UNIQUE;
CREATE CONSTRAINT kgrag_principal_key IF NOT EXISTS FOR (p:KgragPrincipal) REQUIRE p.key_id IS UNIQUE;
// One writer lock node per name, even when two writers MERGE it at once.
CREATE CONSTRAINT kgrag_lock_name IF NOT EXISTS FOR (l:KgragLock) REQUIRE l.name IS UNIQUE;
// Lexical search over chunk text and document titles, stemmed like the embedded store's index.
CREATE FULLTEXT INDEX kgrag_chunk_text IF NOT EXISTS FOR (c:Chunk) ON EACH [c.text, c.title]
OPTIONS {indexConfig: {`fulltext.analyzer`: 'english'}};
// Entity linking searches surface forms on MENTIONS, so that it can see only forms from readable documents.
CREATE FULLTEXT INDEX kgrag_mention_text IF NOT EXISTS FOR ()-[m:MENTIONS]-() ON EACH [m.text];
// Names and every alias, for people exploring in Neo4j Browser (the retriever does not use it: it is unfiltered).
CREATE FULLTEXT INDEX kgrag_entity_names IF NOT EXISTS FOR (e:Entity) ON EACH [e.name, e.alias_text];
// Exact identifiers ("M-1057", "HC-2023-0412") of each chunk, space-separated and upper-cased by kg.text.identifiers:
// the whitespace analyser keeps each one a single token, so M-1070 never matches a search for M-1057.
CREATE FULLTEXT INDEX kgrag_chunk_identifiers IF NOT EXISTS FOR (c:Chunk) ON EACH [c.identifier_text]
OPTIONS {indexConfig: {`fulltext.analyzer`: 'whitespace'}};
