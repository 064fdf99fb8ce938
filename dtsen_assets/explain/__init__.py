"""Explain one person or family from the published tables: "why is this family desil 5 and not 4?".

    python -m dtsen_assets.explain --nik N | --person-id ID | --family-id ID [--json] [--unmask --reason R]

Everything shown is read from tables the build published (dtsen.*, unify.match_evidence,
unify.person_value_source, unify.family_value_source, unify.verivali_outcome, welfare.*, and
dtsen.release when it exists); nothing is recomputed. See docs/audit.md.
"""

from dtsen_assets.explain.core import ExplainQuery, explain, explain_many
from dtsen_assets.explain.render import render_text

__all__ = ["ExplainQuery", "explain", "explain_many", "render_text"]
