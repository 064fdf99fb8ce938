"""Where the persons of a drop live: a sample of real villages, and the chunks they are built in.

A drop of N persons cannot hold every one of the 83,762 villages (a 50,000-person drop would put
one person in each), so it samples about N / PERSONS_PER_VILLAGE villages by systematic
sampling with probability proportional to size, the size of a village being its regency's
population divided by the regency's number of villages. Ordered by code, the sample spreads
over provinces and regencies like the population does (penduduk_wilayah.csv). The persons are
then shared among the sampled villages with some spread in village size.

Generation runs in chunks of whole districts (kecamatan), so everything keyed by a district (NIK
and NO_KK serials) or a village (record ids) is complete within one chunk.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dtsen_assets.synth.reference import Reference

PERSONS_PER_VILLAGE = 500      # average persons per sampled village
MIN_VILLAGES = 5               # so that even a tiny drop has somewhere to move to
CHUNK_PERSONS = 100_000        # persons per chunk (fixed: the output depends on it)


def sample_villages(reference: Reference, persons: int, rng: np.random.Generator) -> pd.DataFrame:
    """Sampled villages with their number of persons (summing to `persons`), ordered by code."""
    villages = reference.villages
    regencies = reference.regencies.set_index("kode_kab")
    measure = (regencies["population"] / regencies["n_villages"]).reindex(villages["kode_kab"]).to_numpy()
    wanted = int(np.clip(round(persons / PERSONS_PER_VILLAGE), min(MIN_VILLAGES, max(1, persons // 20)),
                         len(villages)))
    cumulative = np.cumsum(measure)
    step = cumulative[-1] / wanted
    points = (rng.random() + np.arange(wanted)) * step
    hit = np.searchsorted(cumulative, points, side="right")
    index, hits = np.unique(hit, return_counts=True)
    sample = villages.iloc[index].reset_index(drop=True).copy()
    # Village sizes vary around the design (lognormal spread), in proportion to how often hit.
    weight = hits * rng.lognormal(0.0, 0.35, len(sample))
    sample["persons"] = rng.multinomial(persons, weight / weight.sum())
    return sample[sample["persons"] > 0].reset_index(drop=True)


def plan_chunks(villages: pd.DataFrame, chunk_persons: int = CHUNK_PERSONS) -> list[pd.DataFrame]:
    """Split the sampled villages into chunks of whole districts of about `chunk_persons` persons."""
    per_district = villages.groupby("kode_kec", sort=True)["persons"].sum()
    chunk_of_district = {}
    chunk, filled = 0, 0
    for kode_kec, persons in per_district.items():
        if filled > 0 and filled + persons > chunk_persons:
            chunk, filled = chunk + 1, 0
        chunk_of_district[kode_kec] = chunk
        filled += persons
    labels = villages["kode_kec"].map(chunk_of_district)
    return [part.reset_index(drop=True) for _, part in villages.groupby(labels, sort=True)]
