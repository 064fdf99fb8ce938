"""Welfare ranking of DTSEN families: the proxy means test (PMT), desil and explanations.

Plain functions, each tested on its own; the Dagster assets in `dtsen_assets.assets.welfare`
only wire them together.

- `variables`   the canonical family welfare variables the model may use, with words for them
- `features`    the one feature builder: SUSENAS households and DTSEN families -> the same features
- `metrics`     population-weighted targeting errors, R², weighted quantiles
- `models`      candidate PMT models, cross-validation, selection, the publish gate, versioning
- `scoring`     streaming a fitted model over dtsen.family, batch by batch, back into DuckDB
- `deciles`     population-weighted national desil cut points
- `explain`     why a family's predicted welfare differs from a typical family of its regency
"""
