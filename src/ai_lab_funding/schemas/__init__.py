"""Everything the Table Schemas in `schemas/` say: tables, fields, keys, types, code lists.

`tables` reads the schemas, `types` maps each Table Schema type to every engine's type,
and `codelists` gives the ISO code lists a field may name (it needs pycountry, so only
the build imports it). Nothing here imports a validation library.
"""
