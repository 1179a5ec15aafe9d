"""MODEL_CARD.md of the shipped model, rendered from `model_card.md.tmpl` and a training report."""

from __future__ import annotations

import json
from pathlib import Path
from string import Template
from typing import Any

from worker.training.corpus import CORPORA

TEMPLATE = Path(__file__).with_name("model_card.md.tmpl")


def _fmt(value: object) -> str:
    """Format a score for the model card table."""
    return f"{value:.3f}" if isinstance(value, float) else str(value)



def score_sections(report: dict[str, Any]) -> str:
    """One heading and per-type table per valid split, each followed by a blank line."""
    lines: list[str] = []
    for corpus, res in report["valid"].items():
        lines += [
            f"### {corpus}-valid ({res['sentences']} sentences)",
            "",
            "| type | P | R | F | gold entities |",
            "|---|---|---|---|---|",
        ]
        for label, vals in res["per_type"].items():
            lines.append(
                f"| {label} | {_fmt(vals['p'])} | {_fmt(vals['r'])} | {_fmt(vals['f'])} "
                f"| {vals['n']} |"
            )
        lines += [
            f"| **overall** | {_fmt(res['p'])} | {_fmt(res['r'])} | {_fmt(res['f'])} | |",
            "",
            f"F counting all predicted labels: {_fmt(res['f_all_predicted_labels'])}.",
            "",
        ]
    return "".join(line + "\n" for line in lines)


def render_model_card(report: dict[str, Any]) -> str:
    """Render MODEL_CARD.md so the shipped model documents data, licence, scores and limits."""
    values = {
        "pipeline": report["pipeline"],
        "labels": report["labels"],
        "lexicons": report.get("lexicons", []),
        "select_on": report.get("select_on", list(CORPORA)),
        "bio_repairs": json.dumps(report["data"]["bio_repairs"]),
        "sentences": json.dumps(report["data"]["sentences"]),
        "training_command": report["training_command"],
        "component_effects": report.get("component_effects", "n/a"),
        "scores": score_sections(report),
        "words_per_second": f"{report['words_per_second']:,.0f}",
        "matmul": report.get("matmul", "blis"),
        "size_mb": report["size_mb"],
        "baseline_lines": "\n".join(baseline_lines(report)),
    }
    return Template(TEMPLATE.read_text(encoding="utf-8")).substitute(values)


# Valid-split F of a small CNN trained per corpus (the reference); floors, not goals.
BASELINE_F: dict[str, float] = {"nergrit": 0.69, "nerp": 0.76}


def baseline_lines(report: dict[str, Any]) -> list[str]:
    """Model-card lines comparing each valid split's F with its small-CNN baseline."""
    lines = []
    for corpus, baseline in BASELINE_F.items():
        f = float(report["valid"][corpus]["f"])
        verdict = "above" if f >= baseline else "BELOW"
        lines.append(f"- {corpus} valid F {f:.3f} is {verdict} its ~{baseline:.2f} CNN baseline.")
    lines.append("- EVENT is the weakest type (few, long, lower-cased common-word names).")
    return lines

