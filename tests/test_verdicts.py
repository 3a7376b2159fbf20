"""Self-tests for parity.verdicts: band edges, combining verdicts and claim rows."""

import pytest

from parity.verdicts import BANDS, CLAIMS, VERDICTS, band_verdict, claim, combine


@pytest.mark.parametrize("low, high, band, expected", [
    (10, 100, BANDS["C1"], "confirmed"),  # both edges inclusive
    (20, 30, BANDS["C1"], "confirmed"),
    (9.99, 12, BANDS["C1"], "partly"),  # straddles the lower edge
    (90, 100.01, BANDS["C1"], "partly"),  # straddles the upper edge
    (5, 200, BANDS["C1"], "partly"),  # wider than the band on both sides
    (1.2, 9.9, BANDS["C1"], "refuted"),  # wholly below
    (101, 120, BANDS["C1"], "refuted"),  # wholly above
    (5, 10, BANDS["C1"], "partly"),  # touches the lower edge from below
    (5, 50, BANDS["C2"], "confirmed"),
    (4.99, 50, BANDS["C2"], "partly"),
    (50.01, 60, BANDS["C2"], "refuted"),
    (0.2, 0.8, BANDS["C3.redis_ms"], "confirmed"),
    (0.8, 1.5, BANDS["C3.redis_ms"], "partly"),
])
def test_band_verdict(low, high, band, expected):
    got = band_verdict(low, high, *band)
    assert got == expected, f"CI [{low}, {high}] in band {band}: expected {expected}, got {got}"


def test_band_verdict_rejects_inverted_intervals():
    with pytest.raises(ValueError):
        band_verdict(12, 10, 10, 100)
    with pytest.raises(ValueError):
        band_verdict(10, 12, 100, 10)


@pytest.mark.parametrize("verdicts, expected", [
    ([], "not-testable-here"),
    (["not-testable-here"] * 2, "not-testable-here"),
    (["confirmed", "confirmed"], "confirmed"),
    (["refuted", "refuted"], "refuted"),
    (["confirmed", "refuted"], "partly"),
    (["partly"], "partly"),
    (["confirmed", "not-testable-here"], "confirmed"),
    (["refuted", "not-testable-here"], "refuted"),
    (["confirmed", "partly", "not-testable-here"], "partly"),
])
def test_combine(verdicts, expected):
    got = combine(verdicts)
    assert got == expected, f"combine({verdicts}): expected {expected}, got {got}"


def test_combine_rejects_unknown_verdict():
    with pytest.raises(ValueError):
        combine(["confirmed", "maybe"])


def test_claim_row():
    row = claim("C1", "partly", "CI [8.1, 14.0] straddles 10", evidence=["ratios/put"])
    expected = {"id": "C1", "verdict": "partly", "reason": "CI [8.1, 14.0] straddles 10",
                "evidence": ["ratios/put"]}
    assert row == expected, f"expected {expected}, got {row}"
    assert claim("C2", "confirmed", "ok")["evidence"] == [], "expected evidence to default to []"


def test_claim_rejects_bad_verdict_and_multiline_reason():
    with pytest.raises(ValueError):
        claim("C1", "yes", "reason")
    with pytest.raises(ValueError):
        claim("C1", "confirmed", "line one\nline two")


def test_claims_table_is_c1_to_c15():
    expected = [f"C{i}" for i in range(1, 16)]
    assert list(CLAIMS) == expected, f"expected {expected}, got {list(CLAIMS)}"
    assert all(title and "\n" not in title for title in CLAIMS.values()), "titles must be one line"
    assert VERDICTS == ("confirmed", "refuted", "partly", "not-testable-here"), f"got {VERDICTS}"
