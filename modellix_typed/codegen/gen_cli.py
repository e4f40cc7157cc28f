"""The ``generate`` click command (registered on ``codegen.cli.main``); heavy imports happen when it runs."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("generate")
@click.option(
    "--specs",
    "specs_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=Path("specs"),
    show_default=True,
    help="Spec snapshot to read (index.json + <provider>/<model_id>.json).",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("generated"),
    show_default=True,
    help="Output root; classes go to OUT/models/.",
)
@click.option("--check", is_flag=True, help="Write nothing; exit 1 if OUT differs from what the specs generate.")
def generate(specs_dir: Path, out: Path, check: bool) -> None:
    """Generate one typed, validating request class per model from SPECS into OUT/models/."""
    from modellix_typed.codegen.gen_model import GenerateError
    from modellix_typed.codegen.generate import diff_tree, render
    from modellix_typed.codegen.generate import generate as run_generate

    try:
        if check:
            differences = diff_tree(out, render(specs_dir).files)
            for line in differences:
                click.echo(line, err=True)
            if differences:
                raise SystemExit(1)
            click.echo(f"{out}/models is up to date with {specs_dir}", err=True)
            return
        result, removed, elapsed = run_generate(specs_dir, out)
    except GenerateError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"generated {result.models} models ({result.providers} providers, {len(result.files)} files) "
        f"into {out}/models in {elapsed:.2f}s" + (f"; removed {len(removed)} stale files" if removed else ""),
        err=True,
    )
    from modellix_typed.codegen.snapshot import load_specs

    for spec in sorted(load_specs(specs_dir).values(), key=lambda spec: str(spec["slug"])):
        if (spec.get("source") or {}).get("kind") == "api-schema" and spec.get("doc_url"):
            # two sources, one truth: the crawl kept both and chose the newer (specs/lint-report.json)
            click.echo(f"{spec['slug']}: from its api_schema, newer than its docs page {spec['doc_url']}", err=True)
    patterns = sum(len(engines) for engines in result.pattern_engines.values())
    fallbacks = result.pattern_fallbacks()
    if patterns:
        click.echo(f"patterns: {patterns - len(fallbacks)} of {patterns} run on RE2 (linear time)", err=True)
    for line in fallbacks:
        # "re": RE2 lacks a construct, Python's re runs it (backtracking bounded); "unchecked": left to the API
        click.echo(f"  pattern not on RE2: {line}", err=True)
