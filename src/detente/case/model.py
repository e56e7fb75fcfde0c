"""The case file: pydantic models for a negotiation as an analyst describes it.

These models sit at the edge (files, API bodies). They are frozen and forbid unknown
fields, and they give the JSON Schema that editors use to validate case files. The
engine never sees them: :mod:`detente.case.arrays` turns a validated case into arrays.

Cross-references (actor and issue ids, source ids, scale bounds) are checked by
:func:`detente.case.checks.check_case`, so that every problem in a file is reported at
once with its location.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

__all__ = [
    "FORMAT_VERSION",
    "ID_PATTERN",
    "Actor",
    "ActorKind",
    "Anchor",
    "Capability",
    "Case",
    "CaseInfo",
    "Credibility",
    "Estimate",
    "Issue",
    "Position",
    "PositionEstimate",
    "Round",
    "Salience",
    "Scale",
    "Source",
    "Trust",
    "SourceKind",
]

FORMAT_VERSION = 1
"""Version of the case-file format written by this release."""

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:+-]*$"

Id = Annotated[
    str,
    Field(
        pattern=ID_PATTERN,
        min_length=1,
        max_length=64,
        description="Identifier: letters, digits and _ . : + - (no spaces).",
    ),
]

SourceKind = Literal[
    "official", "news", "opinion", "academic", "dataset", "analyst", "interview", "other"
]
ActorKind = Literal[
    "state",
    "government",
    "de_facto_government",
    "non_state_armed_group",
    "mediator",
    "observer",
    "international_organisation",
    "institution",
    "political_party",
    "civil_society",
    "company",
    "individual",
    "other",
]
ActorRole = Literal["party", "mediator", "stakeholder", "observer"]
ParamValue = bool | int | float | str
"""A model parameter's value in a case file: true/false, a number or text."""


class _Frozen(BaseModel):
    # allow_inf_nan=False: `capability: .inf` or `value: NaN` is refused with its line;
    # a non-finite number would turn every model's output into NaN.
    # defer_build=True: no validator is built on import. A well-formed case file is read
    # by detente.case.fast with `model_construct` and never builds one (issue 17, start-up
    # of `detente forecast`); the first `model_validate` builds it.
    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        populate_by_name=True,
        allow_inf_nan=False,
        defer_build=True,
    )


class Estimate(_Frozen):
    """A number with its evidence: value, optional uncertainty range, and source.

    In a case file an estimate is either a bare number (``0.8``) or a mapping
    (``{value: 0.8, range: [0.6, 0.9], source: seed, quote: "..."}``).
    """

    value: float = Field(description="The best estimate.")
    range: tuple[float, float] | None = Field(
        default=None,
        description="Plausible low and high values [low, high]; must contain value.",
    )
    distribution: Literal["pert", "triangular", "uniform"] | None = Field(
        default=None,
        description="How uncertainty samples the range (default: pert around value).",
    )
    source: str | None = Field(
        default=None, description="Id of the source this number rests on (see `sources`)."
    )
    quote: str | None = Field(
        default=None, description="The sentence of the source that supports the number."
    )
    note: str | None = Field(default=None, description="The analyst's reasoning.")

    @model_validator(mode="before")
    @classmethod
    def _from_number(cls, data: Any) -> Any:
        if isinstance(data, bool):
            raise ValueError("expected a number or a mapping with `value`, got a boolean")
        if isinstance(data, int | float):
            return {"value": data}
        if isinstance(data, str):
            try:
                return {"value": float(data)}
            except ValueError:
                raise PydanticCustomError(
                    "not_a_number", "expected a number, got '{text}'", {"text": data}
                ) from None
        return data

    @model_validator(mode="after")
    def _range_contains_value(self) -> Estimate:
        if self.range is not None:
            low, high = self.range
            if low > high:
                raise ValueError(f"range [{low:g}, {high:g}] has low above high")
            if not low <= self.value <= high:
                raise ValueError(
                    f"range [{low:g}, {high:g}] does not contain its value {self.value:g}"
                )
        return self

    @property
    def low(self) -> float:
        """Lower end of the range, or the value when no range is given."""
        return self.range[0] if self.range is not None else self.value

    @property
    def high(self) -> float:
        """Upper end of the range, or the value when no range is given."""
        return self.range[1] if self.range is not None else self.value


class Salience(Estimate):
    """How much an actor cares about an issue, 0 (not at all) to 1 (nothing else matters)."""

    value: float = Field(ge=0.0, le=1.0, description="Salience in [0, 1].")

    @model_validator(mode="after")
    def _range_in_unit(self) -> Salience:
        if self.range is not None and not (self.range[0] >= 0.0 and self.range[1] <= 1.0):
            raise ValueError("salience range must lie within [0, 1]")
        return self


class Capability(Estimate):
    """An actor's ability to shape the outcome (any non-negative scale, used relatively)."""

    value: float = Field(ge=0.0, description="Capability, >= 0 (only ratios matter).")

    @model_validator(mode="after")
    def _range_non_negative(self) -> Capability:
        if self.range is not None and self.range[0] < 0.0:
            raise ValueError("capability range must not go below 0")
        return self


class PositionEstimate(Estimate):
    """A point on an issue's scale (bounds are checked against the issue's scale)."""


