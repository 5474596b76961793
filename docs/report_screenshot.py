"""Make docs/report-screenshot.png: a real `assay optimize` run of the tanh test task, its `assay report`, and the
page in Debian's headless Chromium.

The proposer is the LLM one, answered by the scripted server of the test suite on loopback (the script of
tests/report_runs.py), so that the run needs no key and no network; the evaluator, its sandbox, the run file and
the report are real. Run from the repository root:

    .venv/bin/python docs/report_screenshot.py [--keep DIR]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.report_runs import TASK, script  # noqa: E402
from tests.scripted_llm import ScriptedLLM  # noqa: E402

BROWSER_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync"]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--keep", type=Path, help="Keep the run and its report in this folder.")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "report-screenshot.png")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="assay-report-"))
    assay = str(Path(sys.executable).with_name("assay"))
    with ScriptedLLM(script) as server:
        optimize = [assay, "optimize", str(TASK), "--proposer", "llm", "--model",
                    f"openai:scripted-gpt@{server.openai_url}", "--quick", "--budget-evals", "6", "--parallel", "1",
                    "--islands", "1", "--seed", "7", "--run-dir", str(work / "runs"), "--plain"]  # fmt: skip
        subprocess.run(optimize, check=False)
    run = next((work / "runs").glob("*/run.sqlite"))
    subprocess.run([assay, "report", str(run), "--out", str(work / "report"), "--check"], check=True)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=BROWSER_ARGS)
        page = browser.new_page(viewport={"width": 1100, "height": 900}, device_scale_factor=1)
        page.goto((work / "report" / "report.html").as_uri())
        # From the top to the end of the first plot of "What was verified": the headline, the facts, the verdicts
        # and the best speedup against time.
        box = page.locator("#verified figure").first.bounding_box()
        assert box is not None
        height = int(box["y"] + box["height"] + 40)
        page.screenshot(path=str(args.out), full_page=True, clip={"x": 0, "y": 0, "width": 1100, "height": height})
        browser.close()
    print(f"{args.out} from {run}")
    if args.keep is None:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
