"""Distances from event points to a GeoJSON area or line (RFC 7946 geometries).

Distances are computed in a local equirectangular projection centred on the geometry
(x = R·Δλ·cos φ0, y = R·Δφ, R = 6371.0088 km, the IUGG mean Earth radius): a few percent
of error over a country-sized shape, far less than the precision radii it is compared
with. Inside a polygon the distance is negative (minus the distance to its boundary), so
"within d km of the area" is ``signed <= d`` for points and ``signed + r <= d`` for an
event known only to lie within ``r`` km of its coded point.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["check_geometry", "signed_distance_km"]

EARTH_RADIUS_KM = 6371.0088
MAX_VERTICES = 1_000_000

FloatArray = npt.NDArray[np.float64]


def _geometries(doc: Any) -> list[dict[str, Any]]:
    if not isinstance(doc, dict):
        raise ValueError("GeoJSON must be an object")
    kind = doc.get("type")
    if kind == "FeatureCollection":
        feats = doc.get("features")
        if not isinstance(feats, list):
            raise ValueError("FeatureCollection needs a features list")
        return [g for f in feats for g in _geometries(f)]
    if kind == "Feature":
        return _geometries(doc.get("geometry"))
    if kind == "GeometryCollection":
        geoms = doc.get("geometries")
        if not isinstance(geoms, list):
            raise ValueError("GeometryCollection needs a geometries list")
        return [g for x in geoms for g in _geometries(x)]
    if kind in ("Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon"):
        return [doc]
    raise ValueError(f"unsupported GeoJSON type {kind!r}")


def _positions(coords: Any, depth: int) -> list[list[tuple[float, float]]]:
    """Coordinate lists at nesting ``depth`` (0: a position) as lists of (lon, lat)."""
    if depth == 1:
        if not isinstance(coords, list):
            raise ValueError("coordinates must be arrays")
        out = []
        for p in coords:
            if (
                not isinstance(p, list)
                or len(p) < 2
                or not all(isinstance(v, int | float) and math.isfinite(v) for v in p[:2])
            ):
                raise ValueError("a position must be [longitude, latitude] numbers")
            lon, lat = float(p[0]), float(p[1])
            if abs(lon) > 180 or abs(lat) > 90:
                raise ValueError(f"position [{lon}, {lat}] is outside WGS 84 ranges")
            out.append((lon, lat))
        return [out]
    if not isinstance(coords, list):
        raise ValueError("coordinates must be arrays")
    return [ring for c in coords for ring in _positions(c, depth - 1)]


def _parts(doc: Any) -> tuple[list[list[tuple[float, float]]], list[list[tuple[float, float]]]]:
    """``(polygon rings, lines)``; points become one-position lines."""
    rings: list[list[tuple[float, float]]] = []
    lines: list[list[tuple[float, float]]] = []
    for g in _geometries(doc):
        kind, coords = g["type"], g.get("coordinates")
        if kind == "Point":
            lines += _positions([coords], 1)
        elif kind in ("MultiPoint", "LineString"):
            lines += _positions(coords, 1)
        elif kind == "MultiLineString":
            lines += _positions(coords, 2)
        elif kind == "Polygon":
            rings += _positions(coords, 2)
        else:
            rings += _positions(coords, 3)
    for r in rings:
        if len(r) < 4 or r[0] != r[-1]:
            raise ValueError("a polygon ring needs 4 or more positions, first equal to last")
    if sum(len(x) for x in rings + lines) > MAX_VERTICES:
        raise ValueError(f"more than {MAX_VERTICES} vertices")
    if not rings and not lines:
        raise ValueError("the geometry is empty")
    return rings, lines


def check_geometry(doc: Any) -> str | None:
    """Why ``doc`` is not a usable GeoJSON geometry, or None when it is."""
    try:
        _parts(doc)
    except (ValueError, TypeError, KeyError) as exc:
        return str(exc)
    return None


def signed_distance_km(doc: Any, lat: FloatArray, lon: FloatArray) -> FloatArray:
    """Distance (km) from each point to the geometry; negative inside its polygons.

    Points with NaN coordinates get NaN.
    """
    rings, lines = _parts(doc)
    allpos = np.array([p for part in rings + lines for p in part], dtype=np.float64)
    lat0 = float(np.mean(allpos[:, 1]))
    lon0 = float(np.mean(allpos[:, 0]))
    k = EARTH_RADIUS_KM * math.pi / 180
    c0 = math.cos(math.radians(lat0))

    def proj(lo: FloatArray, la: FloatArray) -> tuple[FloatArray, FloatArray]:
        dlon = (lo - lon0 + 180.0) % 360.0 - 180.0
        return dlon * k * c0, (la - lat0) * k

    px, py = proj(np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64))
    segs = []
    for part in rings + lines:
        a = np.array(part, dtype=np.float64)
        if len(a) == 1:
            a = np.vstack([a, a])
        segs.append(np.hstack([a[:-1], a[1:]]))
    s = np.vstack(segs)
    x1, y1 = proj(s[:, 0], s[:, 1])
    x2, y2 = proj(s[:, 2], s[:, 3])
    n = len(px)
    best = np.full(n, np.inf)
    chunk = max(1, 4_000_000 // max(n, 1))
    for j in range(0, len(x1), chunk):
        ax, ay = x1[j : j + chunk][None, :], y1[j : j + chunk][None, :]
        bx, by = x2[j : j + chunk][None, :], y2[j : j + chunk][None, :]
        dx, dy = bx - ax, by - ay
        len2 = dx * dx + dy * dy
        qx, qy = px[:, None] - ax, py[:, None] - ay
        with np.errstate(invalid="ignore", divide="ignore"):
            t = np.where(len2 > 0, (qx * dx + qy * dy) / len2, 0.0)
        t = np.clip(t, 0.0, 1.0)
        ex, ey = qx - t * dx, qy - t * dy
        best = np.minimum(best, np.sqrt(ex * ex + ey * ey).min(axis=1))
    if rings:
        inside = np.zeros(n, dtype=bool)
        for ring in rings:
            a = np.array(ring, dtype=np.float64)
            rx, ry = proj(a[:, 0], a[:, 1])
            for e in range(len(rx) - 1):
                xa, ya, xb, yb = rx[e], ry[e], rx[e + 1], ry[e + 1]
                if ya == yb:
                    continue
                crosses = (ya > py) != (yb > py)
                xcross = xa + (py - ya) * (xb - xa) / (yb - ya)
                inside ^= crosses & (px < xcross)
        best = np.where(inside, -best, best)
    out: FloatArray = np.where(np.isnan(px) | np.isnan(py), np.nan, best)
    return out
