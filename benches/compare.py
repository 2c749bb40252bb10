#!/usr/bin/env python3
"""p3plint against ripgrep, in interleaved runs, on the trees of issue 10; plus editor latency.

    python3 benches/compare.py [--rounds N] [--keep DIR] [--binary PATH]

Builds (in a temporary directory, or --keep DIR to reuse):
  sparse  the cargo registry's sources of this crate's dependencies (on every machine that built
          it), one P3P emission added per 50 .rs files;
  dense   20,000 .rs files of 100-300 lines that all emit, plus nginx, HTML and PHP files;
  batch   33,000 distinct compact policies in one nginx config, and the same in 33,000 files.
Then, round by round, runs `rg -l -i 'p3p|cp='` and `p3plint check` on each tree one after the
other (so both see the same machine load), and prints medians, the ratio, and p3plint's peak
memory. Last, the language server: didChange to publishDiagnostics on a 5,000-line Rust file
with 52 emissions. Figures only: no threshold is asserted here.
"""

import argparse
import json
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

POLICIES = [
    "NOI DSP COR CUR ADM DEV OUR NOR NAV",
    "CAO PSA OUR IND PHY ONL UNI PUR",
    "ALL DSP COR CURa ADMa DEVa TAIa OUR BUS IND UNI NAV STA",
]


def filler_rust(lines, seed):
    rng = random.Random(seed)
    out = []
    while len(out) < lines:
        n = rng.randrange(1000)
        out += [
            f"/// Adds {n} to the value.",
            f"pub fn add_{len(out)}_{n}(x: u64) -> u64 {{",
            f"    let y = x.wrapping_add({n});",
            "    if y % 2 == 0 { y / 2 } else { y * 3 + 1 }",
            "}",
            "",
        ]
    return out[:lines]


def emission_rust(i):
    policy = POLICIES[i % len(POLICIES)]
    return [
        "use axum::http::{HeaderMap, HeaderValue};",
        "",
        f"pub fn p3p_{i}(headers: &mut HeaderMap) {{",
        f'    headers.insert("P3P", HeaderValue::from_static("CP=\\"{policy}\\""));',
        "}",
        "",
    ]


def build_sparse(root):
    src = Path.home() / ".cargo" / "registry" / "src"
    shutil.copytree(src, root, symlinks=True, ignore_dangling_symlinks=True)
    count = 0
    for path in sorted(root.rglob("*.rs")):
        count += 1
        if count % 50 == 0 and path.is_file():
            with open(path, "a", encoding="utf-8", errors="surrogateescape") as f:
                f.write("\n" + "\n".join(emission_rust(count)) + "\n")


