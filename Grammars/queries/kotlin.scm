; Chunk query for Kotlin (tree-sitter-kotlin, fwcd). See python.scm for the capture names.
; This grammar has few fields, so children are matched by type. Annotations are part of
; the declaration's modifiers and stay in its chunk; KDoc (/** */) is kept as a block comment.

(package_header (identifier) @name) @package

(class_declaration (type_identifier) @name [(class_body) (enum_class_body)] @body) @type
(object_declaration (type_identifier) @name (class_body) @body) @type
(companion_object "companion" @name (class_body) @body) @type

(function_declaration (simple_identifier) @name (function_body) @body) @function
(secondary_constructor "constructor" @name) @function
(anonymous_initializer "init" @name) @function
