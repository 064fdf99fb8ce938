"""Family plausibility (`family_karantina.sql`): which families are quarantined instead of ranked.

A family card with 200 members, two heads of family or a member aged 150 is a merged or corrupted
card. Ranking it would give a desil to a family that does not exist (one card of 186 people is
"very poor per person"), so it is listed in `unify.family_karantina` with its reason, counted by the
warning check `family_plausible`, and the welfare scoring puts it in `welfare.belum_terdata`
(alasan `keluarga_dikarantina`) until a field check splits or corrects the card.
"""

from __future__ import annotations

from dataclasses import dataclass

KARANTINA_TABLE = "unify.family_karantina"


@dataclass(frozen=True)
class Plausibility:
    max_members: int = 20     # the largest Indonesian households are about 15; a card above 20 is merged
    max_age: int = 120        # older than any living person


DEFAULT_PLAUSIBILITY = Plausibility()
