"""Programs and the field loop: who is a candidate for PKH, BPNT, PBI-JK and KIP Kuliah, how today's
recipients compare, what every village decision and Cek Bansos claim became, and the Dinas Sosial report.

| question | where |
|---|---|
| what are the rules, their legal basis and thresholds? | `program/aturan.yaml` (validated by `program/rules.py`) |
| who is a candidate, with which status? | `sql/program/orang.sql`, `kandidat.sql` |
| what became of a village decision? | `sql/program/verivali_tugas.sql`, `tugas.sql` |
| what became of a Cek Bansos proposal or objection? | `sql/program/cekbansos.sql` |
| who receives today and would stay or leave? | `sql/program/penerima.sql`, `penerima_ringkasan.sql` |
| what does a Dinas Sosial officer get? | `program/report.py` |
"""
