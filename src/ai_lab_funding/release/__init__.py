"""The release half: validated tables → files → standards check → atomic swap → docs.

In pipeline order:

1. `files`     writes each table as CSV and Parquet, and `datapackage.json`, byte-stable.
2. `standards` checks the written files with Frictionless (CSV) and against Arrow (Parquet).
3. `swap`      replaces the release folder by renames, so a crash never half-writes it.
4. `docs`, `figures` regenerate the data dictionary, the README tables and the figures.

`publish` runs the four over the tables `ai_lab_funding.build` validated.
"""
