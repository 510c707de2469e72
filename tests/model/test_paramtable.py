"""The generated parameter tables: complete, correct, and never stale."""

from __future__ import annotations

from pathlib import Path

import pytest

from model import paramtable
from model.scenario import SCHEMA_LEAVES

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def scenario():
    from model import load_scenario

    return load_scenario()


@pytest.mark.parametrize("name", ["parameters.md", "assumptions.md"])
def test_generated_docs_are_up_to_date(scenario, name):
    """Fails when the schema, the baseline or the experiment specs changed without
    regenerating: run ``python -m model.paramtable``."""
    render = paramtable.render_parameters if name == "parameters.md" else paramtable.render_assumptions
    path = ROOT / "docs" / name
    assert path.exists(), f"{path} missing: run python -m model.paramtable"
    assert path.read_text(encoding="utf-8") == render(scenario), f"docs/{name} is stale: run python -m model.paramtable"


def test_every_schema_parameter_has_a_row(scenario):
    text = paramtable.render_parameters(scenario)
    for path in SCHEMA_LEAVES:
        if path in ("name", "description"):
            continue
        assert f"| `{path}` |" in text, path


def test_rows_carry_unit_value_bounds_and_source(scenario):
    rows = {r["path"]: r for r in paramtable.parameters(scenario)}
    r = rows["levers.training.daily_allowance_yuan"]
    assert (r["value"], r["unit"], r["range"], r["bounds"], r["source"]) == ("50", "yuan/day", "[0, 150]", "[0, 1000]", "case")
    assert rows["population.people_total"]["bounds"] == "[1, 1e+07]"
    assert all(r["source"] for r in rows.values()), "every baseline parameter has a source"
    assert all(r["unit"] for p, r in rows.items() if p != "population.counties"), "every parameter has a unit"


def test_assumptions_table_lists_every_assumption_and_its_experiments(scenario, tmp_path):
    spec = tmp_path / "study.yaml"
    spec.write_text("name: study\nparameters:\n  uncertainties.separation_rate: {min: 0.005, max: 0.04}\n"
                    "  levers__public_posts__max_term_months: {min: 6, max: 36}\n", encoding="utf-8")
    (tmp_path / "broken.yaml").write_text("parameters: [", encoding="utf-8")  # ignored, not fatal
    text = paramtable.render_assumptions(scenario, specs_dir=tmp_path)
    assumed = [p for p, m in scenario.meta.items() if str(m.get("source", "")).startswith("assumption")]
    for path in assumed:
        assert f"| `{path}` |" in text, path
    line = next(x for x in text.splitlines() if x.startswith("| `uncertainties.separation_rate` |"))
    assert "`study.yaml`" in line
    line = next(x for x in text.splitlines() if x.startswith("| `levers.public_posts.max_term_months` |"))
    assert "`study.yaml`" in line
    line = next(x for x in text.splitlines() if x.startswith("| `uncertainties.illness_rate` |"))
    assert "**not varied**" in line


def test_check_mode_reports_stale_files(tmp_path):
    assert paramtable.stale(docs=tmp_path) == [tmp_path / "parameters.md", tmp_path / "assumptions.md"]
    paramtable.write(docs=tmp_path)
    assert paramtable.stale(docs=tmp_path) == []
