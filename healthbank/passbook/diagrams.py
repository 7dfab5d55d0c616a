"""Geometry and context for the passbook's two hand-drawn SVG diagrams.

- The adult tooth chart (牙位圖): the 32 permanent teeth in FDI numbering, drawn as the two arches seen
  from the biting surface, upper arch on top, the patient's right on the viewer's left.
- The body diagram (手術部位人形圖): a front-view figure, male or female, with the operated body sites
  marked.

The templates (`passbook/_tooth_chart.html`, `passbook/_body_diagram.html`) only draw what the helpers
here computed: every position, shape and label side is decided in Python.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

# ---------------------------------------------------------------------------------------------------------
# Tooth chart
# ---------------------------------------------------------------------------------------------------------

TOOTH_VIEWBOX = "26 8 308 374"  # min-x min-y width height: the arches and their numbers, no more
_CX = 180.0
_UPPER_CY, _LOWER_CY = 178.0, 214.0  # centres of the two arch curves
_ARCH_A, _ARCH_B = 118.0, 138.0  # half-width and depth of each arch curve
_GAP = 3.0  # between neighbouring teeth along the arch
_NUMBER_OFFSET = 11.0  # from a tooth's outer edge to the centre of its FDI number

# Tooth n of a quadrant (1 central incisor ... 8 third molar): size along the arch, size across it.
_UPPER_SIZES = {1: (23, 17), 2: (19, 15), 3: (20, 20), 4: (20, 23), 5: (19, 23), 6: (27, 29), 7: (25, 27), 8: (22, 25)}
_LOWER_SIZES = {1: (17, 15), 2: (18, 15), 3: (19, 19), 4: (20, 21), 5: (21, 22), 6: (28, 27), 7: (26, 26), 8: (24, 24)}

ADULT_TEETH = tuple(q * 10 + n for q in (1, 2, 3, 4) for n in range(1, 9))


def _superellipse(w: float, d: float, exponent: float, points: int = 40) -> list[tuple[float, float]]:
    """Outline points of a rounded rectangle-like shape w wide and d deep, centred on (0, 0)."""
    out = []
    for i in range(points):
        t = 2 * math.pi * i / points
        c, s = math.cos(t), math.sin(t)
        out.append(
            (
                w / 2 * math.copysign(abs(c) ** (2 / exponent), c),
                d / 2 * math.copysign(abs(s) ** (2 / exponent), s),
            )
        )
    return out


def _closed_path(points: list[tuple[float, float]]) -> str:
    return "M" + " L".join(f"{x:.1f} {y:.1f}" for x, y in points) + " Z"


def _tooth_shape(n: int, w: float, d: float) -> tuple[str, str]:
    """(outline, grooves) of tooth type n in local coordinates: x along the arch, -y towards the lips/cheek."""
    if n <= 2:  # incisor: a flat blade, the incisal edge as one line
        outline = _superellipse(w, d, 2.6)
        grooves = f"M{-w * 0.32:.1f} {-d * 0.12:.1f} Q0 {-d * 0.22:.1f} {w * 0.32:.1f} {-d * 0.12:.1f}"
    elif n == 3:  # canine: rounded, pointed towards the lips
        outline = [
            (x, y * (1.25 if y < 0 else 0.9) - (abs(y) * 0.1 if y < 0 else 0)) for x, y in _superellipse(w, d, 2.0)
        ]
        grooves = f"M0 {-d * 0.42:.1f} L0 {d * 0.12:.1f}"
    elif n <= 5:  # premolar: an oval with one groove along the arch
        outline = _superellipse(w, d, 2.3)
        grooves = f"M{-w * 0.3:.1f} 0 Q0 {d * 0.08:.1f} {w * 0.3:.1f} 0"
    else:  # molar: a rounded square with the cusp grooves
        outline = _superellipse(w, d, 3.4)
        grooves = (
            f"M{-w * 0.34:.1f} {d * 0.02:.1f} L{w * 0.34:.1f} {-d * 0.02:.1f} "
            f"M{-w * 0.04:.1f} {-d * 0.36:.1f} L0 0 L{w * 0.06:.1f} {d * 0.36:.1f}"
        )
    return _closed_path(outline), grooves


def _arch_length_table(steps: int = 2000) -> tuple[list[float], list[float]]:
    """Arc length along the arch curve from the midline, for angles 0..pi (x = a sin t, y = b cos t)."""
    ts, ss, s = [0.0], [0.0], 0.0
    for i in range(1, steps + 1):
        t0, t1 = math.pi * (i - 1) / steps, math.pi * i / steps
        s += math.hypot(_ARCH_A * (math.sin(t1) - math.sin(t0)), _ARCH_B * (math.cos(t1) - math.cos(t0)))
        ts.append(t1)
        ss.append(s)
    return ts, ss


def _angle_at(length: float, table: tuple[list[float], list[float]]) -> float:
    ts, ss = table
    lo, hi = 0, len(ss) - 1
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if ss[mid] < length:
            lo = mid
        else:
            hi = mid
    f = (length - ss[lo]) / (ss[hi] - ss[lo])
    return ts[lo] + f * (ts[hi] - ts[lo])


@dataclass(frozen=True)
class _ToothGeometry:
    fdi: int
    x: float
    y: float
    rotate: float
    outline: str
    grooves: str
    number_x: float
    number_y: float


def _layout_teeth() -> dict[int, _ToothGeometry]:
    table = _arch_length_table()
    teeth = {}
    for quadrant in (1, 2, 3, 4):
        upper = quadrant in (1, 2)
        viewer_left = quadrant in (1, 4)  # the patient's right
        sizes = _UPPER_SIZES if upper else _LOWER_SIZES
        along = _GAP / 2
        for n in range(1, 9):
            w, d = sizes[n]
            t = _angle_at(along + w / 2, table) * (-1 if viewer_left else 1)
            along += w + _GAP
            if upper:  # incisors at the top, the arch opening downwards
                x, y = _CX + _ARCH_A * math.sin(t), _UPPER_CY - _ARCH_B * math.cos(t)
                nx, ny = math.sin(t) / _ARCH_A, -math.cos(t) / _ARCH_B
            else:  # incisors at the bottom, the arch opening upwards
                x, y = _CX + _ARCH_A * math.sin(t), _LOWER_CY + _ARCH_B * math.cos(t)
                nx, ny = math.sin(t) / _ARCH_A, math.cos(t) / _ARCH_B
            norm = math.hypot(nx, ny)
            nx, ny = nx / norm, ny / norm  # outward normal: towards the lips and cheeks
            rotate = math.degrees(math.atan2(nx, -ny))  # local -y onto the outward normal
            outline, grooves = _tooth_shape(n, w, d)
            reach = d / 2 + _NUMBER_OFFSET
            fdi = quadrant * 10 + n
            teeth[fdi] = _ToothGeometry(
                fdi=fdi,
                x=round(x, 1),
                y=round(y, 1),
                rotate=round(rotate, 1),
                outline=outline,
                grooves=grooves,
                number_x=round(x + nx * reach, 1),
                number_y=round(y + ny * reach, 1),
            )
    return teeth


TOOTH_GEOMETRY = _layout_teeth()


def tooth_chart_context(
    counts: Mapping[int, int],
    url_for: Callable[[int], str],
    label_for: Callable[[int, int], str],
) -> dict:
    """What `passbook/_tooth_chart.html` draws, as its `tooth_chart` context variable.

    counts: visits per FDI tooth number (teeth without visits may be absent or 0).
    url_for(fdi): where a marked tooth links to (e.g. the dental list filtered to that tooth).
    label_for(fdi, count): the link's accessible name, e.g. "Tooth 16: 3 visits".

    Returns {"viewbox", "teeth": [32 dicts in drawing order], "marked": int, "other": [...]}; each tooth has fdi,
    geometry (x, y, rotate, outline, grooves, number_x, number_y) and, when it has visits, count, url and
    label. Counts for numbers that are not adult teeth (primary teeth 51-85, unknown) land in "other" so
    the page can still link to them.
    """
    teeth, marked = [], 0
    for fdi in ADULT_TEETH:
        g = TOOTH_GEOMETRY[fdi]
        count = int(counts.get(fdi) or 0)
        tooth = {
            "fdi": fdi,
            "x": g.x,
            "y": g.y,
            "rotate": g.rotate,
            "outline": g.outline,
            "grooves": g.grooves,
            "number_x": g.number_x,
            "number_y": g.number_y,
            "count": count,
            "url": "",
            "label": "",
        }
        if count > 0:
            marked += 1
            tooth.update(url=url_for(fdi), label=label_for(fdi, count))
        teeth.append(tooth)
    other = [
        {"fdi": fdi, "count": int(count), "url": url_for(fdi), "label": label_for(fdi, int(count))}
        for fdi, count in sorted(counts.items())
        if fdi not in TOOTH_GEOMETRY and count
    ]
    return {"viewbox": TOOTH_VIEWBOX, "teeth": teeth, "marked": marked, "other": other}


# ---------------------------------------------------------------------------------------------------------
# Body diagram
# ---------------------------------------------------------------------------------------------------------

BODY_VIEWBOX = "0 0 380 430"
_BODY_CX = 190.0

# Where each body-site code of the payment catalogue (core/data/nhi_payment_codes.csv) is marked, in the
# body diagram's coordinates. The figure faces the viewer: the patient's right is on the viewer's left
# (liver on the left of the picture, heart, stomach and pancreas on the right). A paired site (eye, knee, ...)
# is marked on one side only. The spine, seen from the front, is marked on the midline behind the stomach.
BODY_SITES: dict[str, tuple[float, float]] = {
    "head": (190, 19),
    "eye": (199, 42),
    "ear_nose_throat": (168, 46),
    "neck": (190, 82),
    "shoulder": (134, 108),
    "chest": (166, 124),
    "breast": (216, 146),
    "heart": (193, 152),
    "liver_gallbladder": (166, 170),
    "spine": (190, 176),
    "upper_gi": (214, 170),
    "kidney_urinary": (168, 200),
    "pancreas": (206, 198),
    "abdomen": (187, 222),
    "colon_rectum": (168, 244),
    "hip": (226, 246),
    "reproductive": (190, 268),
    "arm": (126, 168),
    "skin": (256, 212),
    "hand": (108, 274),
    "leg": (164, 296),
    "knee": (215, 330),
    "foot": (165, 410),
}

# Midline sites have no side of their own: the side their label goes to (keeps the two columns even).
_MIDLINE_LABEL_SIDE = {"head": "left", "neck": "right", "spine": "right", "reproductive": "right"}

BODY_SITE_NAMES = {
    "head": _("Head"),
    "eye": _("Eye"),
    "ear_nose_throat": _("Ear, nose, throat"),
    "neck": _("Neck"),
    "chest": _("Chest"),
    "breast": _("Breast"),
    "heart": _("Heart"),
    "upper_gi": _("Stomach"),
    "liver_gallbladder": _("Liver, gallbladder"),
    "pancreas": _("Pancreas"),
    "abdomen": _("Abdomen"),
    "colon_rectum": _("Colon, rectum"),
    "kidney_urinary": _("Kidney, urinary tract"),
    "reproductive": _("Reproductive organs"),
    "spine": _("Spine"),
    "shoulder": _("Shoulder"),
    "arm": _("Arm"),
    "hand": _("Hand"),
    "hip": _("Hip"),
    "leg": _("Leg"),
    "knee": _("Knee"),
    "foot": _("Foot"),
    "skin": _("Skin"),
}

_LABEL_LEFT_X, _LABEL_RIGHT_X = 92.0, 288.0  # where label text ends (left column) or starts (right column)
_LABEL_LINE = 13.0  # one line of a label
_LABEL_GAP = 6.0  # between two labels
_LABEL_TOP, _LABEL_BOTTOM = 10.0, 426.0
_LABEL_WRAP = 13  # characters on one line before a name wraps at its comma or space
SITE_RADIUS = 10.0  # the marker's outer ring


def _smooth_path(points: list[tuple[float, float]]) -> str:
    """A closed Catmull-Rom curve through the points, as cubic Béziers (the figure's outline)."""
    n = len(points)
    d = f"M{points[0][0]:.1f} {points[0][1]:.1f}"
    for i in range(n):
        p0, p1, p2, p3 = (points[(i + k) % n] for k in (-1, 0, 1, 2))
        c1 = (p1[0] + (p2[0] - p0[0]) / 6, p1[1] + (p2[1] - p0[1]) / 6)
        c2 = (p2[0] - (p3[0] - p1[0]) / 6, p2[1] - (p3[1] - p1[1]) / 6)
        d += f" C{c1[0]:.1f} {c1[1]:.1f} {c2[0]:.1f} {c2[1]:.1f} {p2[0]:.1f} {p2[1]:.1f}"
    return d + " Z"


def _mirrored(half: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """The whole outline from the viewer's-left half (neck to crotch), mirrored about the midline."""
    return half + [(2 * _BODY_CX - x, y) for x, y in reversed(half)]


# The viewer's-left half of each outline, from the neck (under the head) round the arm and leg to the crotch.
# Male: broad shoulders, straight flanks; female: narrower shoulders, a waist, wider hips.
_MALE_HALF = [
    (179, 58), (177, 84), (160, 92), (140, 98), (127, 110), (122, 134), (118, 170), (112, 206), (106, 244),
    (99, 258), (99, 280), (107, 292), (116, 282), (118, 256), (128, 212), (135, 176), (141, 140), (146, 134),
    (149, 172), (150, 206), (145, 238), (145, 278), (152, 320), (153, 356), (160, 396), (150, 410), (156, 418),
    (178, 416), (178, 396), (179, 356), (178, 320), (184, 278), (190, 270),
]  # fmt: skip
_FEMALE_HALF = [
    (180, 58), (179, 84), (164, 91), (147, 97), (136, 108), (131, 132), (127, 168), (121, 204), (114, 242),
    (108, 256), (108, 278), (115, 290), (124, 280), (126, 252), (136, 210), (143, 174), (148, 140), (151, 134),
    (154, 168), (158, 202), (148, 238), (146, 280), (154, 322), (155, 356), (162, 396), (152, 410), (158, 418),
    (179, 416), (179, 396), (180, 356), (179, 322), (184, 280), (190, 272),
]  # fmt: skip

_FIGURES = {
    "M": {
        "outline": _smooth_path(_mirrored(_MALE_HALF)),
        "head": {"cx": 190, "cy": 40, "rx": 21, "ry": 27},
        "ears": [(169, 44), (211, 44)],
        "hair_back": "",
        "hair": (
            "M169 40 C165 16 178 10 190 10 C202 10 215 16 211 40 C209 31 206 25 201 22 "
            "C194 26 185 26 178 22 C174 26 171 32 169 40 Z"
        ),
        # collarbones, pectorals and navel: enough to read the figure as a body, not enough to distract
        "details": (
            "M163 100 Q174 97 184 102 M196 102 Q206 97 217 100 M160 140 Q174 150 187 143 M193 143 Q206 150 220 140"
        ),
        "navel": (190, 212),
    },
    "F": {
        "outline": _smooth_path(_mirrored(_FEMALE_HALF)),
        "head": {"cx": 190, "cy": 40, "rx": 19, "ry": 26},
        "ears": [(171, 44), (209, 44)],
        # long hair behind the head and neck, down to the shoulders
        "hair_back": (
            "M171 34 C168 8 212 8 209 34 C212 58 216 80 221 96 C204 101 176 101 159 96 C164 80 168 58 171 34 Z"
        ),
        "hair": ("M171 42 C168 18 179 11 190 11 C201 11 212 18 209 42 C206 31 199 24 190 25 C182 26 175 32 171 42 Z"),
        "details": (
            "M166 100 Q175 98 184 102 M196 102 Q205 98 214 100 "
            "M156 136 Q158 160 174 160 Q184 159 187 150 M193 150 Q196 159 206 160 Q222 160 224 136"
        ),
        "navel": (190, 214),
    },
}


def _wrap(name: str) -> list[str]:
    """A long name on two lines, broken after a comma or at a space so the longer line is as short as it can be
    (the Chinese names are short enough for one)."""
    if len(name) <= _LABEL_WRAP:
        return [name]
    breaks = [i + 1 for i, ch in enumerate(name) if ch in ", 、" and 0 < i < len(name) - 1]
    if not breaks:
        return [name]
    cut = min(breaks, key=lambda i: max(len(name[:i].rstrip()), len(name[i:].lstrip())))
    return [name[:cut].rstrip(), name[cut:].lstrip()]


def _label_positions(centres: list[float], heights: list[float]) -> list[float]:
    """Spread label centres so no two labels overlap, staying inside the picture."""
    out: list[float] = []
    for i, (y, h) in enumerate(zip(centres, heights, strict=True)):
        lowest = _LABEL_TOP + h / 2 if i == 0 else out[-1] + (heights[i - 1] + h) / 2 + _LABEL_GAP
        out.append(max(y, lowest))
    if out and out[-1] + heights[-1] / 2 > _LABEL_BOTTOM:  # pushed off the bottom: move the tail back up
        out[-1] = _LABEL_BOTTOM - heights[-1] / 2
        for i in range(len(out) - 2, -1, -1):
            out[i] = min(out[i], out[i + 1] - (heights[i] + heights[i + 1]) / 2 - _LABEL_GAP)
    return out


def body_diagram_context(
    sex: str,
    counts: Mapping[str, int],
    url_for: Callable[[str], str],
    label_for: Callable[[str, int], str],
) -> dict:
    """What `passbook/_body_diagram.html` draws, as its `body_diagram` context variable.

    sex: "F" draws the female figure, anything else the male one.
    counts: operations per body-site code (keys of BODY_SITES; other codes go to "other").
    url_for(code): where a marked site links to; label_for(code, count): its accessible name.

    Returns {"viewbox", "sex", "figure", "sites": [...], "other": [...]}. Each site has code, count, url, label, the
    marker's x and y, its name as lines of text (name_lines, text_x, text_y, anchor) and its leader line.
    Sites come top to bottom, which is also their Tab order.
    """
    sex = "F" if sex == "F" else "M"
    placed, other = [], []
    for code, count in counts.items():
        if not count:
            continue
        if code not in BODY_SITES:
            other.append({"code": code, "count": int(count), "url": url_for(code), "label": label_for(code, count)})
            continue
        x, y = BODY_SITES[code]
        side = "left" if x < _BODY_CX else "right" if x > _BODY_CX else _MIDLINE_LABEL_SIDE.get(code, "right")
        lines = _wrap(str(BODY_SITE_NAMES[code]))
        placed.append({"code": code, "x": x, "y": y, "side": side, "count": int(count), "name_lines": lines})
    sites = []
    for side in ("left", "right"):
        column = sorted((s for s in placed if s["side"] == side), key=lambda s: s["y"])
        heights = [len(s["name_lines"]) * _LABEL_LINE for s in column]
        for site, label_y in zip(column, _label_positions([s["y"] for s in column], heights), strict=True):
            text_x = _LABEL_LEFT_X if side == "left" else _LABEL_RIGHT_X
            # the leader runs from beside the label to the marker's ring
            start_x = text_x + (4 if side == "left" else -4)
            dx, dy = start_x - site["x"], label_y - site["y"]
            reach = math.hypot(dx, dy) or 1.0
            end_x, end_y = site["x"] + dx / reach * SITE_RADIUS, site["y"] + dy / reach * SITE_RADIUS
            first_baseline = label_y - (len(site["name_lines"]) - 1) * _LABEL_LINE / 2 + 4
            sites.append(
                {
                    **site,
                    "url": url_for(site["code"]),
                    "label": label_for(site["code"], site["count"]),
                    "text_x": text_x,
                    "text_y": round(first_baseline, 1),
                    "anchor": "end" if side == "left" else "start",
                    "leader": f"{start_x:.1f},{label_y:.1f} {end_x:.1f},{end_y:.1f}",
                }
            )
    sites.sort(key=lambda s: (s["y"], s["x"]))
    return {"viewbox": BODY_VIEWBOX, "sex": sex, "figure": _FIGURES[sex], "sites": sites, "other": other}


def unmarked_body_context(sex: str) -> dict:
    """The body figure with no site marked, where each site would be marked and how labels are laid out: what
    the app's diagram asset (mobile/diagrams/body.svg) draws; the app marks the sites as body_diagram_context
    does."""
    sex = "F" if sex == "F" else "M"
    slots = []
    for code, (x, y) in BODY_SITES.items():
        side = "left" if x < _BODY_CX else "right" if x > _BODY_CX else _MIDLINE_LABEL_SIDE.get(code, "right")
        slots.append((code, x, y, side))
    layout = {
        "centre": _BODY_CX,
        "left": _LABEL_LEFT_X,
        "right": _LABEL_RIGHT_X,
        "line": _LABEL_LINE,
        "gap": _LABEL_GAP,
        "top": _LABEL_TOP,
        "bottom": _LABEL_BOTTOM,
        "wrap": _LABEL_WRAP,
        "radius": SITE_RADIUS,
    }
    return {"viewbox": BODY_VIEWBOX, "sex": sex, "figure": _FIGURES[sex], "slots": slots, "layout": layout}
