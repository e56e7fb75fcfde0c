"""KTAB's SMP XML scenario (``SMPModel::xmlRead`` in KTAB's ``smpread.cpp``).

``<Scenario>`` with ``name``, ``desc``, ``prngSeed``, optional ``ModelParameters``,
``Dimensions/dName``, ``Actors/Actor`` (``name``, ``description``, ``capability``,
``Position/dCoord``, ``Salience/dSal``) and optional ``IdealAdjustment/iaPair``. An empty
``<dCoord/>`` means the actor has no position on that issue. The mapping to a case is in
:mod:`._ktab`; the nine ``ModelParameters`` become the case's default ``smp`` parameters
(``case.model_params["smp"]``), so that they apply whenever ``smp`` runs on the case.
"""

from __future__ import annotations

import xml.parsers.expat
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

from detente.case.formats._ktab import (
    _ActorRow,
    _build_case,
    _check_values,
    _diag,
    _duplicate_names,
    _number,
    _Scenario,
    _scenario_from_case,
    format_number,
    format_salience,
)
from detente.case.model import Case
from detente.errors import CaseError, Diagnostic

__all__ = ["MODEL_PARAMETERS", "read_ktab_xml", "write_ktab_xml"]

MODEL_PARAMETERS = {
    "VictoryProbModel": "victory_prob",
    "PCEModel": "pce",
    "StateTransitions": "state_transitions",
    "VotingRule": "voting_rule",
    "BigRAdjust": "big_r_adjust",
    "BigRRange": "big_r_range",
    "ThirdPartyCommit": "third_party_commit",
    "InterVecBrgn": "inter_vec_bargain",
    "BargnModel": "bargain_model",
}
"""KTAB's ``ModelParameters`` elements and the ``smp`` parameters they set."""


@dataclass
class _El:
    tag: str
    line: int
    column: int
    attrs: dict[str, str]
    children: list[_El] = field(default_factory=list)
    text: str = ""

    def find(self, tag: str) -> _El | None:
        return next((c for c in self.children if c.tag == tag), None)

    def findall(self, tag: str) -> list[_El]:
        return [c for c in self.children if c.tag == tag]


def _parse_xml(text: str, file: str) -> _El:
    """A small element tree that remembers each element's line and column."""
    parser = xml.parsers.expat.ParserCreate()
    stack: list[_El] = []
    root: list[_El] = []

    def start(tag: str, attrs: dict[str, str]) -> None:
        el = _El(tag, parser.CurrentLineNumber, parser.CurrentColumnNumber + 1, attrs)
        if stack:
            stack[-1].children.append(el)
        else:
            root.append(el)
        stack.append(el)

    def end(tag: str) -> None:
        stack.pop()

    def chars(data: str) -> None:
        if stack:
            stack[-1].text += data

    def no_entities(*args: object) -> None:
        raise CaseError(
            f"{file}: XML entity declarations are not accepted",
            [
                _diag(
                    "the file declares entities",
                    file,
                    parser.CurrentLineNumber,
                    expected="a plain KTAB XML scenario",
                    code="xml-syntax",
                )
            ],
        )

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    parser.EntityDeclHandler = no_entities
    try:
        parser.Parse(text, True)
    except xml.parsers.expat.ExpatError as exc:
        raise CaseError(
            f"{file}: not well-formed XML",
            [
                _diag(
                    xml.parsers.expat.ErrorString(exc.code),
                    file,
                    exc.lineno,
                    exc.offset + 1,
                    expected="well-formed XML (every tag closed, attributes quoted)",
                    hint="open the file in an XML-aware editor to find the broken tag",
                    code="xml-syntax",
                )
            ],
        ) from None
    return root[0]


_KNOWN = frozenset(
    ["name", "desc", "prngSeed", "ModelParameters", "Dimensions", "Actors", "IdealAdjustment"]
)
# Elements of KTAB's reform-priorities application (examples/reformpri, reformpri.xsd):
# its scenarios are <Scenario> files too, with items and costs instead of dimensions.
_REFORMPRI = frozenset(["Items", "Categories", "govBudget", "outOfBudgetFactor", "orderFactor"])


