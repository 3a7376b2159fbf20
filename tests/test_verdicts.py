"""Self-tests for parity.verdicts: band edges, combining verdicts and claim rows."""

import pytest

from parity.verdicts import VERDICTS, claims_text, band, band_verdict, claim, combine


@pytest.mark.parametrize("low, high, band, expected", [
    (10, 100, band("C1"), "confirmed"),  # both edges inclusive
    (20, 30, band("C1"), "confirmed"),
    (9.99, 12, band("C1"), "partly"),  # straddles the lower edge
    (90, 100.01, band("C1"), "partly"),  # straddles the upper edge
    (5, 200, band("C1"), "partly"),  # wider than the band on both sides
    (1.2, 9.9, band("C1"), "refuted"),  # wholly below
    (101, 120, band("C1"), "refuted"),  # wholly above
    (5, 10, band("C1"), "partly"),  # touches the lower edge from below
    (5, 50, band("C2"), "confirmed"),
    (4.99, 50, band("C2"), "partly"),
    (50.01, 60, band("C2"), "refuted"),
    (0.2, 0.8, band("C3", "candidate"), "confirmed"),
    (0.8, 1.5, band("C3", "candidate"), "partly"),
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
    assert list(claims_text()) == expected, f"expected {expected}, got {list(claims_text())}"
    assert all(title and "\n" not in title for title in claims_text().values()), "titles must be one line"
    assert VERDICTS == ("confirmed", "partly", "refuted", "not-testable-here"), f"got {VERDICTS}"


def test_claim_rows_carry_their_title_and_bands_into_the_document():
    from parity.claims import compute
    from parity.render.common import claimed_band

    doc = {"claims": compute({})}
    c1 = next(r for r in doc["claims"] if r["id"] == "C1")
    assert c1["title"] == "Writes 10–100x faster on Redis" and c1["bands"][0]["low"] == 10.0, c1
    assert claimed_band(doc, "put") == band("C1") and claimed_band(doc, "get_tuple_latest") == band("C2")
    c1["bands"][0]["low"] = 20.0  # renderers read the band from the document, not from the table
    assert claimed_band(doc, "put") == (20.0, 100.0)


@pytest.mark.parametrize("ci, expected, edge", [((10.3, 12.0), "partly", 10.0), ((9.5, 11.0), "partly", None),
                                                (((11.5, 13.0)), "confirmed", None), ((8.0, 9.5), "partly", 10.0),
                                                ((7.0, 8.5), "refuted", None)])
def test_a_ci_within_the_runs_margin_of_an_edge_is_partly_and_names_it(ci, expected, edge):
    from parity.verdicts import near_edge

    assert band_verdict(*ci, 10.0, 100.0, margin=0.10) == expected
    assert near_edge(*ci, 10.0, 100.0, 0.10) == edge


def test_a_ci_that_moves_by_at_most_the_margin_never_turns_a_verdict_over():
    """Issue 28, item 5: between two runs of one commit a CI moves by up to the run's stated margin; a verdict may
    go to or from partly, never from confirmed to refuted or back."""
    margin = 0.10
    for k in range(400):
        low = 6.0 + k * 0.02
        for width in (0.2, 1.0, 3.0):
            before = band_verdict(low, low + width, 10.0, 100.0, margin)
            for move in (1 / (1 + margin), 1.0, 1 + margin):
                after = band_verdict(low * move, (low + width) * move, 10.0, 100.0, margin)
                assert {before, after} != {"confirmed", "refuted"}, (low, width, move, before, after)
