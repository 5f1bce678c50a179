"""``legalaid demo``: a sample center modelled on the seed report, imported from files, with its figures."""

from __future__ import annotations

import shlex
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cli._common import console, err_console, output_folder, parse_date_option, print_json
from cli._console import Table
from cli.demo.data import DEFAULT_AS_OF

if TYPE_CHECKING:
    from cli.demo.run import DemoReport

_AS_OF_HELP = (
    f"The demo's today, YYYY-MM-DD (default {DEFAULT_AS_OF}, the day after the seed report's statistical "
    "year closed); the demo holds the two statistical years before it."
)

# What to try next, shown only for the commands this installation has: (command, line, what it shows).
_NEXT: tuple[tuple[str, str, str], ...] = (
    ("config", "legalaid config", "the settings in effect"),
    ("serve", "legalaid serve", "in another terminal: a worker and the scheduler; notices become .eml files"),
    ("status", "legalaid status", "is every part up"),
    ("mail status", "legalaid mail status", "the outbox"),
    ("reminders run", "legalaid reminders run --as-of {as_of} --dry-run", "the reminders of the demo date"),
    ("report annual", "legalaid report annual --year {report_year} --dry-run", "the annual report's figures"),
    ("roster", "legalaid roster check --from {rota_from} --to {rota_to}", "the desk rota the demo drew"),
    ("documents render", "legalaid documents render assignment_notice --case {case_no}", "a Word document"),
    ("import", "legalaid import cases {cases} --dry-run", "import a file again: nothing changes"),
)


def register(app: typer.Typer) -> None:
    @app.command("demo")
    def demo(
        data_dir: Annotated[
            Path | None, typer.Option("--dir", help="Data folder (default: the data_dir setting, ./var).")
        ] = None,
        as_of: Annotated[str | None, typer.Option("--as-of", metavar="DATE", help=_AS_OF_HELP)] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
        force: Annotated[
            bool, typer.Option("--force", help="Remove the embedded database and its folders first.")
        ] = False,
    ) -> None:
        """Build a sample center modelled on the 2012 work report in a fresh data folder; show its figures."""
        from cli.demo.run import demo_settings, run_demo

        day = parse_date_option(as_of, "--as-of") or DEFAULT_AS_OF
        if data_dir is not None:
            output_folder(data_dir, "--dir")
        report = run_demo(demo_settings(data_dir), as_of=day, force=force)
        steps = next_steps(app, report)
        if as_json:
            print_json({**report.as_dict(), "next": [line for line, _about in steps]})
            return
        show(report, steps)


def command_names(app: typer.Typer) -> set[str]:
    """Every command of the app as typed (``status``, ``mail status``), groups included."""
    names: set[str] = set()
    for command in app.registered_commands:
        if command.callback is not None:
            names.add(command.name or command.callback.__name__.replace("_", "-"))
    for group in app.registered_groups:
        if group.name and group.typer_instance is not None:
            names.add(group.name)
            names.update(f"{group.name} {sub}" for sub in command_names(group.typer_instance))
    return names


def next_steps(app: typer.Typer, report: DemoReport) -> list[tuple[str, str]]:
    """The commands to try on the demo center, each with what it shows; only commands that exist."""
    available = command_names(app)
    values = {
        "as_of": report.as_of.isoformat(),
        "case_no": report.scenarios.get("hearing_soon", ""),  # assigned, open: it has an assignment notice
        "cases": report.files.get("cases", ""),
        "rota_from": report.steps.get("roster", {}).get("from", report.as_of.isoformat()),
        "rota_to": report.steps.get("roster", {}).get("to", report.as_of.isoformat()),
        "report_year": report.steps.get("report", {}).get("period", report.as_of.year),
    }
    settings_path = shlex.quote(str(report.files["settings"]))
    steps = [(f"export LEGALAID_CONFIG={settings_path}", "the demo center's settings")]
    command = legalaid_command()
    steps += [
        (command + line.format(**values).removeprefix("legalaid"), about)
        for name, line, about in _NEXT
        if name in available
    ]
    return steps


def legalaid_command() -> str:
    """The ``legalaid`` command as it must be typed to run as printed: ``legalaid`` when the shell finds
    this installation's script by that name, else the script's full path (run as ``/venv/bin/legalaid
    demo`` with the virtual environment not active, a bare ``legalaid`` is "command not found")."""
    script = Path(sys.executable).with_name("legalaid")  # not resolved: the venv's python is a link
    if not script.is_file():  # run as `python -m cli`: no script to point at
        return "legalaid"
    found = shutil.which("legalaid")
    if found is not None and Path(found).resolve() == script.resolve():
        return "legalaid"
    return shlex.quote(str(script))


def _kinds(by_kind: dict[str, int]) -> str:
    """The notices by kind, for the summary's line: ": 1 day-before notice, 5 monthly desk reports"."""
    named = [f"{n} {kind}{'' if n == 1 else 's'}" for kind, n in by_kind.items()]
    return f": {', '.join(named)}" if named else ""


