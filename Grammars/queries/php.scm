; Chunk query for PHP (tree-sitter-php 0.23, the `php` grammar that also parses
; the HTML around <?php ... ?>). See python.scm for the capture names.

; `namespace App\Http;` prefixes the symbols after it; a braced namespace is a module.
(namespace_definition name: (namespace_name) @name body: (compound_statement) @body) @module
(namespace_definition name: (namespace_name) @name) @package

(class_declaration name: (name) @name body: (declaration_list) @body) @type
(interface_declaration name: (name) @name body: (declaration_list) @body) @type
(trait_declaration name: (name) @name body: (declaration_list) @body) @type
(enum_declaration name: (name) @name body: (enum_declaration_list) @body) @type

(function_definition name: (name) @name body: (compound_statement) @body) @function
(method_declaration name: (name) @name body: (compound_statement) @body) @function
