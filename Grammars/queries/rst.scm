; Chunk query for reStructuredText (tree-sitter-rst). This grammar's `section` holds only the
; title and its adornment lines: as @heading, Quarry extends each one to the next title of the
; same or a higher level (levels by adornment style, in order of appearance, as docutils does),
; then chunks it like a Markdown section under its heading path.

(section (title) @name) @heading