def _other_application(root: _El, file: str) -> CaseError | None:
    """The error for an XML file of another KTAB application (reformpri), else None."""
    tags = {c.tag for c in root.children}
    if root.find("Dimensions") is None and tags & _REFORMPRI:
        return CaseError(
            f"{file}: a KTAB reform-priorities (reformpri) scenario, not an SMP scenario",
            [
                _diag(
                    "this is a scenario of KTAB's reform-priorities application "
                    f"(it has <{sorted(tags & _REFORMPRI)[0]}>, no <Dimensions>)",
                    file,
                    root.line,
                    root.column,
                    expected="a KTAB SMP scenario: <Scenario> with <Dimensions> and <Actors> "
                    "holding <Position>/<Salience> per dimension",
                    hint="reformpri ranks reform items by cost and value; detente models "
                    "positions on issues and cannot read it",
                    code="ktab-other-application",
                )
            ],
        )
    return None


def read_ktab_xml(text: str, file: str, warnings: list[Diagnostic] | None = None) -> list[Case]:
    """Read a KTAB SMP XML scenario (``SMPModel::xmlRead``) as one case.

    ``ModelParameters`` become the case's default ``smp`` parameters. KTAB reads
    ``IdealAdjustment`` into its ideal-accommodation matrix (identity unless given;
    ``accM(adjustingIdeal, referencePos) = adjust``); detente's ``smp`` has no such
    matrix, so the pairs are checked, kept in ``extensions`` and named in a warning.
    Elements KTAB does not read are ignored with a warning.

    Raises:
        CaseError: Listing every missing element and bad value found.
    """
    root = _parse_xml(text, file)
    diags: list[Diagnostic] = []
    notes: list[Diagnostic] = []

    def need(parent: _El, tag: str) -> _El | None:
        el = parent.find(tag)
        if el is None:
            diags.append(
                _diag(
                    f"<{parent.tag}> has no <{tag}>",
                    file,
                    parent.line,
                    parent.column,
                    expected=f"a <{tag}> element inside <{parent.tag}>",
                    hint="see KTAB's smpExample.xml for the layout",
                    code="xml-missing",
                )
            )
        return el

    def number(el: _El, what: str, *, empty_ok: bool = False) -> float | None:
        t = el.text.strip()
        if not t and empty_ok:
            return None
        x = _number(t)
        if x is None:
            diags.append(
                _diag(
                    f"{what} '{t}' is not a number",
                    file,
                    el.line,
                    el.column,
                    expected=f"a number in <{el.tag}>",
                    hint="use a dot as decimal separator"
                    + ("; leave <dCoord></dCoord> empty for no position" if empty_ok else ""),
                    code="not-a-number",
                )
            )
        return x

    if root.tag != "Scenario":
        raise CaseError(
            f"{file}: not a KTAB XML scenario",
            [
                _diag(
                    f"the root element is <{root.tag}>",
                    file,
                    root.line,
                    root.column,
                    expected="<Scenario>",
                    code="xml-missing",
                )
            ],
        )
    other = _other_application(root, file)
    if other is not None:
        raise other
    for child in root.children:
        if child.tag not in _KNOWN:
            notes.append(
                Diagnostic(
                    f"<{child.tag}> ignored: KTAB's SMP reader does not read it",
                    file,
                    child.line,
                    child.column,
                    expected="name, desc, prngSeed, ModelParameters, Dimensions, Actors, "
                    "IdealAdjustment",
                    code="ktab-ignored",
                    severity="warning",
                )
            )
    name_el = need(root, "name")
    desc_el = root.find("desc")
    ext: dict[str, Any] = {"format": "xml"}
    seed_el = root.find("prngSeed")
    if seed_el is not None:
        seed = seed_el.text.strip()
        if not seed.isdigit():
            diags.append(
                _diag(
                    f"prngSeed '{seed}' is not a whole number",
                    file,
                    seed_el.line,
                    seed_el.column,
                    expected="a non-negative integer seed",
                    code="not-a-number",
                )
            )
        ext["prngSeed"] = seed
    params_el = root.find("ModelParameters")
    smp_params: dict[str, Any] = {}
    if params_el is not None:
        ext["ModelParameters"] = {c.tag: c.text.strip() for c in params_el.children}
        for c in params_el.children:
            if c.tag in MODEL_PARAMETERS:
                smp_params[MODEL_PARAMETERS[c.tag]] = c.text.strip()
            else:
                notes.append(
                    Diagnostic(
                        f"<ModelParameters><{c.tag}> ignored: not one of KTAB's nine SMP "
                        "parameters",
                        file,
                        c.line,
                        c.column,
                        expected=", ".join(MODEL_PARAMETERS),
                        code="ktab-ignored",
                        severity="warning",
                    )
                )
    dims: list[str] = []
    dims_el = need(root, "Dimensions")
    if dims_el is not None:
        dims = [d.text.strip() for d in dims_el.findall("dName")]
        if not dims:
            diags.append(
                _diag(
                    "<Dimensions> lists no <dName>",
                    file,
                    dims_el.line,
                    dims_el.column,
                    expected="at least one <dName>",
                    code="xml-missing",
                )
            )
    actors: list[_ActorRow] = []
    actors_el = need(root, "Actors")
    if actors_el is not None:
        if not actors_el.findall("Actor"):
            diags.append(
                _diag(
                    "<Actors> lists no <Actor>",
                    file,
                    actors_el.line,
                    actors_el.column,
                    expected="at least one <Actor>",
                    code="xml-missing",
                )
            )
        for a_el in actors_el.findall("Actor"):
            n_el = need(a_el, "name")
            d_el = a_el.find("description")
            c_el = need(a_el, "capability")
            p_el = need(a_el, "Position")
            s_el = need(a_el, "Salience")
            aname = n_el.text.strip() if n_el is not None else ""
            if n_el is not None and not aname:
                diags.append(
                    _diag(
                        "actor name is empty",
                        file,
                        n_el.line,
                        n_el.column,
                        expected="a non-empty <name>",
                        code="ktab-actor",
                    )
                )
            cap = number(c_el, f"actor '{aname}': capability") if c_el is not None else None
            pos: list[float | None] = []
            sal: list[float | None] = []
            if p_el is not None:
                pos = [
                    number(e, f"actor '{aname}': position", empty_ok=True)
                    for e in p_el.findall("dCoord")
                ]
            if s_el is not None:
                sal = [number(e, f"actor '{aname}': salience") for e in s_el.findall("dSal")]
            for el, vals, tag in ((p_el, pos, "dCoord"), (s_el, sal, "dSal")):
                if el is not None and dims and len(vals) != len(dims):
                    diags.append(
                        _diag(
                            f"actor '{aname}': <{el.tag}> has {len(vals)} <{tag}> but the "
                            f"scenario has {len(dims)} dimension(s)",
                            file,
                            el.line,
                            el.column,
                            expected=f"{len(dims)} <{tag}> elements, one per dimension",
                            code="ktab-columns",
                        )
                    )
            if (
                cap is None
                or not dims
                or len(pos) != len(dims)
                or len(sal) != len(dims)
                or any(s is None for s in sal)
            ):
                continue
            sal_f = [float(s) for s in sal if s is not None]
            line = a_el.line
            col_of: dict[str, int | None] = {"power": c_el.column if c_el is not None else None}
            diags += _check_values(file, line, col_of, aname, cap, pos, sal_f, dims)
            actors.append(
                _ActorRow(
                    aname,
                    (d_el.text.strip() or None) if d_el is not None else None,
                    cap,
                    pos,
                    sal_f,
                    line,
                )
            )
    ia_el = root.find("IdealAdjustment")
    if ia_el is not None:
        pairs: list[dict[str, Any]] = []
        for pair in ia_el.findall("iaPair"):
            entry: dict[str, Any] = {}
            for c in pair.children:
                if c.tag == "adjust":
                    x = number(c, "ideal adjustment")
                    entry[c.tag] = x
                else:
                    entry[c.tag] = c.text.strip()
            pairs.append(entry)
        ext["IdealAdjustment"] = pairs
        names = {a.name for a in actors}
        for pair_el, entry in zip(ia_el.findall("iaPair"), pairs, strict=True):
            for key in ("adjustingIdeal", "referencePos"):
                who = entry.get(key)
                if who is None:
                    diags.append(
                        _diag(
                            f"<iaPair> has no <{key}>",
                            file,
                            pair_el.line,
                            pair_el.column,
                            expected="adjustingIdeal, referencePos and adjust in each pair",
                            code="xml-missing",
                        )
                    )
                elif actors and who not in names:
                    diags.append(
                        _diag(
                            f"<{key}> names '{who}', who is not an actor of the scenario",
                            file,
                            pair_el.line,
                            pair_el.column,
                            expected="the <name> of an actor",
                            hint="KTAB's reader stops on a name it does not know",
                            code="unknown-actor",
                        )
                    )
        if pairs:
            notes.append(
                Diagnostic(
                    f"<IdealAdjustment> ({len(pairs)} pair(s)) kept but not used: KTAB's SMP "
                    "moves ideal points by this accommodation matrix, detente's smp has none "
                    "(its actors' ideals are their positions)",
                    file,
                    ia_el.line,
                    ia_el.column,
                    hint="the pairs are kept in extensions.ktab.IdealAdjustment and written "
                    "back on export; results equal KTAB's with the identity matrix",
                    code="ktab-unused",
                    severity="warning",
                )
            )
    diags += _duplicate_names(file, actors)
    if diags:
        raise CaseError(f"{file}: {len(diags)} problem(s) in the KTAB XML scenario", diags)
    name = name_el.text.strip() if name_el is not None else ""
    desc = desc_el.text.strip() if desc_el is not None else ""
    if desc_el is None:
        ext["no_desc"] = True
    sc = _Scenario(name, desc or None, dims, actors, ext, {"smp": smp_params} if smp_params else {})
    case = _build_case(sc, file)
    if warnings is not None:
        warnings.extend(notes)
    return [case]


