; Chunk query for Swift (tree-sitter-swift 0.7, alex-pinkus). See python.scm for the capture names.
; class, struct, enum, actor and extension are all class_declaration; attributes
; (@MainActor, @objc) and modifiers are children of the declaration, so they stay in its chunk.

(class_declaration name: (_) @name body: [(class_body) (enum_class_body)] @body) @type
(protocol_declaration name: (type_identifier) @name body: (protocol_body) @body) @type

; No @body capture here: with both fields libtree-sitter 0.20 takes 16 s to compile the pattern;
; Quarry finds the `body` field itself.
(function_declaration name: (_) @name) @function
(init_declaration "init" @name body: (function_body) @body) @function
(deinit_declaration "deinit" @name body: (function_body) @body) @function
(subscript_declaration "subscript" @name (computed_property) @body) @function
