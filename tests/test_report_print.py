"""Reports printed or mailed (issue 13, point 6): the HTML report prints on A4 with every
column (print CSS: fixed page size, tables as wide as the page whose cells wrap), the trend
chart's date labels never overlap, and the mailed HTML is tables only (mail clients drop
inline SVG). The CSS and markup are checked here; the README says how it was checked in
Chromium."""

import re

import pytest
from conftest import ok

LABEL_PX = 6.6  # width of one character of a date label (11 px sans-serif digits)


def test_the_html_report_has_print_css_for_a4_and_tables_that_wrap(seeded_desk):
    ok("ticket open --type crash --title 'App closes' --field phone_model=X --field os=iOS")
    page = ok("report sla --format html", now="2026-11-29T12:00:00Z").out
    css = re.search(r"<style>(.*?)</style>", page, re.S).group(1)
    assert re.search(r"@page\s*\{[^}]*size:\s*A4", css)
    printed = css[css.index("@media print"):]
    assert re.search(r"table\s*\{[^}]*width:\s*100%[^}]*table-layout:", printed)
    assert re.search(r"\.scroll\s*\{[^}]*overflow:\s*visible", printed)  # never clipped
    assert re.search(r"th, td[^{]*\{[^}]*white-space:\s*normal[^}]*overflow-wrap:", printed)
    assert re.search(r"td.free\s*\{[^}]*overflow-wrap:\s*anywhere", printed)
    assert re.search(r"table\s*\{[^}]*font-size:\s*[\d.]+pt", printed)
    # every SLA column is a real table column (nothing but the table decides the width)
    head = re.search(r"<thead><tr>(.*?)</tr></thead>", page, re.S).group(1)
    assert re.findall(r'title="(\w+)"', head)[-3:] == ["resolve_share", "resolve_median",
                                                         "resolve_p90"]


def axis_labels(page: str) -> list[tuple[float, float]]:
    """(left, right) of each date label under the trend chart, by the template's anchors."""
    svg = re.search(r'<svg class="chart".*?</svg>', page, re.S).group(0)
    height = int(re.search(r'viewBox="0 0 \d+ (\d+)"', svg).group(1))
    boxes = []
    for x, y, anchor, text in re.findall(r'<text class="value" x="([\d.]+)" y="([\d.]+)" '
                                         r'text-anchor="(\w+)">([^<]*)</text>', svg):
        if float(y) < height - 30:  # the y axis figures
            continue
        width = len(text) * LABEL_PX
        left = float(x) - (width if anchor == "end" else width / 2)
        boxes.append((left, left + width))
    return boxes


@pytest.mark.parametrize("by,since", [("day", f"2026-11-{d:02d}") for d in range(1, 24)] +
                         [("day", "2026-10-01"), ("day", "2026-10-29"), ("week", "2026-08-31"),
                          ("week", "2026-10-01"), ("month", "2025-12-01"),
                          ("month", "2026-06-01")])
def test_the_trend_chart_s_date_labels_never_overlap(seeded_desk, by, since):
    page = ok(f"report trend --by {by} --since {since} --until 2026-11-30 "
              "--format html").out
    boxes = axis_labels(page)
    assert len(boxes) >= 2 and boxes[-1][1] <= 760 - 16 + 0.5  # inside the plot
    assert boxes[0][0] >= 0
    for (_, right), (left, _) in zip(boxes, boxes[1:], strict=False):
        assert left - right >= 4, (by, since, boxes)


def test_the_mailed_report_is_tables_only_with_inline_styles(seeded_desk, tmp_path):
    ok("config set mail.from 'Reports <desk@school.example>'")
    ok("report trend --mail-to boss@example.com")
    ok(f"outbox send --via maildir:{tmp_path / 'mail'}")
    import email
    import email.policy

    (path,) = (tmp_path / "mail" / "new").iterdir()
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    html = message.get_body(("html",)).get_content()
    assert "<svg" not in html and "<polyline" not in html
    assert re.search(r'<th[^>]*style="[^"]*border', html)
    assert re.search(r'<td class="num" style="[^"]*text-align:right', html)
    assert "--format html" in html  # says where the charts are
    assert "| 2026-11-28 |" in message.get_body(("plain",)).get_content()
