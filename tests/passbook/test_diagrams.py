"""The tooth chart and the body diagram draw what the person's records say, as links a keyboard can reach."""

from __future__ import annotations

import re
from xml.etree import ElementTree as ET

import pytest
from django.template.loader import render_to_string
from django.utils import translation

from healthbank.passbook.diagrams import BODY_SITES, body_diagram_context, tooth_chart_context

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def svg_of(html: str) -> ET.Element:
    """The include's <svg>, parsed as XML: it must be well-formed to be drawn at all."""
    return ET.fromstring(re.search(r"<svg .*?</svg>", html, re.S).group(0))  # noqa: S314 (our own template's output)


def texts(element: ET.Element) -> list[str]:
    return ["".join(t.itertext()).strip() for t in element.iter(f"{SVG}text")]


def render_teeth(counts):
    context = tooth_chart_context(
        counts, lambda fdi: f"/dental/?tooth={fdi}", lambda fdi, n: f"Tooth {fdi}: {n} visits"
    )
    return render_to_string("passbook/_tooth_chart.html", {"tooth_chart": context})


def render_body(sex, counts):
    context = body_diagram_context(
        sex, counts, lambda code: f"/surgery/?site={code}", lambda code, n: f"{code}: {n} operations"
    )
    return render_to_string("passbook/_body_diagram.html", {"body_diagram": context})


def test_the_tooth_chart_draws_the_32_adult_teeth_with_their_fdi_numbers():
    svg = svg_of(render_teeth({}))
    shapes = [p for p in svg.iter(f"{SVG}path") if "tooth-shape" in p.get("class", "")]
    assert len(shapes) == 32
    numbers = sorted(int(t) for t in texts(svg) if t.isdigit())
    assert numbers == sorted(q * 10 + n for q in (1, 2, 3, 4) for n in range(1, 9))
    assert svg.find(f".//{SVG}a") is None  # nothing to link to


def test_teeth_with_visits_are_links_showing_their_count_and_the_others_are_not():
    html = render_teeth({16: 3, 26: 12, 45: 1})
    svg = svg_of(html)
    links = {a.get("href"): a for a in svg.iter(f"{SVG}a")}
    assert set(links) == {"/dental/?tooth=16", "/dental/?tooth=26", "/dental/?tooth=45"}
    tooth_16 = links["/dental/?tooth=16"]
    assert tooth_16.get("aria-label") == "Tooth 16: 3 visits"
    assert {"16", "3"} <= set(texts(tooth_16))
    assert {"26", "12"} <= set(texts(links["/dental/?tooth=26"]))
    # an unmarked tooth is drawn, with its number, but is no link
    linked_numbers = {t for a in links.values() for t in texts(a)}
    assert "17" not in linked_numbers
    assert "17" in texts(svg)
    assert "3 teeth have dental visits" in html


def test_the_chart_lays_the_arches_out_as_a_dentist_reads_them():
    teeth = {t["fdi"]: t for t in tooth_chart_context({}, str, lambda f, n: "")["teeth"]}
    # upper arch above the lower; the patient's right (quadrants 1 and 4) on the viewer's left
    assert teeth[11]["y"] < teeth[41]["y"] and teeth[18]["y"] < teeth[48]["y"]
    assert teeth[18]["x"] < teeth[11]["x"] < teeth[21]["x"] < teeth[28]["x"]
    assert teeth[48]["x"] < teeth[41]["x"] < teeth[31]["x"] < teeth[38]["x"]


def test_counts_for_other_teeth_still_link_below_the_chart():
    html = render_teeth({55: 2})
    assert 'href="/dental/?tooth=55"' in html
    assert svg_of(html).find(f".//{SVG}a") is None


def test_the_body_diagram_draws_only_the_operated_sites_as_links():
    counts = {"knee": 2, "liver_gallbladder": 1, "eye": 3}
    svg = svg_of(render_body("M", counts))
    links = list(svg.iter(f"{SVG}a"))
    assert sorted(a.get("href") for a in links) == sorted(f"/surgery/?site={code}" for code in counts)
    knee = next(a for a in links if a.get("href") == "/surgery/?site=knee")
    assert knee.get("aria-label") == "knee: 2 operations"
    assert {"2", "Knee"} <= set(texts(knee))
    markers = [c for c in svg.iter(f"{SVG}circle") if c.get("class") == "body-site-marker"]
    assert len(markers) == 3
    assert "Heart" not in texts(svg)


def test_each_marked_site_is_drawn_where_its_anchor_is():
    svg = svg_of(render_body("F", {"heart": 1}))
    marker = next(c for c in svg.iter(f"{SVG}circle") if c.get("class") == "body-site-marker")
    assert (float(marker.get("cx")), float(marker.get("cy"))) == BODY_SITES["heart"]


def test_the_male_and_female_figures_differ():
    male, female = render_body("M", {"knee": 1}), render_body("F", {"knee": 1})
    assert male != female
    assert "(male)" in male and "(female)" in female
    outline = lambda html: svg_of(html).find(f".//{SVG}path[@class='body-outline']").get("d")  # noqa: E731
    assert outline(male) != outline(female)


def test_every_catalogue_body_site_has_an_anchor_and_all_fit_without_overlap():
    svg = svg_of(render_body("M", dict.fromkeys(BODY_SITES, 1)))
    assert len(list(svg.iter(f"{SVG}a"))) == len(BODY_SITES) == 23
    min_x, min_y, width, height = (float(v) for v in svg.get("viewBox").split())
    for x, y in BODY_SITES.values():
        assert min_x < x < min_x + width and min_y < y < min_y + height
    anchors = list(BODY_SITES.values())
    for i, (x1, y1) in enumerate(anchors):
        for x2, y2 in anchors[i + 1 :]:
            assert ((x1 - x2) ** 2 + (y1 - y2) ** 2) ** 0.5 >= 22  # two marker rings (r=10) never touch
