-- Report: persons by their family's desil in the finalized semester '{semester}' and now, per kabupaten/kota.
SELECT left(p.kode_desa, 4) AS kode_kab, od.desil AS desil_lama, nd.desil AS desil_baru, count(*)::BIGINT AS orang
FROM {person} p
JOIN {decile} nd ON nd.family_id = p.family_id
JOIN {final_person} op ON op.person_id = p.person_id AND op.semester = '{semester}'
JOIN {final_decile} od ON od.family_id = op.family_id AND od.semester = '{semester}'
WHERE p.is_active
GROUP BY ALL ORDER BY kode_kab, desil_lama, desil_baru