def _count(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) else "–"


def _percent(value: float | None) -> str:
    return "" if value is None else f"{value:+.2f}%"


def show(report: DemoReport, steps: list[tuple[str, str]]) -> None:
    summary = report.summary
    previous, current = summary["years"]
    console.print(
        f"Demo center modelled on the 2012 work report, as of {report.as_of} "
        f"(built in {report.seconds:.1f} s): {report.data_dir}",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )
    console.print(years_table(previous, current, summary["growth"]))
    console.print(
        f"年度 = statistical year: {previous['label']}年度 is {previous['start']} … {previous['end']}, "
        f"{current['label']}年度 {current['start']} … {current['end']}",
        highlight=False,
        soft_wrap=True,
    )
    firms, people, roster, outbox = summary["firms"], summary["people"], summary["roster"], summary["outbox"]
    lines = [
        f"firms     {firms['firms']}: {firms['law_firms']} 律师事务所, {firms['legal_service_offices']} "
        f"基层法律服务所; {firms['accepting_applications']} accept applications (受理点)",
        f"people    {people['people']}: {people['lawyers']} lawyers, "
        f"{people['legal_workers']} legal workers, {people['staff']} center staff, "
        f"{people['leaders']} leaders; {people['active']} active, {people['desk_pool']} in the desk pool",
        f"roster    {roster['shifts']} desk days {roster['first']} … {roster['last']} "
        f"({roster['people']} lawyers); {roster['leave']} leave",
        f"outbox    {outbox['messages']} notices with {outbox['documents']} Word documents: "
        f"{outbox['sent']} sent, {outbox['queued']} queued"
        + (f" (as .eml files in {folder})" if (folder := report.steps.get("mail", {}).get("folder")) else ""),
        f"files     {report.folder}",
    ]
    if rota := report.steps.get("roster"):
        problems = f"{len(rota['problems'])} problem(s)" if rota["problems"] else "no problem"
        lines.insert(
            -1,
            f"desk rota {rota['month']} drawn: {rota['shifts']} duties for {rota['people']} lawyers, "
            f"{problems}, quality score {rota['score']}; {rota['notices']} duty notice(s) sent"
            + _kinds(rota.get("notices_by_kind", {})),
        )
    if annual := report.steps.get("report"):
        mailed = " (mailed to the leaders as an .eml file)" if annual["status"] == "sent" else ""
        lines.insert(-1, f"report    {annual['period']}年度 annual report{mailed}: {annual['files'][0]}")
    for line in lines:
        console.print(line, highlight=False, soft_wrap=True, markup=False)
    for problem in report.steps.get("import", {}).get("notice_problems", []):
        err_console.print(f"warning: {problem}", highlight=False, soft_wrap=True, markup=False)
    console.print("\nNext:", highlight=False)
    for line, about in steps:
        console.print(f"  {line}", highlight=False, soft_wrap=True, markup=False, end="")
        console.print(f"  [dim]# {about}[/dim]", highlight=False, soft_wrap=True)


# (label, part, figure, growth key); a figure of None is a heading.
_ROWS: tuple[tuple[str, str, str, str | None], ...] = (
    ("cases 援助案件", "cases", "cases", "cases"),
    ("  civil 民事", "cases", "civil", "civil"),
    ("    migrant 农民工", "cases", "civil_migrant", None),
    ("  criminal 刑事", "cases", "criminal", "criminal"),
    ("  from the desk", "cases", "from_desk", None),
    ("  awaiting decision", "cases", "awaiting_decision", None),
    ("148 hotline 热线", "consultations", "hotline_148", "hotline_148"),
    ("visits 来访", "consultations", "visits", None),
    ("arbitration desk", "consultations", "desk", None),
    ("  answered 解答", "consultations", "desk_answered", None),
    ("  mediated 调解", "consultations", "desk_mediated", None),
    ("  converted 转案件", "consultations", "desk_converted", None),
    ("  referred 转介", "consultations", "desk_referred", None),
)


def years_table(previous: dict[str, Any], current: dict[str, Any], growth: dict[str, Any]) -> Table:
    """The two statistical years side by side, with the change on last year (比去年)."""
    table = Table(show_edge=False, pad_edge=False)
    table.add_column("")
    table.add_column(f"{previous['label']}年度", justify="right")
    table.add_column(f"{current['label']}年度", justify="right")
    table.add_column("比去年", justify="right")
    for label, part, figure, growth_key in _ROWS:
        now = _count(current[part][figure])
        if figure == "civil_migrant" and current[part]["civil_migrant_share"] is not None:
            now += f" ({current[part]['civil_migrant_share']}%)"
        change = _percent(growth[growth_key]) if growth_key else ""
        table.add_row(label, _count(previous[part][figure]), now, change)
    return table
