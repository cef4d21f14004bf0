; Chunk query for Lua (tree-sitter-lua). See python.scm for the capture names.
; `function M.f()` and `function M:f()` keep the table in the symbol (M.f); `---` LuaDoc
; comments are `--` line comments (manifest line_comments).

(function_declaration name: (_) @name body: (block)? @body) @function

; M.f = function () ... end, local f = function () ... end
(assignment_statement
  (variable_list name: (_) @name)
  (expression_list value: (function_definition body: (block)? @body))) @function
(variable_declaration (assignment_statement
  (variable_list name: (_) @name)
  (expression_list value: (function_definition body: (block)? @body)))) @function
