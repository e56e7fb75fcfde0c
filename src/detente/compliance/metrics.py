"""The metrics file: each metric a declarative query over event data.

A metrics file (YAML, ``format: detente.metrics/v1``; JSON Schema from
:func:`metrics_json_schema`) names actor alias sets and metrics. A metric says which
events count (actor alias sets on a side, event classes mapped per dataset and version,
place filters), what is counted (``events`` or ``fatalities``), and, in one sentence,
what it is a proxy for and what it is not. An obligation's indicator names a metric by
its key. See docs/compliance.md.

The metric's identity in verdicts is :func:`metric_sha256`: SHA-256 of the RFC 8785
canonical JSON of its definition with the alias sets it uses and any GeoJSON area inlined,
so a verdict names exactly the query it ran.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from detente import boundedjson
from detente.case.loader import load_yaml, locate
from detente.errors import CaseError, Diagnostic
from detente.inputs import decode_utf8, read_bounded
from detente.ledger.canonical import canonicalize

__all__ = [
    "DEFAULT_PRECISION_KM",
    "Actors",
    "Area",
    "DatasetMapping",
    "Metric",
    "MetricsFile",
    "Place",
    "load_metrics",
    "metric_definition",
    "metric_sha256",
    "metrics_json_schema",
    "parse_metrics_text",
]

DEFAULT_PRECISION_KM: dict[str, dict[str, float | None]] = {
    "ucdp-ged": {"1": 0, "2": 25, "3": 50, "4": 150, "5": 300, "6": None, "7": None},
    "acled": {"1": 0, "2": 25, "3": 150},
    "plain": {"1": 0, "2": 25, "3": 50, "4": 150, "5": 300, "6": None, "7": None},
}
"""How far (km) an event may be from its coded point, per place-precision code.

