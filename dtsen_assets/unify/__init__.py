"""Unify: source person records made one ("ditunggalkan") and matched to Dukcapil ("dipadankan").

Where to look:

| question | file |
|---|---|
| how is a name compared (titles, BIN/BINTI, MUH./MOCH ...)? | `sql/unify/name_macros.sql`, `model.py` |
| when is a record PADAN on its own NIK? | `sql/unify/padan_exact.sql` |
| how is a wrong or missing NIK corrected? | `padan.py`, `sql/unify/search_candidates.sql`, `search_resolve.sql`, `model.py` |
| what is the linkage model, how is it trained? | `model.py`, `splink_runner.py`, `sql/unify/training_sample.sql` |
| what happens to records Dukcapil cannot confirm? | `linkage.py`, `sql/unify/rest_*.sql` |
| how is person_id made, which values does a person get? | `ids.py`, `sql/unify/record_match.sql`, `person_key.sql`, `person.sql` |
| how are families and their welfare variables built? | `families.py`, `sql/unify/family.sql` |
| what does a village-meeting decision change? | `sql/unify/verivali_claims.sql`, `verivali_outcome.sql` |
| thresholds | `config.py` (`UnifyConfig`, a dg.Config) |
| checks | `dtsen_assets/checks/unify.py` |

The rules in short (each file says them in full):

1. **Padan on the record's own NIK.** A cleaned NIK that Dukcapil knows, with the same sex and
   birth date and names agreeing (>= 0.80; >= 0.90 without a birth date; >= 0.95 when the dates
   differ in one part), is PADAN: `exact_nik` (or `cleaned_nik` after an apostrophe or spaces).
2. **Candidate search.** Every other record (NIK empty, all zeros, one digit short or long,
   mistyped, or someone else's: NIK ganda) is compared with Dukcapil persons found by blocking:
   its NIK, the NIK a village meeting proposed, the current card its confirmed relatives are on,
   birth date in the regency or with the first name; fallback rules (NIK fragments, the card the
   source shows, village with a name token, regency with the whole name, village with sex and the
   birth year an age allows) only for records without a plausible candidate. Splink scores the
   pairs with a Fellegi-Sunter model trained on the drop (u on random pairs, m by EM, term
   frequencies for names and dates; trained on sorted inputs and one DuckDB thread, so one drop
   always gives the same model and links, to the last bit). The best candidate is taken at posterior >= 0.95 (against
   the other candidates and a 2% prior that the person is not in Dukcapil), provided the
   identity itself (name, birth date, sex) brings >= 4 bits: the NIK, village and card, which a
   relative whose NIK was copied shares, never match two people by themselves.
3. **The rest** (unmatched records): linked with the same model to another record's person, or
   clustered among themselves (Splink connected components); TIDAK_PADAN, no NIK.
4. **Persons** are anchored on the confirmed NIK: every record of one Dukcapil person, in every
   source and twice in one, becomes that person; two people who shared a NIK stay two. Identity,
   current NO_KK and village come from Dukcapil. Dead in Dukcapil: inactive, 'meninggal_dukcapil'.
   `person_id` = 'P' + 16 hex of sha256(key|nik:NIK), else 'R' + 16 hex of
   sha256(key|rec:source:record id) of the smallest record of the cluster, where key is the
   warehouse's secret id key (configured, or created on first use and kept in the warehouse):
   an id reveals nothing about the NIK. A person keeps its id across drops: when its anchor
   changes (NIK confirmed later, two earlier persons merged) the earlier id is kept and the
   retired one recorded in `unify.person_id_history` (`ids.py`, `sql/unify/person_key.sql`).
5. **Families**: one per current card with active members; composition and head from the active
   members; welfare variables by survivorship (DTKS if updated after REGSOSEK, then REGSOSEK, DTKS,
   P3KE), each with its `_source`.
6. **Verivali decisions are claims**: MENINGGAL counts only when Dukcapil confirms the death (else a
   ground check is listed), PERBAIKAN_NIK only when NIK_BARU is a Dukcapil NIK whose identity agrees
   (it enters the search as a candidate), PINDAH is confirmed by Dukcapil's current village, MAMPU is
   left to the welfare ranking, USULAN_BARU is listed, TETAP recorded (`unify.verivali_outcome`).
"""
