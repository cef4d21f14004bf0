; Chunk query for Python (tree-sitter-python 0.23).
; Captures: @function @type @module @statement @query @package = the chunk node;
; @name = its name; @body = the block whose statements are split points; @scope = extra qualifier.

(decorated_definition
  definition: (function_definition
    name: (identifier) @name
    body: (block) @body)) @function

(function_definition
  name: (identifier) @name
  body: (block) @body) @function

(decorated_definition
  definition: (class_definition
    name: (identifier) @name
    body: (block) @body)) @type

(class_definition
  name: (identifier) @name
  body: (block) @body) @type