A stated assumption, not the producers' figure (GED and ACLED give codes, not radii):
``None`` means anywhere in the country. A metric may set its own (``precision_km``).
"""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Actors(_Frozen):
    """Who must be a side of an event for it to count.

    Attributes:
        any_side: Alias sets; an event counts when either side (GED ``side_a``/``side_b``,
            ACLED ``actor1``/``actor2``) is a name of one of them.
        other_side: Optional alias sets the other side must then belong to (dyadic).
        possibly: Alias sets whose events are only possibly the metric's (e.g. ACLED's
            "Unidentified Armed Group (Pakistan)"): they widen ``high`` only.
        associated: Also match ACLED ``assoc_actor_1``/``assoc_actor_2``.
    """

    any_side: list[str] = Field(min_length=1)
    other_side: list[str] = Field(default_factory=list)
    possibly: list[str] = Field(default_factory=list)
    associated: bool = False


class DatasetMapping(_Frozen):
    """How a metric reads one dataset.

    Attributes:
        versions: Versions this mapping was written for (``"*"``: any).
        classes: Event classes that count: GED ``type_of_violence`` codes (``"1"`` state-based,
            ``"2"`` non-state, ``"3"`` one-sided), ACLED ``event_type`` names, plain
            ``event_class`` values; empty means every class.
        sub_classes: ACLED ``sub_event_type`` names; empty means every one.
    """

    versions: list[str] = Field(min_length=1)
    classes: list[str] = Field(default_factory=list)
    sub_classes: list[str] = Field(default_factory=list)

    @field_validator("classes", mode="before")
    @classmethod
    def _text(cls, v: Any) -> Any:
        return [str(x) for x in v] if isinstance(v, list) else v


class Area(_Frozen):
    """A GeoJSON geometry and a distance: events within ``distance_km`` of it count.

    Polygon, MultiPolygon, LineString, MultiLineString, Point and MultiPoint geometries,
    bare or in a Feature, FeatureCollection or GeometryCollection (RFC 7946).
    """

    geojson: dict[str, Any] | str = Field(
        description="Inline GeoJSON, or a file path relative to the metrics file."
    )
    distance_km: float = Field(default=0.0, ge=0, allow_inf_nan=False)


class Place(_Frozen):
    """Where an event must be: every filter given must hold."""

    country: list[str] = Field(default_factory=list)
    admin1: list[str] = Field(default_factory=list)
    area: Area | None = None


class Metric(_Frozen):
    """One metric.

    Attributes:
        proxy_for: What the metric measures, in one sentence.
        caveat: What it is not (e.g. "not the same as attacks launched from Afghan
            territory").
        count: ``events`` or ``fatalities`` (GED low/best/high estimates).
        actors: Who must be a side.
        datasets: Per dataset name, the versions and classes it maps.
        place: Place filters.
        precision_km: Per dataset, km of doubt per place-precision code
            (:data:`DEFAULT_PRECISION_KM` otherwise).
        unclear: GED events with ``event_clarity`` 2: ``widen`` (count only towards
            ``high``), ``count`` (as clear events) or ``exclude``.
    """

    proxy_for: str = Field(min_length=1)
    caveat: str = Field(min_length=1)
    count: Literal["events", "fatalities"] = "events"
    actors: Actors
    datasets: dict[str, DatasetMapping] = Field(min_length=1)
    place: Place = Field(default_factory=Place)
    precision_km: dict[str, dict[str, float | None]] = Field(default_factory=dict)
    unclear: Literal["widen", "count", "exclude"] = "widen"


class MetricsFile(_Frozen):
    """A metrics file: alias sets and metrics by name."""

    format: Literal["detente.metrics/v1"] = "detente.metrics/v1"
    label: str | None = None
    aliases: dict[str, list[str]] = Field(min_length=1)
    metrics: dict[str, Metric] = Field(min_length=1)

    def mapping(self, metric: str, dataset: str, version: str) -> DatasetMapping | None:
        """The metric's mapping for ``dataset`` at ``version``, or None."""
        m = self.metrics[metric].datasets.get(dataset)
        if m is None or ("*" not in m.versions and version not in m.versions):
            return None
        return m


def metrics_json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a metrics file, for editors and CI."""
    schema = MetricsFile.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "detente metrics file"
    return schema


def metric_definition(mf: MetricsFile, name: str) -> dict[str, Any]:
    """The self-contained definition of metric ``name``: the metric and its alias sets."""
    m = mf.metrics[name]
    used = sorted({*m.actors.any_side, *m.actors.other_side, *m.actors.possibly})
    return {
        "format": "detente.metric/v1",
        "name": name,
        "metric": m.model_dump(mode="json"),
        "aliases": {a: mf.aliases[a] for a in used},
    }


def metric_sha256(mf: MetricsFile, name: str) -> str:
    """``sha256:`` + hex SHA-256 of the canonical JSON of :func:`metric_definition`."""
    return "sha256:" + hashlib.sha256(canonicalize(metric_definition(mf, name))).hexdigest()


# -- loading with located errors (positions found by the case loader's `locate`) ----------------
MAX_NODES = 200_000
"""Values a metrics file may expand to: YAML aliases can make a small file huge."""


def _plain(x: Any, budget: list[int] | None = None, depth: int = 0) -> Any:
    """Round-trip containers as plain dicts and lists (numbers checked finite).

    Raises:
        CaseError: past :data:`MAX_NODES` values or 100 levels of nesting.
    """
    budget = budget if budget is not None else [MAX_NODES]
    budget[0] -= 1
    if budget[0] < 0 or depth > 100:
        raise CaseError(
            "the metrics file expands to too many values (YAML aliases?) or nests too deep",
            [Diagnostic("refused: too large once expanded", code="too-large")],
        )
    if isinstance(x, dict):
        return {str(k): _plain(v, budget, depth + 1) for k, v in x.items()}
    if isinstance(x, list):
        return [_plain(v, budget, depth + 1) for v in x]
    if isinstance(x, float) and not math.isfinite(x):
        return "non-finite"  # refused by the schema with a located message
    return x


def _where(path: Sequence[str | int]) -> str:
    return ".".join(str(p) for p in path) or "(document)"


def parse_metrics_text(text: str, file: str = "<input>", base: Path | None = None) -> MetricsFile:
    """Parse and check a metrics file; every problem is reported at once, located.

    Args:
        text: The YAML text.
        file: Its name, for diagnostics.
        base: Folder that relative GeoJSON paths are read from.

    Raises:
        CaseError: listing every problem with its line and column.
    """
    try:
        # The case loader's YAML 1.2 reader: bounded nesting and alias expansion, duplicate
        # keys refused, every error located.
        root = load_yaml(text, file)
    except CaseError as exc:
        # Syntax errors keep this format's code; depth and alias refusals keep theirs.
        items = [replace(d, code="bad-yaml") if d.code == "yaml-syntax" else d for d in exc.items]
        raise CaseError(f"{file}: not valid YAML", items) from None
    data = _plain(root)
    diags: list[Diagnostic] = []
    try:
        mf = MetricsFile.model_validate(data)
    except ValidationError as exc:
        for e in exc.errors(include_url=False):
            loc = tuple(e["loc"])
            if e["type"] == "missing":
                line, col = locate(root, loc[:-1])
                diags.append(
                    Diagnostic(
                        f"{_where(loc[:-1])}: missing required field '{loc[-1]}'",
                        file, line, col, expected=f"a `{loc[-1]}:` entry", code="missing-field",
                    )
                )  # fmt: skip
            elif e["type"] == "extra_forbidden":
                line, col = locate(root, loc, key=True)
                diags.append(
                    Diagnostic(
                        f"{_where(loc[:-1])}: unknown field '{loc[-1]}'",
                        file, line, col, expected="a field of the metrics format "
                        "(docs/compliance.md)", code="unknown-field",
                    )
                )  # fmt: skip
            else:
                line, col = locate(root, loc)
                diags.append(
                    Diagnostic(f"{_where(loc)}: {e['msg']}", file, line, col, code="invalid-value")
                )
        raise CaseError(f"{file}: {len(diags)} problem(s) in the metrics file", diags) from exc
    for name, m in mf.metrics.items():
        for group in ("any_side", "other_side", "possibly"):
            for k, alias in enumerate(getattr(m.actors, group)):
                if alias not in mf.aliases:
                    line, col = locate(root, ("metrics", name, "actors", group, k))
                    diags.append(
                        Diagnostic(
                            f"metrics.{name}.actors.{group}: unknown alias set '{alias}'",
                            file, line, col,
                            expected="one of " + ", ".join(sorted(mf.aliases)),
                            hint="define it under `aliases:`", code="unknown-alias-set",
                        )
                    )  # fmt: skip
        for ds in m.precision_km:
            if ds not in m.datasets:
                line, col = locate(root, ("metrics", name, "precision_km", ds), key=True)
                diags.append(
                    Diagnostic(
                        f"metrics.{name}.precision_km: dataset '{ds}' is not mapped",
                        file, line, col, expected="a key of `datasets:`", code="unknown-dataset",
                    )
                )  # fmt: skip
    for alias, names in mf.aliases.items():
        if not names or any(not isinstance(n, str) or not n.strip() for n in names):
            line, col = locate(root, ("aliases", alias))
            diags.append(
                Diagnostic(
                    f"aliases.{alias}: needs one or more non-empty names",
                    file, line, col, code="invalid-value",
                )
            )  # fmt: skip
    if diags:
        raise CaseError(f"{file}: {len(diags)} problem(s) in the metrics file", diags)
    return _resolve_areas(mf, root, file, base)


def _resolve_areas(mf: MetricsFile, root: Any, file: str, base: Path | None) -> MetricsFile:
    """Read GeoJSON files named by path into the metrics, so the hash covers the shape."""
    from detente.compliance.geo import check_geometry

    metrics = dict(mf.metrics)
    diags: list[Diagnostic] = []
    for name, m in mf.metrics.items():
        area = m.place.area
        if area is None:
            continue
        geo = area.geojson
        line, col = locate(root, ("metrics", name, "place", "area", "geojson"))
        if isinstance(geo, str):
            path = (base or Path(".")) / geo
            try:
                geo = boundedjson.loads(read_bounded(path, 50_000_000, "GeoJSON file").decode())
            except (CaseError, ValueError) as exc:
                diags.append(
                    Diagnostic(
                        f"metrics.{name}.place.area: cannot read GeoJSON {path}: {exc}",
                        file, line, col, code="bad-geojson",
                    )
                )  # fmt: skip
                continue
        problem = check_geometry(geo)
        if problem:
            diags.append(
                Diagnostic(
                    f"metrics.{name}.place.area: {problem}", file, line, col, code="bad-geojson"
                )
            )
            continue
        place = m.place.model_copy(update={"area": area.model_copy(update={"geojson": geo})})
        metrics[name] = m.model_copy(update={"place": place})
    if diags:
        raise CaseError(f"{file}: {len(diags)} problem(s) in the metrics file", diags)
    return mf.model_copy(update={"metrics": metrics})


def load_metrics(path: str | Path) -> MetricsFile:
    """Load a metrics file (see :func:`parse_metrics_text`)."""
    p = Path(path)
    raw = read_bounded(p, 10_000_000, "metrics file")
    return parse_metrics_text(decode_utf8(raw, str(p)), str(p), p.parent)
