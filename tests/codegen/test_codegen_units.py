"""Small pure pieces: index selection, fence extraction, normalization helpers, serve-docs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from modellix_typed.codegen.docs_index import crawl_url, parse_llms_txt
from modellix_typed.codegen.failures import PageError, Reason
from modellix_typed.codegen.fence import extract_fence, page_summary, page_title
from modellix_typed.codegen.normalize import add_x_order, model_id_from_path, task_type_from_spec_file

LLMS = """# Site

## Docs

- [Prose](https://docs.modellix.ai/get-started/overview.md): prose
- [Wan](https://docs.modellix.ai/alibaba/wan-2-6-t2i.md): model
- [Sky](https://docs.modellix.ai/skyreels/skyreels-v3.md): provider named by spec file prefix
- [Task](https://docs.modellix.ai/api/get-task-result.md): common
- [Wan again](https://docs.modellix.ai/alibaba/wan-2-6-t2i.md): duplicate
- [Deep](https://docs.modellix.ai/alibaba/sub/page.md): too deep
- [Other](https://example.com/alibaba/x.md): other site

## OpenAPI Specs

- [alibaba-t2i](https://docs.modellix.ai/model-api/alibaba/alibaba-t2i.json)
- [skyreels-t2v](https://docs.modellix.ai/model-api/skywork/skyreels-t2v.json)

## Optional

- [Blog](https://www.modellix.ai/blog)
"""


def test_index_selects_model_and_api_pages() -> None:
    index = parse_llms_txt(LLMS)
    assert [(e.kind, e.folder, e.page) for e in index.entries] == [
        ("model", "alibaba", "wan-2-6-t2i"),
        ("model", "skyreels", "skyreels-v3"),
        ("common", "api", "get-task-result"),
    ]
    assert index.providers == {"alibaba", "skywork", "skyreels"}
    assert index.entries[0].doc_url == "https://docs.modellix.ai/alibaba/wan-2-6-t2i"
    assert index.skipped == 5


def test_crawl_url_maps_canonical_onto_crawled_origin() -> None:
    url = "https://docs.modellix.ai/alibaba/wan-2-6-t2i.md"
    assert crawl_url(url, "http://127.0.0.1:8123/") == "http://127.0.0.1:8123/alibaba/wan-2-6-t2i.md"
    with pytest.raises(ValueError, match="not a docs URL"):
        crawl_url("https://example.com/x.md", "http://127.0.0.1:1")


PAGE = """> ## Documentation Index
> Fetch the index.

# Wan 2.6 T2I

> Wan 2.6 text-to-image.
> Second line.

## OpenAPI

````yaml model-api/alibaba/alibaba-t2i.json post /wan2.6-t2i/async
openapi: 3.1.0
```yaml
inner three-backtick fences are part of the body
```
````
"""


def test_fence_and_page_text() -> None:
    fence = extract_fence(PAGE)
    assert (fence.spec_file, fence.method, fence.path) == (
        "model-api/alibaba/alibaba-t2i.json",
        "POST",
        "/wan2.6-t2i/async",
    )
    assert fence.body.startswith("openapi: 3.1.0\n") and "inner three-backtick" in fence.body
    assert page_title(PAGE) == "Wan 2.6 T2I"
    assert page_summary(PAGE) == "Wan 2.6 text-to-image. Second line."


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("# x\n```yaml a.json post /x\n```\n", Reason.NO_FENCE),
        ("# x\n````yaml a.json post /x\nopenapi: 3.1.0\n", Reason.NO_FENCE),
        ("````yaml a.json post /x\n````\n````yaml b.json post /y\n````\n", Reason.MULTIPLE_FENCES),
    ],
)
def test_fence_errors(text: str, reason: Reason) -> None:
    with pytest.raises(PageError) as err:
        extract_fence(text)
    assert err.value.reason is reason


def test_normalization_helpers() -> None:
    assert model_id_from_path("/wan2.6-t2i/async") == "wan2.6-t2i"
    assert model_id_from_path("/gpt-image-2") == "gpt-image-2"
    for bad in ("/async", "/../async", "/{id}"):
        with pytest.raises(PageError) as err:
            model_id_from_path(bad)
        assert err.value.reason is Reason.OPERATION_NOT_FOUND
    assert task_type_from_spec_file("model-api/google/google-t2i.json") == "t2i"
    assert task_type_from_spec_file("model-api/skywork/skyreels-v2v.json") == "v2v"
    assert task_type_from_spec_file(None) is None
    schema = {"type": "object", "properties": {"b": {"type": "object", "properties": {"y": {}, "x": {}}}, "a": {}}}
    ordered = add_x_order(schema)
    assert ordered["x-order"] == ["b", "a"]
    assert ordered["properties"]["b"]["x-order"] == ["y", "x"]
    assert "x-order" not in schema  # input untouched


def test_serve_docs_command(tmp_path: Path) -> None:
    (tmp_path / "llms.txt").write_text("# hi\n")
    proc = subprocess.Popen(
        [sys.executable, "-m", "modellix_typed.codegen", "serve-docs", str(tmp_path), "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        assert proc.stdout is not None
        base = proc.stdout.readline().strip()
        assert base.startswith("http://127.0.0.1:")
        response = httpx.get(base + "/llms.txt", timeout=5)
        assert (response.status_code, response.text) == (200, "# hi\n")
        assert response.headers["content-type"].startswith("text/plain")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_duplicate_model_ids_keep_the_first_page() -> None:
    from modellix_typed.codegen.crawl import PageOutcome, dedupe_models

    first = PageOutcome("https://docs.modellix.ai/a/x.md", {"slug": "a/m"}, None)
    second = PageOutcome("https://docs.modellix.ai/a/y.md", {"slug": "a/m"}, None)
    other = PageOutcome("https://docs.modellix.ai/a/z.md", {"slug": "a/n"}, None)
    result = dedupe_models([first, second, other])
    assert result[0] == first and result[2] == other
    assert result[1].spec is None and result[1].failure is not None
    assert result[1].failure.reason is Reason.DUPLICATE_MODEL
    assert result[1].failure.detail == "a/m already from https://docs.modellix.ai/a/x.md"
