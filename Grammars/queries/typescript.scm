; Chunk query for TypeScript and TSX (tree-sitter-typescript 0.23, the `typescript` and
; `tsx` grammars share it). See python.scm for the capture names. Decorators are
; children of the class or member they decorate, so they stay in its chunk; an
; `export` wrapper is captured with the same @name as the declaration inside.

(export_statement declaration: [
  (function_declaration name: (identifier) @name body: (statement_block) @body)
  (generator_function_declaration name: (identifier) @name body: (statement_block) @body)]) @function
(function_declaration name: (identifier) @name body: (statement_block) @body) @function
(generator_function_declaration name: (identifier) @name body: (statement_block) @body) @function

(export_statement declaration: [
  (class_declaration name: (type_identifier) @name body: (class_body) @body)
  (abstract_class_declaration name: (type_identifier) @name body: (class_body) @body)
  (interface_declaration name: (type_identifier) @name body: (interface_body) @body)
  (enum_declaration name: (identifier) @name body: (enum_body) @body)]) @type
(class_declaration name: (type_identifier) @name body: (class_body) @body) @type
(abstract_class_declaration name: (type_identifier) @name body: (class_body) @body) @type
(interface_declaration name: (type_identifier) @name body: (interface_body) @body) @type
(enum_declaration name: (identifier) @name body: (enum_body) @body) @type

; namespace Auth { ... } and declare module "x" { ... }
(export_statement declaration: (internal_module name: (_) @name body: (statement_block) @body)) @module
(internal_module name: (_) @name body: (statement_block) @body) @module
(module name: (_) @name body: (statement_block) @body) @module
(expression_statement (internal_module name: (_) @name body: (statement_block) @body)) @module

; const f = () => {...}, const f = function () {...}
(export_statement declaration: (lexical_declaration (variable_declarator
  name: (identifier) @name
  value: [(arrow_function body: (_) @body) (function_expression body: (_) @body)]))) @function
(lexical_declaration (variable_declarator
  name: (identifier) @name
  value: [(arrow_function body: (_) @body) (function_expression body: (_) @body)])) @function

; Class members: methods, constructors, accessors, and fields holding functions.
(method_definition name: (_) @name body: (statement_block) @body) @function
(public_field_definition
  name: (_) @name
  value: [(arrow_function body: (_) @body) (function_expression body: (_) @body)]) @function
