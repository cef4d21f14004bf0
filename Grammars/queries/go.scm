; Chunk query for Go (tree-sitter-go 0.23). See python.scm for the capture names.

; The package name prefixes every symbol in the file.
(package_clause (package_identifier) @name) @package

(function_declaration
  name: (identifier) @name
  body: (block) @body) @function

; Methods are qualified by their receiver's type: Server.HandleLogin.
(method_declaration
  receiver: (parameter_list
    (parameter_declaration
      type: [(type_identifier) @scope
             (pointer_type (type_identifier) @scope)
             (generic_type type: (type_identifier) @scope)
             (pointer_type (generic_type type: (type_identifier) @scope))]))
  name: (field_identifier) @name
  body: (block) @body) @function

(type_declaration
  (type_spec
    name: (type_identifier) @name
    type: [(struct_type) (interface_type)])) @type