class Source(_Frozen):
    """Where numbers come from, and how far to trust it."""

    id: Id
    citation: str = Field(description="Full citation: author, title, outlet, date.")
    kind: SourceKind = Field(description="official, news, opinion, academic, dataset, analyst...")
    bias: str | None = Field(default=None, description="A note on the source's slant.")
    url: str | None = None
    date: dt.date | None = None


class Actor(_Frozen):
    """A party, mediator or stakeholder (at the table or not)."""

    id: Id
    name: str
    kind: ActorKind = "other"
    role: ActorRole = "party"
    at_table: bool = Field(default=True, description="Present at the talks.")
    capability: Capability | None = Field(
        default=None, description="Default capability on every issue (positions may override)."
    )
    description: str | None = None


class Anchor(_Frozen):
    """A labelled point on an issue's scale."""

    value: float
    label: str


class Scale(_Frozen):
    """An issue's scale: 0-100 unless stated, with labelled anchor points."""

    min: float = 0.0
    max: float = 100.0
    unit: str | None = Field(default=None, description="Unit of the scale, e.g. 'years'.")
    anchors: list[Anchor] = Field(default_factory=list)

    @model_validator(mode="after")
    def _ordered(self) -> Scale:
        if not self.min < self.max:
            raise ValueError(f"scale min {self.min:g} must be below max {self.max:g}")
        return self


class Issue(_Frozen):
    """One question in dispute, on a scale."""

    id: Id
    question: str
    scale: Scale = Field(default_factory=Scale)
    status_quo: PositionEstimate | None = Field(
        default=None, description="The reference point: what happens with no agreement."
    )
    outcome: PositionEstimate | None = Field(
        default=None, description="The observed outcome, when known (for backtests)."
    )
    description: str | None = None


class Position(_Frozen):
    """What one actor wants on one issue, how much it cares, and how much it can do."""

    actor: Id
    issue: Id
    position: PositionEstimate | None = Field(
        default=None, description="Ideal point on the issue's scale; omit if none is known."
    )
    salience: Salience
    capability: Capability | None = Field(
        default=None, description="Overrides the actor's default capability on this issue."
    )


class Round(_Frozen):
    """One round of talks."""

    number: int | None = None
    name: str | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    place: str | None = None
    participants: list[Id] = Field(default_factory=list)
    outcome: str | None = None
    source: str | None = None


class CaseInfo(_Frozen):
    """What the case is about."""

    id: Id
    title: str
    start: dt.date | None = None
    end: dt.date | None = None
    place: str | None = None
    summary: str | None = None
    require_sources: bool = Field(
        default=True,
        description="Every position, salience and capability must name a source.",
    )


class Credibility(Estimate):
    """How likely an actor is to keep a promise, as a probability.

    Read from a trust file (``detente trust LEDGER --out FILE``) it is the Beta reputation
    expectation E = (r + 1) / (r + s + 2) of Jøsang & Ismail (2002), "The Beta Reputation
    System", with its central 80% interval as the range; stated by hand it is a number with
    its source like every other.
    """

    value: float = Field(
        ge=0.0, le=1.0, description="Probability in [0, 1] that a promise is kept."
    )


class Trust(_Frozen):
    """The credibility of the actors' promises, as an input of the case."""

    file: str | None = Field(
        default=None,
        description="A detente.trust/v1 file (`detente trust LEDGER --out FILE`), relative to "
        "the case file; each party's current reputation becomes its credibility.",
    )
    parties: dict[Id, Id] = Field(
        default_factory=dict,
        description="Ledger party -> case actor, where the trust file names a party "
        "otherwise than the case; parties of the file not in the case are ignored.",
    )
    credibility: dict[Id, Credibility] = Field(
        default_factory=dict,
        description="Credibility per actor id, stated here or filled in from `file` on load "
        "(an actor may not have both).",
    )


class Case(_Frozen):
    """A negotiation as an analyst describes it.

    See ``docs/case-format.md`` for the file format and ``examples/`` for cases.
    """

    detente: int = Field(default=FORMAT_VERSION, description="Case-file format version.")
    case: CaseInfo
    sources: list[Source] = Field(default_factory=list)
    actors: list[Actor]
    issues: list[Issue]
    positions: list[Position]
    rounds: list[Round] = Field(default_factory=list)
    model_params: dict[Id, dict[str, ParamValue]] = Field(
        default_factory=dict,
        description="Default parameters of the models run on this case, by model name "
        "({smp: {voting_rule: PropCbc}}); a parameter given on the command line wins. "
        "Checked against the model's declared parameters when it runs.",
    )
    extensions: dict[str, Any] = Field(
        default_factory=dict,
        description="Format-specific data kept for lossless round trips (KTAB, DEU III...).",
    )
    trust: Trust | None = Field(
        default=None,
        description="Credibility of the actors' promises (a trust file or stated values), "
        "used by what-if `promise` changes.",
    )

    # Convenience look-ups (cheap; cases are small).
    def actor(self, actor_id: str) -> Actor:
        """The actor with this id."""
        for a in self.actors:
            if a.id == actor_id:
                return a
        raise KeyError(actor_id)

    def issue(self, issue_id: str) -> Issue:
        """The issue with this id."""
        for i in self.issues:
            if i.id == issue_id:
                return i
        raise KeyError(issue_id)

    def source(self, source_id: str) -> Source:
        """The source with this id."""
        for s in self.sources:
            if s.id == source_id:
                return s
        raise KeyError(source_id)
