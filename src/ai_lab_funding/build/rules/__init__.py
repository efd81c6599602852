"""Checking the tables: single-column constraints from the Table Schemas, and the catalogue.

- `columns`: Pandera schemas derived from the Table Schemas (types, required, enum, ...).
- `base`, `keys`, `rounds`, `facts`, `provenance`, `catalogue`: the cross-field and
  cross-table rules, declared as data.
- `runner`: runs both on Pandera's polars backend (and a user's pandas frame).
- `wording`: turns Pandera's failure cases into `Problem`s a contributor can act on.
"""
