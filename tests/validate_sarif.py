#!/usr/bin/env python3
"""Validates p3plint's SARIF output against the official SARIF 2.1.0 schema (tests/data/).

Run by .ci/run after the cargo tests: `python3 tests/validate_sarif.py target/release/p3plint`.
It checks a project with the file names that broke URIs before (spaces, non-ASCII, `,:%`), the
bundled example against its declaration, a run with no findings, one with a safe fix, and runs
that could not finish (a broken lint.toml, a missing path). Exits non-zero on any
schema error and on URIs that are not percent-encoded.
"""
import json
import pathlib
import subprocess
import sys
import tempfile

import jsonschema

ROOT = pathlib.Path(__file__).resolve().parent.parent
SCHEMA = json.loads((ROOT / "tests/data/sarif-2.1.0-rtm.5.json").read_text())


def sarif(binary, args, cwd, codes=(0, 1)):
    out = subprocess.run([binary, "check", "--output-format", "sarif", *args],
                         cwd=cwd, capture_output=True, check=False)
    if out.returncode not in codes:
        sys.exit(f"p3plint {args} exited {out.returncode}: {out.stderr.decode()}")
    return json.loads(out.stdout)


def main():
    binary = str(pathlib.Path(sys.argv[1]).resolve())
    validator = jsonschema.validators.validator_for(SCHEMA)(SCHEMA)
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        page = "<meta http-equiv='P3P' content='CP=\"NOI PHY\"'>\n"
        for name in ["has space é.html", "a,b:c%d.html", "plain.html"]:
            (pathlib.Path(tmp) / name).write_text(page, encoding="utf-8")
        (pathlib.Path(tmp) / "empty").mkdir()
        fixable = pathlib.Path(tmp) / "fixable"
        fixable.mkdir()
        (fixable / "a.html").write_text(
            "<meta http-equiv='P3P' content='CP=\"NOI CURa OUR NOR NAV\"'>\n", encoding="utf-8")
        broken = pathlib.Path(tmp) / "broken-config"
        broken.mkdir()
        (broken / "lint.toml").write_text('[paths]\nexlude = ["x"]\n', encoding="utf-8")
        runs = {
            "odd file names": sarif(binary, ["."], tmp),
            "no findings": sarif(binary, ["empty"], tmp),
            "a safe fix": sarif(binary, ["fixable"], tmp),
            "a broken lint.toml": sarif(binary, ["."], broken, codes=(2,)),
            "a missing path": sarif(binary, ["missing"], tmp, codes=(2,)),
            "the bundled example": sarif(
                binary, ["--config", "fixtures/seed/lint.toml", "fixtures/seed"], ROOT),
        }
        for what, log in runs.items():
            errors = list(validator.iter_errors(log))
            for error in errors[:5]:
                print(f"{what}: {error.message} at {list(error.path)}")
            failures += len(errors)
            for result in log["runs"][0]["results"]:
                uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                if any(c in uri for c in " ,:é") and not uri.startswith("file:"):
                    print(f"{what}: URI not encoded: {uri}")
                    failures += 1
            print(f"{what}: {len(log['runs'][0]['results'])} results, {len(errors)} schema errors")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
