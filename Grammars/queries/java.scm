; Chunk query for Java (tree-sitter-java 0.23). See python.scm for the capture names.

; The package prefixes every symbol in the file.
(package_declaration [(scoped_identifier) (identifier)] @name) @package

(class_declaration name: (identifier) @name body: (class_body) @body) @type
(interface_declaration name: (identifier) @name body: (interface_body) @body) @type
(enum_declaration name: (identifier) @name body: (enum_body) @body) @type
(record_declaration name: (identifier) @name body: (class_body) @body) @type
(annotation_type_declaration name: (identifier) @name body: (annotation_type_body) @body) @type

(method_declaration name: (identifier) @name body: (block) @body) @function
(constructor_declaration name: (identifier) @name body: (constructor_body) @body) @function
(compact_constructor_declaration name: (identifier) @name body: (block) @body) @function