def write_ktab_xml(case: Case) -> str:
    """The case as a KTAB SMP XML scenario.

    Model parameters, seed and ideal adjustments come back from
    ``case.extensions["ktab"]`` when present.
    """
    sc = _scenario_from_case(case)
    ext = sc.extensions
    out = ['<?xml version="1.0" encoding="UTF-8"?>', "<Scenario>"]
    out.append(f"  <name>{escape(sc.name)}</name>")
    if not ext.get("no_desc"):
        out.append(f"  <desc>{escape(sc.description or '')}</desc>")
    if "prngSeed" in ext:
        out.append(f"  <prngSeed>{escape(str(ext['prngSeed']))}</prngSeed>")
    params = ext.get("ModelParameters")
    if isinstance(params, dict):
        params = dict(params)
        smp = case.model_params.get("smp", {})
        for tag, name in MODEL_PARAMETERS.items():
            if name in smp:
                params[tag] = smp[name]
        out.append("  <ModelParameters>")
        out += [f"    <{k}>{escape(str(v))}</{k}>" for k, v in params.items()]
        out.append("  </ModelParameters>")
    out.append("  <Dimensions>")
    out += [f"    <dName>{escape(d)}</dName>" for d in sc.dimensions]
    out.append("  </Dimensions>")
    out.append("  <Actors>")
    for a in sc.actors:
        out.append("    <Actor>")
        out.append(f"      <name>{escape(a.name)}</name>")
        out.append(f"      <description>{escape(a.description or '')}</description>")
        out.append(f"      <capability>{format_number(a.capability)}</capability>")
        out.append("      <Position>")
        out += [
            f"        <dCoord>{'' if p is None else format_number(p)}</dCoord>" for p in a.positions
        ]
        out.append("      </Position>")
        out.append("      <Salience>")
        out += [f"        <dSal>{format_salience(s)}</dSal>" for s in a.saliences]
        out.append("      </Salience>")
        out.append("    </Actor>")
    out.append("  </Actors>")
    pairs = ext.get("IdealAdjustment")
    if isinstance(pairs, list):
        out.append("  <IdealAdjustment>")
        for pair in pairs:
            out.append("    <iaPair>")
            for k, v in pair.items():
                text = format_number(v) if isinstance(v, float) else str(v)
                out.append(f"      <{k}>{escape(text)}</{k}>")
            out.append("    </iaPair>")
        out.append("  </IdealAdjustment>")
    out.append("</Scenario>")
    return "\n".join(out) + "\n"
