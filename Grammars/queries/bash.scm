; Chunk query for Bash and POSIX shell (tree-sitter-bash). See python.scm for the capture names.
; Both `f() { ...; }` and `function f { ...; }` are function_definition.

(function_definition name: (word) @name body: (_) @body) @function
