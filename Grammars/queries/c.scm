; Chunk query for C (tree-sitter-c 0.23). See python.scm for the capture names.
; The function name sits under up to two pointer declarators (char **f(void)).

(function_definition
  declarator: [
    (function_declarator declarator: (_) @name)
    (pointer_declarator declarator: (function_declarator declarator: (_) @name))
    (pointer_declarator declarator: (pointer_declarator declarator: (function_declarator declarator: (_) @name)))]
  body: (compound_statement) @body) @function

; typedef struct [tag] { ... } name; (the tag's own match starts in this header and is dropped)
(type_definition
  type: [(struct_specifier body: (field_declaration_list) @body) (union_specifier body: (field_declaration_list) @body)
         (enum_specifier body: (enumerator_list) @body)]
  declarator: (type_identifier) @name) @type

; struct name { ... }; at top level or in a declaration
(struct_specifier name: (type_identifier) @name body: (field_declaration_list) @body) @type
(union_specifier name: (type_identifier) @name body: (field_declaration_list) @body) @type
(enum_specifier name: (type_identifier) @name body: (enumerator_list) @body) @type
