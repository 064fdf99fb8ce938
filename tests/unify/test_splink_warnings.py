"""Splink's per-level 'not observed, unable to train m value' warnings are collected into one line, not printed."""

from __future__ import annotations

import logging

from dtsen_assets.unify.splink_runner import EM_LOGGER, unobserved_levels


def test_unobserved_levels_are_collected_and_other_warnings_pass(caplog) -> None:
    logger = logging.getLogger(EM_LOGGER)
    with caplog.at_level(logging.WARNING, logger=EM_LOGGER):
        with unobserved_levels() as levels:
            logger.warning("WARNING:\nLevel same kecamatan on comparison desa not observed in dataset, "
                           "unable to train m value\n")
            logger.warning("WARNING:\nLevel same year on comparison tgl_lahir not observed in dataset, "
                           "unable to train m value\n")
            logger.warning("EM did not converge")
        logger.warning("WARNING:\nLevel exact on comparison nama not observed in dataset, unable to train m value\n")
    assert levels == {"desa: same kecamatan", "tgl_lahir: same year"}
    messages = [r.getMessage() for r in caplog.records]
    assert "EM did not converge" in messages                        # any other warning still shows
    assert not any("same kecamatan" in m or "same year" in m for m in messages)
    assert any("Level exact on comparison nama" in m for m in messages)   # outside, the filter is gone
