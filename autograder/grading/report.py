"""The instructor's per-student report of a graded assignment: the score, how the submission was taken in and run,
and anything that looks like tampering or copying, with where it was found."""
from __future__ import annotations

import csv
import json
from pathlib import Path

from autograder.grading.intake import REPORTS

REPORT_NAME = "grading_report.json"


def student_report(course, assignment: str, student: str) -> dict:
    run_file = course.path("autograded", student, assignment, REPORT_NAME)
    notes_file = course.path(REPORTS, assignment, f"{student}.intake.json")
    run = json.loads(run_file.read_text()) if run_file.is_file() else {}
    notes = json.loads(notes_file.read_text()) if notes_file.is_file() else []
    try:
        score, max_score = course.total(assignment, student)
    except Exception:  # noqa: BLE001 — no submission in the gradebook
        score, max_score = None, None
    failed = {cell: info.get("failures", []) for cell, info in run.get("cells", {}).items() if not info.get("passed")}
    return {"student": student, "score": score, "max_score": max_score,
            "isolation": run.get("isolation", "not run"), "seconds": run.get("seconds"), "intake": notes, "events": run.get("events", []),
            "failed_checks": failed, "tampering": run.get("tampering", []),
            "copied_reference": run.get("copied_reference", [])}


def flagged(row: dict) -> bool:
    return bool(row["intake"] or row["events"] or row["tampering"] or row["copied_reference"]
                or row["isolation"] != "isolated")


def write(rows: list[dict], destination: str | Path) -> Path:
    """A CSV, one line per student: score, flag, and each finding as text (``where: what``)."""
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    with destination.open("w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["student", "score", "max_score", "flagged", "seconds", "isolation", "intake", "events",
                      "tampering", "copied_reference"])
        for r in rows:
            out.writerow([r["student"], r["score"], r["max_score"], "yes" if flagged(r) else "", r["seconds"],
                          r["isolation"],
                          " | ".join(r["intake"]), " | ".join(r["events"]),
                          " | ".join(f"{t['cell']} line {t['line']}: {t['what']}" for t in r["tampering"]),
                          " | ".join(f"{c['check']}: {c['what']}" for c in r["copied_reference"])])
    return destination


def summary(row: dict) -> str:
    took = f" in {row['seconds']:.0f} s" if row.get("seconds") is not None else ""
    lines = [f"{row['student']}: {row['score']} / {row['max_score']}{took}" + ("  [FLAGGED]" if flagged(row) else "")]
    lines += [f"  taken in: {n}" for n in row["intake"]]
    lines += [f"  run: {e}" for e in row["events"]]
    lines += [f"  tampering? {t['cell']} line {t['line']}: {t['what']}" for t in row["tampering"]]
    lines += [f"  copied? {c['check']}: {c['what']}" for c in row["copied_reference"]]
    if row["isolation"] != "isolated":
        lines.append(f"  isolation: {row['isolation']}")
    return "\n".join(lines)
