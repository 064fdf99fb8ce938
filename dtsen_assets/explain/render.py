"""The explanation as text an auditor or a village officer can read (`python -m dtsen_assets.explain`)."""

from __future__ import annotations

from typing import Any

FIELD_WORDS = {"nik": "NIK", "nama": "nama", "tgl_lahir": "tanggal lahir", "jenis_kelamin": "jenis kelamin",
               "desa": "desa", "kartu_keluarga": "kartu keluarga"}
STEP_WORDS = {
    "padan_nik_sendiri": "padan langkah 1: NIK record sendiri ada di Dukcapil dan identitasnya cocok",
    "padan_pencarian": "padan langkah 2: dicari di Dukcapil dan dinilai model Fellegi-Sunter (Splink)",
    "tautan_record_lain": "ditautkan ke orang dari record lain (Splink)",
    "klaster_probabilistik": "dikelompokkan dengan record lain tanpa NIK Dukcapil (Splink)",
    "tidak_tertaut": "tidak tertaut ke Dukcapil maupun record lain",
}


def _move(step: dict, direction: str, rupiah: str) -> str:
    """'untuk naik ke desil 5 perkiraan harus naik ke Rp .. (+Rp .., +3.1%)' (or turun)."""
    return (f"untuk {direction} ke desil {step['desil']} perkiraan harus {direction} ke {_rp(step['target'])} "
            f"({rupiah}, {_percent(step['selisih_persen'])})")


def _rp(value: Any) -> str:
    if value is None:
        return "-"
    return "Rp " + f"{float(value):,.0f}".replace(",", ".")


def _percent(value: float) -> str:
    # a family a hair from a cut point must not read "-0.0%"
    return f"{value:+.2f}%" if abs(value) < 1 else f"{value:+.1f}%"


def _num(value: Any, digits: int = 2) -> str:
    return "-" if value is None else f"{float(value):.{digits}f}"


def _prob(value: Any) -> str:
    if value is None:
        return "-"
    value = float(value)
    return f"{value:.6f}" if value >= 1e-4 else f"{value:.1e}"


def _fields(evidence: list[dict[str, Any]] | None) -> str:
    if not evidence:
        return "-"
    return "; ".join(f"{FIELD_WORDS.get(f['field'], f['field'])}: {f['level']} ({float(f['weight']):+.1f})"
                     for f in evidence)


def render_text(explanation: dict[str, Any]) -> str:
    lines: list[str] = []
    add = lines.append
    query = explanation["query"]
    add(f"Penjelasan untuk {query['kind']} {query['value']}"
        + ("  (data pribadi disamarkan; --unmask untuk membuka, tercatat)" if explanation["masked"] else
           "  (TIDAK DISAMARKAN: penggunaan ini tercatat di audit.unmask_log)"))
    release = explanation["release"]
    if release.get("available"):
        add(f"Rilis: {release.get('release_id')}  run {release.get('run_id')}  drop sha256 "
            f"{str(release.get('drop_sha256'))[:16]}…  kode {release.get('code_version')}  model "
            f"{release.get('model_version')}  diterbitkan {release.get('published_at')}")
    else:
        add(f"Rilis: tidak diketahui ({release.get('note')}); model {release.get('model_version', '-')}")
    if not explanation["found"]:
        add("Tidak ditemukan di dtsen.person / dtsen.family.")
        return "\n".join(lines)
    for section in explanation["persons"]:
        lines.extend(_person_lines(section))
    for family in explanation["families"]:
        lines.extend(_family_lines(family))
    return "\n".join(lines)


