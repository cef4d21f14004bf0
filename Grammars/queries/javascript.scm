; Chunk query for JavaScript (tree-sitter-javascript 0.23). See python.scm for the capture names.
; An `export` wrapper is captured with the same @name as the declaration inside,
; so the chunk includes the `export` keyword and the inner match is dropped.

(export_statement declaration: [
  (function_declaration name: (identifier) @name body: (statement_block) @body)
  (generator_function_declaration name: (identifier) @name body: (statement_block) @body)]) @function
(function_declaration name: (identifier) @name body: (statement_block) @body) @function
(generator_function_declaration name: (identifier) @name body: (statement_block) @body) @function

(export_statement declaration: (class_declaration name: (identifier) @name body: (class_body) @body)) @type
(class_declaration name: (identifier) @name body: (class_body) @body) @type

; const f = () => {...}, const f = function () {...}, const C = class {...}
(export_statement declaration: (lexical_declaration (variable_declarator
  name: (identifier) @name
  value: [(arrow_function body: (_) @body) (function_expression body: (_) @body)]))) @function
(lexical_declaration (variable_declarator
  name: (identifier) @name
  value: [(arrow_function body: (_) @body) (function_expression body: (_) @body)])) @function
(variable_declaration (variable_declarator
  name: (identifier) @name
  value: [(arrow_function body: (_) @body) (function_expression body: (_) @body)])) @function
(lexical_declaration (variable_declarator
  name: (identifier) @name
  value: (class body: (class_body) @body))) @type

; Object literals holding functions are namespaces: handlers.login
(export_statement declaration: (lexical_declaration (variable_declarator
  name: (identifier) @name
  value: (object [(method_definition) (pair value: [(arrow_function) (function_expression)])])))) @module
(lexical_declaration (variable_declarator
  name: (identifier) @name
  value: (object [(method_definition) (pair value: [(arrow_function) (function_expression)])]))) @module

; module.exports = { login() {...}, ... }
(expression_statement (assignment_expression
  left: (member_expression) @name
  right: (object [(method_definition) (pair value: [(arrow_function) (function_expression)])]))) @module

; obj.f = function () {...}, module.exports.f = () => {...}
(expression_statement (assignment_expression
  left: (member_expression) @name
  right: [(arrow_function body: (_) @body) (function_expression body: (_) @body)])) @function

; Class members and object members.
(method_definition name: (_) @name body: (statement_block) @body) @function
(field_definition
  property: (_) @name
  value: [(arrow_function body: (_) @body) (function_expression body: (_) @body)]) @function
(pair
  key: (_) @name
  value: [(arrow_function body: (_) @body) (function_expression body: (_) @body)]) @function