def build_dense(root):
    rng = random.Random(7)
    for i in range(20_000):
        d = root / f"crate{i // 500}" / "src"
        d.mkdir(parents=True, exist_ok=True)
        body = filler_rust(rng.randrange(100, 300), i)
        at = rng.randrange(len(body) // 6) * 6
        body[at:at] = emission_rust(i)
        (d / f"m{i}.rs").write_text("\n".join(body) + "\n")
    for i in range(500):
        policy = POLICIES[i % len(POLICIES)]
        (root / f"site{i}.conf").write_text(
            "server {\n    listen 80;\n" + "    location / { root /srv; }\n" * 40
            + f'    add_header P3P \'CP="{policy}"\';\n}}\n'
        )
        (root / f"page{i}.html").write_text(
            f'<html><head><meta http-equiv="P3P" content=\'CP="{policy}"\'></head><body>\n'
            + "<p>text</p>\n" * 150 + "</body></html>\n"
        )
        (root / f"page{i}.php").write_text(
            "<?php\n" + "$x = strlen('abc');\n" * 100 + f"header('P3P: CP=\"{policy}\"');\n"
        )


def distinct_policies(n):
    """n different valid compact policies."""
    tokens = ["CUR", "ADM", "DEV", "TAI", "PSA", "PSD", "IVA", "IVD", "CON", "HIS", "TEL", "OTP"]
    out = []
    for i in range(n):
        picked = [t for b, t in enumerate(tokens) if i >> b & 1] or ["CUR"]
        retention = ["NOR", "STP", "LEG", "BUS", "IND"][i % 5]
        category = ["NAV", "COM", "PHY", "ONL", "UNI", "PUR"][(i // 5) % 6]
        out.append(" ".join(["NOI"] + picked + ["OUR", retention, category]))
        if len(set(out)) != len(out):
            out[-1] += " STA"
    return out


def build_batch(root):
    policies = distinct_policies(33_000)
    one = root / "one"
    one.mkdir(parents=True)
    with open(one / "policies.conf", "w") as f:
        for i, policy in enumerate(policies):
            f.write(f"location /p{i} {{ add_header P3P 'CP=\"{policy}\"'; }}\n")
    many = root / "many"
    for i, policy in enumerate(policies):
        d = many / f"d{i // 1000}"
        d.mkdir(parents=True, exist_ok=True)
        lines = ["server {"] + ["    location / { root /srv; }"] * 97
        lines += [f"    add_header P3P 'CP=\"{policy}\"';", "}"]
        (d / f"s{i}.conf").write_text("\n".join(lines) + "\n")


def run(cmd):
    """Wall time (s) and peak resident memory (MiB) of one run."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        sys.exit(f"{' '.join(map(str, cmd))}: exit {code}")
    return elapsed, usage.ru_maxrss / 1024


def measure(cases, binary, rounds):
    results = {}
    for name, tree, p3plint_args in cases:
        rg_cmd = ["rg", "-l", "-i", "p3p|cp=", str(tree)]
        p3_cmd = [str(binary), "check", str(tree), *p3plint_args]
        run(rg_cmd), run(p3_cmd)  # warm the page cache
        rg_times, p3_times, p3_mem = [], [], []
        for _ in range(rounds):
            rg_times.append(run(rg_cmd)[0])
            elapsed, memory = run(p3_cmd)
            p3_times.append(elapsed)
            p3_mem.append(memory)
        results[name] = (
            statistics.median(rg_times),
            statistics.median(p3_times),
            max(p3_mem),
        )
    return results


def frame(message):
    body = json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n%s" % (len(body), body)


def read_message(stream):
    length = None
    while True:
        line = stream.readline()
        if not line:
            return None
        if line.startswith(b"Content-Length: "):
            length = int(line.split(b":")[1])
        if line in (b"\r\n", b"\n") and length is not None:
            return json.loads(stream.read(length))


def editor_latency(binary, edits=40):
    lines = filler_rust(5000, 3)
    for k in range(52):
        at = (k * 96) // 6 * 6
        lines[at:at] = emission_rust(k)
    text = "\n".join(lines[:5000]) + "\n"
    server = subprocess.Popen(
        [str(binary), "server"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    send = lambda m: (server.stdin.write(frame(m)), server.stdin.flush())
    uri = "file:///bench/handlers.rs"
    send({"jsonrpc": "2.0", "id": 1, "method": "initialize",
          "params": {"processId": None, "rootUri": None, "capabilities": {}}})
    while (m := read_message(server.stdout)) and m.get("id") != 1:
        pass
    send({"jsonrpc": "2.0", "method": "initialized", "params": {}})
    send({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {
        "uri": uri, "languageId": "rust", "version": 1, "text": text}}})
    while (m := read_message(server.stdout)) and m.get("method") != "textDocument/publishDiagnostics":
        pass
    latencies = []
    for version in range(2, edits + 2):
        # An edit as typing makes it: one character in one line.
        text = text.replace("wrapping_add(", "wrapping_add( ", 1) if version % 2 else \
            text.replace("wrapping_add( ", "wrapping_add(", 1)
        start = time.perf_counter()
        send({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
            "textDocument": {"uri": uri, "version": version},
            "contentChanges": [{"text": text}]}})
        while (m := read_message(server.stdout)) is not None:
            if m.get("method") == "textDocument/publishDiagnostics" and \
                    m["params"].get("version") in (version, None):
                break
        latencies.append((time.perf_counter() - start) * 1000)
    send({"jsonrpc": "2.0", "id": 2, "method": "shutdown"})
    send({"jsonrpc": "2.0", "method": "exit"})
    server.wait(timeout=10)
    return statistics.median(latencies), max(latencies)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="build the trees here and reuse them")
    parser.add_argument("--binary", type=Path, default=Path("target/release/p3plint"))
    args = parser.parse_args()
    if not shutil.which("rg"):
        sys.exit("ripgrep is needed: apt-get install ripgrep")
    if not args.binary.exists():
        subprocess.run(["cargo", "build", "--release"], check=True)
    work = args.keep or Path(tempfile.mkdtemp(prefix="p3plint-bench-"))
    builders = {"sparse": build_sparse, "dense": build_dense, "batch": build_batch}
    for name, build in builders.items():
        if not (work / name).exists():
            print(f"building the {name} tree in {work / name} ...", file=sys.stderr)
            (work / name).parent.mkdir(parents=True, exist_ok=True)
            if name == "sparse":
                build(work / name)
            else:
                (work / name).mkdir()
                build(work / name)
    quiet = ["--output-format", "concise", "--quiet"]
    cases = [
        ("sparse real Rust tree", work / "sparse", quiet),
        ("dense tree", work / "dense", quiet),
        ("dense tree, JSON output", work / "dense", ["--output-format", "json"]),
        ("33k policies in one file", work / "batch" / "one", quiet),
        ("33k policies in 33k files", work / "batch" / "many", quiet),
    ]
    results = measure(cases, args.binary, args.rounds)
    sizes = {}
    for name, tree, _ in cases:
        files = [p for p in tree.rglob("*") if p.is_file()]
        sizes[name] = (len(files), sum(p.stat().st_size for p in files) / 2**20)
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if "model name" in l), "?")
    print(f"machine: {os.cpu_count()} cores, {cpu}, {platform.system()} {platform.release()}")
    print(f"rounds: {args.rounds}, interleaved; medians\n")
    print(f"{'case':30} {'files':>7} {'MiB':>7} {'rg ms':>8} {'p3plint ms':>11} {'ratio':>7} {'MiB/s':>7} {'peak MiB':>9}")
    for name, _, _ in cases:
        rg, p3, mem = results[name]
        files, mib = sizes[name]
        print(f"{name:30} {files:7} {mib:7.1f} {rg*1000:8.1f} {p3*1000:11.1f} {p3/rg:6.2f}x {mib/p3:7.1f} {mem:9.1f}")
    median, worst = editor_latency(args.binary)
    print(f"\nlanguage server, 5,000-line Rust file with 52 emissions: didChange -> "
          f"publishDiagnostics median {median:.1f} ms, max {worst:.1f} ms")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
