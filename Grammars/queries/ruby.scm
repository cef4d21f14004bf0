; Chunk query for Ruby (tree-sitter-ruby 0.23). See python.scm for the capture names.

(module name: [(constant) (scope_resolution)] @name body: (_)? @body) @module
(class name: [(constant) (scope_resolution)] @name body: (_)? @body) @type

(method name: (_) @name body: (_)? @body) @function
; def self.default / def obj.name: the object qualifies the name unless it is `self`.
(singleton_method object: (_) @scope name: (_) @name body: (_)? @body) @function
