"""Plain-text table of a `govmod eval toxicity` report (the model, and a baseline side by side if given)."""

from __future__ import annotations

from typing import Any


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def _figures(r: dict[str, Any]) -> list[tuple[str, Any]]:
    """Return (label, value) of every headline figure of one model's report."""
    d, cs, dv = r["dynahate_r4"], r["counter_speech_test"], r["davidson"]
    return [
        ("DynaHate round 4 AUROC (hate; target >= 0.85)", d["auroc"]),
        ("  originals / perturbations", f"{_fmt(d['by_level']['original'])} / {_fmt(d['by_level']['perturbation'])}"),
        ("  flagged: hate / not hate", f"{_fmt(d['flagged_hate'])} / {_fmt(d['flagged_not_hate'])}"),
        (f"DynaHate r4 contrast pairs, hateful higher (n={d['contrast_pairs']['n']}; >= 0.85)",
         d["contrast_pairs"]["hateful_higher"]),
        ("counter-narratives flagged, test groups (<= 0.15)", cs["flagged"]),
        ("  counter-speech hate speech caught / AUROC", f"{_fmt(cs['hate_caught'])} / {_fmt(cs['auroc_hate'])}"),
        ("Hatemoji test AUROC (hate)", r["hatemoji_test"]["auroc"]),
        ("TweetEval hate val AUROC (hate; >= 0.80)", r["tweeteval_hate_val"]["auroc"]),
        ("TweetEval offensive val AUROC (any category; >= 0.85)", r["tweeteval_offensive_val"]["auroc"]),
        ("  offensive val flagged: offensive / not", f"{_fmt(r['tweeteval_offensive_val']['flagged_pos'])} / "
                                                     f"{_fmt(r['tweeteval_offensive_val']['flagged_neg'])}"),
        ("Davidson AUROC hate-or-offensive (cross-dataset)", dv["auroc_hate_or_offensive"]),
        ("Davidson AUROC hate vs rest", dv["auroc_hate_vs_rest"]),
        ("  Davidson flagged: hate / offensive / neither",
         f"{_fmt(dv['flagged']['hate'])} / {_fmt(dv['flagged']['offensive'])} / {_fmt(dv['flagged']['neither'])}"),
        ("ToxiGen FPR on neutral sentences (max-min gap)",
         f"{_fmt(r['toxigen']['fpr'])} ({_fmt(r['toxigen']['fpr_max_minus_min'])})"),
        *_threat_figures(r.get("threats", {})),
    ]


def _threat_figures(threats: dict[str, Any]) -> list[tuple[str, Any]]:
    """Return the threat category's figures per held-out set (older reports have none)."""
    out: list[tuple[str, Any]] = []
    for name, label in (("dynahate_r4", "DynaHate r4"), ("hatemoji_test", "Hatemoji test")):
        t = threats.get(name, {})
        out.append((f"{label} threats (n={t.get('n_threats', '-')}): threat AUROC vs all other rows", t.get("auroc")))
        out.append(("  threat line reached: threats / other rows; threats flagged",
                    f"{_fmt(t.get('threat_line_threats'))} / {_fmt(t.get('threat_line_other'))}; "
                    f"{_fmt(t.get('flagged_threats'))}"))
    return out


def render(report: dict[str, Any]) -> str:
    """Return the report as a plain-text table."""
    model, base = report["model"], report.get("baseline")
    lines = [f"toxicity detector {model['version']}", "thresholds (calibrated, raw probability): "
             + ", ".join(f"{c} {t:.3f}" for c, t in model["thresholds"].items())
             + f"; cases open for: {', '.join(model['case_categories'])}"]
    if base:
        lines.append(f"baseline {base['version']}")
    if "precision" in report:
        lines.append(f"encoder matrix products in {report['precision']}")
    lines.append("")
    head = f"{'figure (held out, default threshold)':<62} {'model':>15}" + (f" {'baseline':>15}" if base else "")
    lines.append(head)
    rows = _figures(model)
    base_rows = _figures(base) if base else [(label, None) for label, _ in rows]
    for (label, value), (_, b) in zip(rows, base_rows, strict=True):
        lines.append(f"{label:<62} {_fmt(value):>15}" + (f" {_fmt(b):>15}" if base else ""))
    lines += ["", "counter-narratives flagged per target group (test groups)",
              f"{'group':<16} {'CNs':>6} {'flagged':>8} {'HS':>6} {'caught':>7}"]
    for g, m in model["counter_speech_test"]["groups"].items():
        lines.append(f"{g:<16} {m['counter_narratives']:>6} {_fmt(m['flagged']):>8} {m['hate_speech']:>6} "
                     f"{_fmt(m['hate_caught']):>7}")
    lines += ["", "acceptance: " + "; ".join(f"{k} {_fmt(v)} ({'met' if met else 'NOT met'}, target {t})"
                                             for k, (v, t, met) in report["acceptance"].items())]
    return "\n".join(lines)
