; Chunk query for Rust (tree-sitter-rust 0.23). See python.scm for the capture names.
; Methods are qualified by their impl's type (impl Router -> Router.route; a trait impl
; `impl Display for Router` also -> Router.fmt). `#[...]` attribute lines above an item are
; kept with it through the manifest's attribute_prefixes; `///` doc comments like any comment.

(mod_item name: (identifier) @name body: (declaration_list) @body) @module

(impl_item type: (_) @name body: (declaration_list) @body) @type
(trait_item name: (type_identifier) @name body: (declaration_list) @body) @type
(struct_item name: (type_identifier) @name) @type
(enum_item name: (type_identifier) @name body: (enum_variant_list) @body) @type
(union_item name: (type_identifier) @name body: (field_declaration_list) @body) @type

(function_item name: (_) @name body: (block) @body) @function
(macro_definition name: (identifier) @name) @function
