; Chunk query for Scala 2 and 3 (tree-sitter-scala). See python.scm for the capture names.
; Annotations are children of the definition and stay in its chunk; Scaladoc (/** */) is
; kept as a block comment.

(package_clause name: (package_identifier) @name body: (template_body) @body) @module
(package_clause name: (package_identifier) @name) @package

(class_definition name: (_) @name body: (template_body)? @body) @type
(object_definition name: (_) @name body: (template_body)? @body) @type
(trait_definition name: (_) @name body: (template_body)? @body) @type
(enum_definition name: (_) @name body: (enum_body) @body) @type

(function_definition name: (_) @name body: (_) @body) @function
(given_definition name: (_) @name body: (_) @body) @function
