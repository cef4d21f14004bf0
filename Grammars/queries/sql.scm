; Chunk query for SQL (tree-sitter-sql 0.3, DerekStride). See python.scm for the capture names.
; CREATE statements are always chunks (@statement); any other statement is a
; chunk only when it is large (@query, see ChunkingOptions.largeStatementLines).

(statement [
  (create_table (object_reference) @name)
  (create_view (object_reference) @name)
  (create_materialized_view (object_reference) @name)
  (create_function (object_reference) @name)
  (create_type (object_reference) @name)
  (create_sequence (object_reference) @name)
  (create_schema (identifier) @name)
  (create_trigger (object_reference) @name)
  (create_index column: (identifier) @name)
  (create_index)
  (alter_table (object_reference) @name)]) @statement

(statement) @query

; Dialect syntax this grammar does not know (CREATE PROCEDURE ... BEGIN ... END)
; parses as ERROR and stays in the top-level chunks.
(ERROR) @query
