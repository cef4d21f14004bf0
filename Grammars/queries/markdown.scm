; Chunk query for Markdown (tree-sitter-markdown, block grammar). The grammar nests each
; heading's `section` in its parent's, so a chunk is one section's own text with its
; subsections reduced to their heading lines, named by the heading path
; (`Contributing > Adding a language`). Text before the first heading is top-level.

(section [
  (atx_heading heading_content: (_) @name)
  (setext_heading heading_content: (_) @name)]) @section
