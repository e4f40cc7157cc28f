"""``python -m modellix_typed.codegen``: crawl the docs into specs/, diff snapshots, serve a docs mirror.

Other commands (e.g. ``generate``) register themselves on :data:`main` with ``@main.command()``.
"""

from __future__ import annotations

import asyncio
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from urllib.parse import urlsplit

import click

from modellix_typed.codegen.crawl import CrawlResult, IndexUnavailable, crawl_docs
from modellix_typed.codegen.docs_index import CANONICAL_DOCS_URL
from modellix_typed.codegen.fetch import FetchPolicy
from modellix_typed.codegen.lint import LINT_FILE, write_lint_report
from modellix_typed.codegen.mirror_server import serve_directory
from modellix_typed.codegen.overlay import OVERLAY_DIR
from modellix_typed.codegen.snapshot import dump_json, write_snapshot

EXIT_OK = 0
EXIT_INDEX_UNAVAILABLE = 1


@click.group()
def main() -> None:
    """Build the specs/ snapshot that the SDK is generated from."""


def _docs_origin(docs_url: str | None, mirror: Path | None) -> AbstractContextManager[str]:
    if mirror is not None:
        return serve_directory(mirror)
    return nullcontext(docs_url or CANONICAL_DOCS_URL)


def _policy(concurrency: int, timeout: float, retries: int) -> FetchPolicy:
    return FetchPolicy(concurrency=concurrency, timeout=timeout, retries=retries)


def run_crawl(
    source: str, docs_url: str | None, mirror: Path | None, out: Path, policy: FetchPolicy, schema_url: str
) -> CrawlResult:
    with _docs_origin(docs_url, mirror) as origin:
        if source == "api-schema":
            from modellix_typed.codegen.api_schema import crawl_api_schemas

            # --mirror serves a directory laid out as models/<provider>/<model_id>/api_schema
            return asyncio.run(crawl_api_schemas(origin if mirror is not None else schema_url, out, policy))
        return asyncio.run(crawl_docs(origin, policy))


def second_source(out: Path, mirror: Path | None, url: str | None, policy: FetchPolicy) -> None:
    """After a docs crawl: each model's api_schema too (a mirror or a live origin, when given); where both
    sources exist both are kept and the newer one followed (:mod:`.two_sources`)."""
    if mirror is None and url is None:
        return
    from modellix_typed.codegen.two_sources import follow_newer_sources

    result = run_crawl("api-schema", None, mirror, out, policy, url or "")
    for slug in follow_newer_sources(out, result):
        click.echo(f"{slug}: generated from its api_schema (newer than its docs page; see {LINT_FILE})", err=True)


_second_source_options = [
    click.option(
        "--api-schema-mirror",
        type=click.Path(exists=True, file_okay=False, path_type=Path),
        default=None,
        help="Docs crawl: also read each model's api_schema from this directory (models/<provider>/<model_id>/"
        "api_schema); where both sources exist both are kept, compared in the lint report, the newer followed.",
    ),
    click.option(
        "--api-schema-url",
        default=None,
        help="Docs crawl: the same from a live origin (e.g. https://www.modellix.ai).",
    ),
]


def second_source_options(func: click.decorators.FC) -> click.decorators.FC:
    for option in reversed(_second_source_options):
        func = option(func)
    return func


def _crawl_or_exit(
    source: str, docs_url: str | None, mirror: Path | None, out: Path, policy: FetchPolicy, schema_url: str
) -> CrawlResult:
    """:func:`run_crawl`, or exit 1 when the docs index could not be fetched (nothing is written then)."""
    try:
        return run_crawl(source, docs_url, mirror, out, policy, schema_url)
    except IndexUnavailable as exc:
        click.echo(f"error: docs index unavailable: {exc}", err=True)
        sys.exit(EXIT_INDEX_UNAVAILABLE)