def _person_lines(section: dict[str, Any]) -> list[str]:
    p = section["person"]
    out = ["", f"== Orang {p['person_id']}: {p.get('nama')}, lahir {p.get('tgl_lahir')}, {p.get('jenis_kelamin')}, "
               f"NIK {p.get('nik')}, KK {p.get('no_kk')}, desa {p.get('kode_desa')}",
           f"   {p.get('status_padan')}, {'aktif' if p.get('is_active') else 'tidak aktif (' + str(p.get('inactive_reason')) + ')'}"
           f", keluarga {p.get('family_id')}"]
    if section.get("value_sources"):
        out.append("   Asal nilai: " + "; ".join(
            f"{s['variabel']} <- {s['source']}" + (f" {s['source_record_id']}" if s.get("source_record_id") else "")
            for s in section["value_sources"]))
    records = section.get("records") or []
    out.append(f"   Record sumber ({len(records)}):")
    for r in records:
        edits = r.get("nik_raw_edits_from_dukcapil")
        differs = ("" if edits is None else " (sama dengan NIK Dukcapil)" if edits == 0
                   else f" (berbeda {edits} digit dari NIK Dukcapil: dikoreksi)")
        out.append(f"   - {r['source'].upper()} {r['source_record_id']} (keluarga sumber {r.get('source_family_id')}, "
                   f"baris {r.get('line_number')}): NIK tertulis {r.get('nik_raw') or '-'}{differs}, "
                   f"{r.get('nama')}, {r.get('tgl_lahir')}")
        out.append(f"     metode {r['match_method']}, skor {_prob(r.get('match_score'))}"
                   + (f", ditolak: {r['reject_reason']}" if r.get("reject_reason") else "")
                   + (f", tidak padan: {r['unmatched_reason']}" if r.get("unmatched_reason") else ""))
        if r.get("step"):
            out.append(f"     {STEP_WORDS.get(r['step'], r['step'])}")
        if r.get("own_nik_status"):
            out.append(f"     cek NIK sendiri: {r['own_nik_status']} (skor nama {_num(r.get('own_nik_name_score'))})")
        if r.get("nik_verivali"):
            out.append(f"     NIK dari musyawarah desa (verivali): {r['nik_verivali']}")
        if r.get("nik_chosen"):
            out.append(f"     kandidat terpilih NIK {r['nik_chosen']}: bobot {_num(r.get('chosen_match_weight'), 1)} bit, "
                       f"posterior {_prob(r.get('chosen_posterior'))} dari {r.get('candidates')} kandidat")
            out.append(f"       per kolom: {_fields(r.get('field_evidence'))}")
            out.append(f"       cocok: {', '.join(r.get('agreeing_fields') or []) or '-'}; "
                       f"berbeda: {', '.join(r.get('disagreeing_fields') or []) or '-'}")
            if r.get("nik_runner_up"):
                out.append(f"     kandidat kedua NIK {r['nik_runner_up']}: bobot {_num(r.get('runner_up_match_weight'), 1)} bit, "
                           f"posterior {_prob(r.get('runner_up_posterior'))}")
                out.append(f"       per kolom: {_fields(r.get('runner_up_field_evidence'))}")
            else:
                out.append("     kandidat kedua: tidak ada")
        if r.get("linked_posterior") is not None:
            out.append(f"     tautan ke record lain: posterior {_prob(r['linked_posterior'])}, "
                       f"bobot {_num(r.get('linked_match_weight'), 1)} bit")
    if section.get("verivali"):
        out.append("   Musyawarah desa (verivali):")
        for v in section["verivali"]:
            out.append(f"   - {v.get('tgl_musdes')} BA {v.get('no_ba')} ({v.get('source_file')} baris {v.get('line_number')}): "
                       f"{v.get('aksi')} -> {v.get('outcome')}")
    else:
        out.append("   Musyawarah desa (verivali): tidak ada keputusan")
    items = section.get("cek_bansos")
    if items is None:
        out.append("   Cek Bansos: tidak ada tabel Cek Bansos di gudang data ini")
    else:
        out.append(f"   Cek Bansos: {len(items)} usulan/sanggahan" + ("" if items else " (tidak ada)"))
        for item in items:
            out.append(f"   - {item}")
    return out


def _family_lines(family: dict[str, Any]) -> list[str]:
    out = ["", f"== Keluarga {family['family_id']}: KK {family.get('no_kk')}, desa {family.get('kode_desa')}, "
               f"{family.get('jumlah_art')} anggota aktif"]
    out.append("   Anggota: " + "; ".join(
        f"{m['person_id']} {m.get('nama')}{'' if m.get('is_active') else ' (tidak aktif)'}" for m in family["members"]))
    out.append("   Nilai dan asalnya:")
    for v in family["values"]:
        origin = v.get("source") or "-"
        if v.get("source_id"):
            origin += f" {v['source_id']}"
        if v.get("tgl_update"):
            origin += f" (diperbarui {v['tgl_update']})"
        out.append(f"   - {v['variabel']} = {v.get('nilai')}  <- {origin}")
    w = family["welfare"]
    if not w.get("scored"):
        out.append(f"   Belum dinilai PMT: {w.get('belum_terdata') or w.get('note')}")
        return out
    out.append(f"   PMT: perkiraan pengeluaran {_rp(w.get('pengeluaran_kapita_pmt'))} per orang per bulan "
               f"(model {w.get('model_version')}, data {w.get('data_model', '-')})")
    cut = w.get("cut_points") or {}
    out.append(f"   Desil {w.get('desil')} (persentil {_num(w.get('persentil'), 1)}): desil ini "
               f"{_rp(cut.get('desil_min'))} .. {_rp(cut.get('desil_maks'))}")
    if "batas_bawah" in cut:
        b, down = cut["batas_bawah"], cut["turun_ke_desil"]
        out.append(f"   Batas bawah: desil {down['desil']} sampai {_rp(b['desil_bawah_maks'])}, desil ini mulai "
                   f"{_rp(b['desil_ini_min'])}; {_move(down, 'turun', '-' + _rp(abs(down['selisih_rupiah'])))}")
    if "batas_atas" in cut:
        b, up = cut["batas_atas"], cut["naik_ke_desil"]
        out.append(f"   Batas atas: desil ini sampai {_rp(b['desil_ini_maks'])}, desil {up['desil']} mulai "
                   f"{_rp(b['desil_atas_min'])}; {_move(up, 'naik', '+' + _rp(up['selisih_rupiah']))}")
    factors = w.get("factors") or []
    if factors:
        out.append(f"   Faktor (dibanding keluarga umum kabupaten/kota; selisih seluruhnya "
                   f"{factors[0].get('selisih_dari_keluarga_umum_persen'):+.1f}%):")
        for f in factors:
            out.append(f"   {f['peringkat']}. {f['penjelasan']} [{f['variabel']}, {f['dampak_persen']:+.1f}%]")
    return out
