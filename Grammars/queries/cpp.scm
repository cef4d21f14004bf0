; Chunk query for C++ (tree-sitter-cpp 0.23). See python.scm for the capture names.
; Out-of-class definitions keep their qualified name (SessionStore::open becomes
; SessionStore.open); template arguments are dropped from symbols.

(template_declaration
  (function_definition
    declarator: [
      (function_declarator declarator: (_) @name)
      (pointer_declarator declarator: (function_declarator declarator: (_) @name))
      (reference_declarator (function_declarator declarator: (_) @name))]
    body: (_)? @body)) @function

(function_definition
  declarator: [
    (function_declarator declarator: (_) @name)
    (pointer_declarator declarator: (function_declarator declarator: (_) @name))
    (pointer_declarator declarator: (pointer_declarator declarator: (function_declarator declarator: (_) @name)))
    (reference_declarator (function_declarator declarator: (_) @name))]
  body: (_)? @body) @function

(template_declaration
  [(class_specifier name: (_) @name body: (field_declaration_list) @body)
   (struct_specifier name: (_) @name body: (field_declaration_list) @body)]) @type

(class_specifier name: (_) @name body: (field_declaration_list) @body) @type
(struct_specifier name: (_) @name body: (field_declaration_list) @body) @type
(union_specifier name: (_) @name body: (field_declaration_list) @body) @type
(enum_specifier name: (_) @name body: (enumerator_list) @body) @type

(type_definition
  type: [(struct_specifier body: (field_declaration_list) @body) (class_specifier body: (field_declaration_list) @body)
         (union_specifier body: (field_declaration_list) @body) (enum_specifier body: (enumerator_list) @body)]
  declarator: (type_identifier) @name) @type

(namespace_definition name: (_) @name body: (declaration_list) @body) @module