def _http_url(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None and urlsplit(value).scheme not in ("http", "https"):
        raise click.BadParameter(f"{value!r} is not an http(s):// URL")
    return value


_fetch_options = [
    click.option(
        "--docs-url",
        default=None,
        callback=_http_url,
        help=f"Docs base URL to crawl (default {CANONICAL_DOCS_URL}).",
    ),
    click.option(
        "--mirror",
        type=click.Path(exists=True, file_okay=False, path_type=Path),
        default=None,
        help="Serve this docs mirror directory on 127.0.0.1 for the duration and crawl it.",
    ),
    click.option("--concurrency", default=8, show_default=True, type=click.IntRange(min=1)),
    click.option(
        "--timeout",
        default=15.0,
        show_default=True,
        type=click.FloatRange(min=0, min_open=True),
        help="Seconds per request.",
    ),
    click.option(
        "--retries", default=3, show_default=True, type=click.IntRange(min=0), help="Retries on 429/5xx/network errors."
    ),
]


def fetch_options(func: click.decorators.FC) -> click.decorators.FC:
    for option in reversed(_fetch_options):
        func = option(func)
    return func


@main.command()
@fetch_options
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("specs"), show_default=True)
@click.option("--source", type=click.Choice(["docs", "api-schema"]), default="docs", show_default=True)
@click.option(
    "--schema-url",
    default="https://www.modellix.ai",
    show_default=True,
    callback=_http_url,
    help="Origin of /models/<provider>/<model_id>/api_schema (--source api-schema; models from OUT/index.json).",
)
@second_source_options
@click.option("--json", "as_json", is_flag=True, help="Print the crawl report as JSON on stdout.")
def crawl(
    docs_url: str | None,
    mirror: Path | None,
    concurrency: int,
    timeout: float,
    retries: int,
    out: Path,
    source: str,
    schema_url: str,
    api_schema_mirror: Path | None,
    api_schema_url: str | None,
    as_json: bool,
) -> None:
    """Crawl the docs into OUT (default specs/).

    Page failures (404, no fence, invalid OpenAPI, ...) are reported and never abort the crawl; a previously
    good spec whose page failed is kept and marked stale.

    Exit codes: 0 the crawl completed (even with page failures); 1 the docs index (llms.txt) could not be
    fetched, nothing was written; 2 usage error.
    """
    if docs_url and mirror:
        raise click.UsageError("--docs-url and --mirror are mutually exclusive")
    if source == "api-schema" and docs_url:
        raise click.UsageError("--source api-schema takes --schema-url (or --mirror), not --docs-url")
    started = time.perf_counter()
    result = _crawl_or_exit(source, docs_url, mirror, out, _policy(concurrency, timeout, retries), schema_url)
    summary = write_snapshot(out, result)
    if source == "docs":
        second_source(out, api_schema_mirror, api_schema_url, _policy(concurrency, timeout, retries))
    lint = write_lint_report(out)
    elapsed = time.perf_counter() - started
    if as_json:
        click.echo(dump_json({**summary.report, "elapsed_seconds": round(elapsed, 3), "out": str(out)}), nl=False)
        return
    report = summary.report
    click.echo(
        f"crawled {report['pages_fetched']}/{report['pages_listed']} pages in {elapsed:.2f}s: "
        f"{report['models_written']} models + {report['common_written']} common specs written to {out}/, "
        f"{len(report['failures'])} failures, {len(report['stale'])} stale kept, {len(summary.removed)} removed, "
        f"{len(lint['findings'])} docs lint findings ({out / LINT_FILE})",
        err=True,
    )
    reasons: dict[str, int] = {}
    for failure in report["failures"]:
        reasons[failure["reason"]] = reasons.get(failure["reason"], 0) + 1
    for reason, count in sorted(reasons.items()):
        click.echo(f"  {reason}: {count}", err=True)
    for failure in report["failures"]:
        if failure["reason"] != "not_found":
            click.echo(f"  {failure['url']}: {failure['reason']}: {failure['detail']}", err=True)


