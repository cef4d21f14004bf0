; Chunk query for C# (tree-sitter-c-sharp 0.23.1). See python.scm for the capture names.
; [Attributes] are children of the declaration they decorate and stay in its chunk;
; `///` XML doc comments are kept like any line comment.

(file_scoped_namespace_declaration name: (_) @name) @package
(namespace_declaration name: (_) @name body: (declaration_list) @body) @module

(class_declaration name: (identifier) @name body: (declaration_list) @body) @type
(struct_declaration name: (identifier) @name body: (declaration_list) @body) @type
(interface_declaration name: (identifier) @name body: (declaration_list) @body) @type
(record_declaration name: (identifier) @name body: (declaration_list) @body) @type
(enum_declaration name: (identifier) @name body: (enum_member_declaration_list) @body) @type

(method_declaration name: (identifier) @name body: (_) @body) @function
(constructor_declaration name: (identifier) @name body: (_) @body) @function
(destructor_declaration name: (identifier) @name body: (_) @body) @function
(operator_declaration operator: _ @name body: (_) @body) @function
(property_declaration name: (identifier) @name accessors: (accessor_list) @body) @function
