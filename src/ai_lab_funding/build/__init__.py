"""The build half: curated CSVs → typed tables → derived tables → every rule → a release.

In pipeline order:

1. `curated`    reads each curated CSV into typed polars columns, naming every bad cell.
2. `derive`     computes what the curated tables imply (USD, parsed reports, checks, sums).
3. `rules`      checks column constraints and the catalogue of cross-table rules.
4. `validation` runs 1–3 over a folder and hands the tables to `ai_lab_funding.release`.

`frames` converts between polars and pandas; `spark_checks` runs the column rules on Spark.
Nothing in the user half (`load`, `fetch`, the read-only commands) imports this package.
"""