@contextmanager
def _new_snapshot(
    new: Path | None,
    docs_url: str | None,
    mirror: Path | None,
    policy: FetchPolicy,
    overlays: Path,
    schema_mirror: Path | None = None,
    schema_url: str | None = None,
) -> Iterator[Path]:
    """NEW, or a fresh crawl into a temp dir reviewed by the same overlays (``OLD/rules``) as the old one."""
    if new is not None:
        yield new
        return
    with tempfile.TemporaryDirectory(prefix="specs-new-") as tmp:
        if (overlays / OVERLAY_DIR).is_dir():
            shutil.copytree(overlays / OVERLAY_DIR, Path(tmp) / OVERLAY_DIR)
        result = _crawl_or_exit("docs", docs_url, mirror, Path(tmp), policy, "")
        write_snapshot(Path(tmp), result)
        second_source(Path(tmp), schema_mirror, schema_url, policy)
        yield Path(tmp)


@main.command()
@click.argument("new", required=False, type=click.Path(exists=True, file_okay=False, path_type=Path))
@fetch_options
@click.option(
    "--specs", "old", type=click.Path(file_okay=False, path_type=Path), default=Path("specs"), show_default=True
)
@second_source_options
@click.option("--json", "as_json", is_flag=True, help="Print the changelog as JSON.")
def diff(
    new: Path | None,
    docs_url: str | None,
    mirror: Path | None,
    concurrency: int,
    timeout: float,
    retries: int,
    old: Path,
    api_schema_mirror: Path | None,
    api_schema_url: str | None,
    as_json: bool,
) -> None:
    """Changelog between the committed snapshot (--specs) and NEW (a crawl dir) or a fresh crawl.

    Exit codes: 0 (whether or not anything changed); 1 the docs index could not be fetched; 2 usage error.
    """
    from modellix_typed.codegen.diff import diff_snapshots, render_text

    if new is not None and (docs_url or mirror):
        raise click.UsageError("give either a NEW directory or --docs-url/--mirror, not both")
    policy = _policy(concurrency, timeout, retries)
    with _new_snapshot(new, docs_url, mirror, policy, old, api_schema_mirror, api_schema_url) as new_dir:
        changelog = diff_snapshots(old, new_dir)
    if as_json:
        click.echo(dump_json(changelog.to_json()), nl=False)
    else:
        click.echo(render_text(changelog), nl=False)


@main.command()
@click.option("--specs", type=click.Path(exists=True, file_okay=False, path_type=Path), default=Path("specs"))
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def lint(specs: Path, as_json: bool) -> None:
    """Docs inconsistencies of a snapshot (bad or placeholder examples, stale overlay entries), written to
    SPECS/lint-report.json. Findings are reported, never fatal: exit 0."""
    report = write_lint_report(specs)
    if as_json:
        click.echo(dump_json(report), nl=False)
        return
    for finding in report["findings"]:
        where = finding.get("path", finding.get("rule", ""))
        click.echo(f"{finding['slug']}: {finding['kind']}: {where}: {finding['detail']}")
    click.echo(f"{len(report['findings'])} findings written to {specs / LINT_FILE}", err=True)


@main.command()
@click.option("--specs", type=click.Path(exists=True, file_okay=False, path_type=Path), default=Path("specs"))
@click.option("--report", "show_report", is_flag=True, help="Classify every constraint-like sentence.")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def rules(specs: Path, show_report: bool, as_json: bool) -> None:
    """The rules of every model spec; with --report, the coverage of constraint-like sentences (rule /
    informational / not understood)."""
    from modellix_typed.codegen.coverage import coverage_report, render_coverage

    report = coverage_report(specs)
    if as_json:
        click.echo(dump_json(report if show_report else report["rules"]), nl=False)
    elif show_report:
        click.echo(render_coverage(report), nl=False)
    else:
        for rule in report["rules"]:
            click.echo(f"{rule['slug']}: {rule['id']} ({rule['origin']}): {rule['sentence']}")


@main.command("serve-docs")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option(
    "--port", default=8765, show_default=True, type=click.IntRange(min=0, max=65535), help="0 = any free port."
)
def serve_docs(directory: Path, host: str, port: int) -> None:
    """Serve a docs mirror DIRECTORY over HTTP until interrupted (prints the base URL)."""
    from modellix_typed.codegen.mirror_server import base_url, make_server

    server = make_server(directory, host, port)
    click.echo(base_url(server), err=False)
    sys.stdout.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


from modellix_typed.codegen.gen_cli import generate as _generate

main.add_command(_generate)
