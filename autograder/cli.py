"""The instructor's commands, over nbgrader's API.

    python -m autograder release [ASSIGNMENT ...]          student versions into COURSE/release/
    python -m autograder student --out DIR                  student versions copied into DIR (for self-study)
    python -m autograder grade ASSIGNMENT [--submissions D] autograde the new or changed submissions, in parallel
                                                            (dask: this machine's cores, or --scheduler ADDRESS)
    python -m autograder feedback ASSIGNMENT                HTML feedback into COURSE/feedback/
    python -m autograder export [--to grades.csv]           every grade to CSV
    python -m autograder report ASSIGNMENT [--to r.csv]     per-student flags: intake, limits, tampering, copying
    python -m autograder package --out DIR                  what a graded class receives: released notebooks and
                                                            a gancourse wheel, no solutions, checks or tests

``--course DIR`` picks the course directory (default: ./course). Exit status 1 if any step failed.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tqdm.auto import tqdm

from autograder.course import Course, NbgraderError, copy_new
from autograder.package import PackageError, build_class_package


def _assignments(course: Course, names: list[str]) -> list[str]:
    for name in names:
        course._assignment(name)
    return names or sorted(course.notebooks)


def cmd_release(course: Course, args) -> int:
    for assignment in _assignments(course, args.assignments):
        path = course.release(assignment)
        print(f"released {assignment}: {path}")
    return 0


def cmd_student(course: Course, args) -> int:
    out = Path(args.out).resolve()
    for assignment in _assignments(course, args.assignments):
        released = course.release(assignment)
        status = copy_new(released, out / released.name)
        note = {"copied": "new", "unchanged": "up to date",
                "kept": f"kept your edited copy; the new release is beside it as {released.stem}.new.ipynb"}[status]
        print(f"{out / released.name}: {note}")
    return 0


def cmd_grade(course: Course, args) -> int:
    from autograder.grading import ledger, report
    assignment = course._assignment(args.assignment)
    for flag, option in (("--workers", args.workers), ("--threads", args.threads)):
        if option is not None and option < 1:
            raise ValueError(f"{flag} must be a positive integer, got {option}")
    if not course.path("release", assignment).is_dir():
        course.release(assignment)
    students = (course.import_submissions(assignment, args.submissions, keep_unchanged=not args.regrade_all)
                if args.submissions else course.submitted_students(assignment))
    if not students:
        print(f"no submissions for {assignment} under {course.path('submitted')}/<student>/{assignment}/", file=sys.stderr)
        return 1
    settings = course.api.config.IsolatedExecute
    if args.allow_unisolated:
        settings.allow_unisolated = True
    else:
        from autograder.grading.sandbox import isolation_available
        reason = isolation_available()
        if reason:
            print(f"error: cannot isolate the students' kernels on this machine ({reason}); a submission could read "
                  "and change the gradebook. Grade on Linux, or pass --allow-unisolated to grade anyway.",
                  file=sys.stderr)
            return 1
    for flag, option, trait in (("--timeout", args.timeout, "submission_timeout"),
                                ("--cell-timeout", args.cell_timeout, "timeout")):
        if option is not None:
            if option <= 0:
                raise ValueError(f"{flag} must be a positive number of seconds, got {option}")
            settings[trait] = option
    settings = dict(settings)
    todo = students if args.regrade_all else ledger.stale(course, assignment, students, settings)
    if len(todo) < len(students):
        print(f"{len(students) - len(todo)} submission(s) unchanged since they were graded: kept "
              "(--regrade-all grades them again)")
    failures = []
    bar = tqdm(total=len(todo), desc=f"Autograding {assignment}", unit="submission", disable=not todo)

    def done(student: str, error: str | None) -> None:
        bar.update(1)
        bar.set_postfix(student=student)
        if error is not None:
            failures.append((student, error))
            return
        ledger.save(course, assignment, student, key=ledger.key(course, assignment, student, settings))
        score, max_score = course.total(assignment, student)
        tqdm.write(f"{student}: {score:g} / {max_score:g} auto-graded points")

    if args.serial:
        for student in todo:
            try:
                course.autograde(assignment, student)
            except NbgraderError as err:
                done(student, str(err))
            else:
                done(student, None)
    elif todo:
        from autograder.grading.parallel import grade_many
        grade_many(course, assignment, todo, workers=args.workers, scheduler=args.scheduler, threads=args.threads,
                   settings=settings, done=lambda outcome, error: done(outcome.student, error))
    bar.close()
    for student, message in failures:
        print(f"FAILED {student}: {message}", file=sys.stderr)
    flagged = [s for s in students if report.flagged(report.student_report(course, assignment, s))]
    if flagged:
        print(f"{len(flagged)} submission(s) flagged for a look ({', '.join(flagged[:5])}"
              f"{' ...' if len(flagged) > 5 else ''}): python -m autograder report {assignment}")
    return 1 if failures else 0


def cmd_feedback(course: Course, args) -> int:
    assignment = course._assignment(args.assignment)
    for path in course.feedback(assignment, args.student):
        print(path)
    return 0


def cmd_export(course: Course, args) -> int:
    print(f"grades written to {course.export(args.to)}")
    return 0


def cmd_report(course: Course, args) -> int:
    from autograder.grading import report
    assignment = course._assignment(args.assignment)
    rows = [report.student_report(course, assignment, s) for s in course.submitted_students(assignment)]
    for row in rows:
        if args.all or report.flagged(row):
            print(report.summary(row))
    flagged = sum(report.flagged(r) for r in rows)
    print(f"{flagged} of {len(rows)} submissions flagged; report written to {report.write(rows, args.to)}")
    return 0


def cmd_package(course: Course, args) -> int:
    out = build_class_package(course, args.out, args.assignments)
    print(f"class package written to {out}:")
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        print(f"  {path.relative_to(out)}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__.split("\n\n")[0])
    parser.add_argument("--course", default="course", help="course directory (default: ./course)")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("release", help="generate the student version of assignments")
    p.add_argument("assignments", nargs="*", help="assignment ids such as 01_intro (default: all)")
    p.set_defaults(func=cmd_release)
    p = sub.add_parser("student", help="copy student versions into a folder, never overwriting edited notebooks")
    p.add_argument("assignments", nargs="*")
    p.add_argument("--out", required=True, help="folder for the student notebooks")
    p.set_defaults(func=cmd_student)
    p = sub.add_parser("grade", help="autograde every submission of an assignment")
    p.add_argument("assignment")
    p.add_argument("--submissions", help="folder of <student>/[<assignment>/]*.ipynb to import first")
    p.add_argument("--timeout", type=int, help="seconds for a whole notebook (default 900): past it the kernel is killed")
    p.add_argument("--cell-timeout", type=int, help="seconds for one cell (default 180): past it the kernel is killed")
    p.add_argument("--workers", type=int, help="submissions graded at once on this machine (default: its cores)")
    p.add_argument("--scheduler", help="address of a dask scheduler (tcp://host:8786) to grade on its cluster instead")
    p.add_argument("--threads", type=int, help="torch threads of each submission's kernel (default: cores / workers "
                                                 "on this machine; the library's default on a cluster)")
    p.add_argument("--serial", action="store_true", help="grade one submission after another in this process, no dask")
    p.add_argument("--regrade-all", action="store_true", help="grade every submission again, changed or not")
    p.add_argument("--allow-unisolated", action="store_true",
                   help="grade even where the kernels cannot be isolated (not Linux, or no user namespaces): a "
                        "submission could then read and change the gradebook")
    p.set_defaults(func=cmd_grade)
    p = sub.add_parser("feedback", help="generate HTML feedback for autograded submissions")
    p.add_argument("assignment")
    p.add_argument("--student", help="only this student")
    p.set_defaults(func=cmd_feedback)
    p = sub.add_parser("export", help="export all grades to CSV")
    p.add_argument("--to", default="grades.csv", help="CSV file to write (default: grades.csv)")
    p.set_defaults(func=cmd_export)
    p = sub.add_parser("report", help="per-student report of a graded assignment: intake, limits, tampering, copying")
    p.add_argument("assignment")
    p.add_argument("--to", default="report.csv", help="CSV file to write (default: report.csv)")
    p.add_argument("--all", action="store_true", help="print every student, not only the flagged ones")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("package", help="build what a graded class receives (released notebooks + gancourse wheel)")
    p.add_argument("assignments", nargs="*", help="assignment ids (default: all)")
    p.add_argument("--out", required=True, help="a new or empty folder")
    p.set_defaults(func=cmd_package)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        course = Course(args.course)
        return args.func(course, args)
    except (NbgraderError, PackageError, ValueError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
