"""Fuzzing the readers and the parser (issue 11): any mutated document ends as a report or as
UnreadableDocument, never as another exception. Bounded and deterministic (derandomized Hypothesis)."""

from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nianbao.report import UnreadableDocument, check_bytes
from tests.hostile.mutate import Seed, mutate, seeds


@settings(max_examples=60, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck),
          database=None)
@given(seed=st.sampled_from(seeds()), rng=st.randoms(use_true_random=False))
def test_a_mutated_document_is_read_or_refused_never_a_crash(seed: Seed, rng: random.Random) -> None:
    data, _ = mutate(seed, rng)
    try:
        result = check_bytes(data, seed.filename)
    except UnreadableDocument:
        return
    assert result.fully_read or result.gaps  # the flag is consistent with what was not read


def test_the_fuzzer_has_seeds_of_every_format():
    assert {seed.kind for seed in seeds()} == {"text", "html", "docx", "pdf"}
