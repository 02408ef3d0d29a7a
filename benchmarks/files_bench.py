"""Stored-file benchmark: sealing and opening a large file through the file room (tenants/files.py:
AES-GCM in 1 MiB chunks), beside a plain copy of the same bytes between the same local files, same
run. Memory is the Python heap's peak (tracemalloc) while the file streams: it must stay a few
chunks whatever the file's size."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
import tracemalloc
from pathlib import Path


def _timed(work) -> tuple[float, float]:
    tracemalloc.start()
    started = time.perf_counter()
    work()
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return elapsed, peak / 1e6


def run(args) -> str:
    from tenants import files
    from tenants.keys import envelope

    size_mb = args.file_mb
    # A key of its own (the exit export's path): the same cipher and chunking, no database in the loop.
    envelope.master_keys_reset(envelope.LocalMasterKeys([os.urandom(32)]))
    binding = files.Binding(country_id=0, aad=b"XV|bench_table|file:file|1")
    with tempfile.TemporaryDirectory() as scratch:
        plain, sealed, opened, copied = (Path(scratch) / n for n in ("plain", "sealed", "opened", "copied"))
        with plain.open("wb") as out:
            for _ in range(size_mb):
                out.write(os.urandom(1 << 20))

        def copy():
            with plain.open("rb") as source, copied.open("wb") as out:
                shutil.copyfileobj(source, out, 1 << 20)

        def seal():
            with plain.open("rb") as source, sealed.open("wb") as out:
                files.seal_stream(source, out, binding, own_key=True)

        def open_():
            with sealed.open("rb") as raw, opened.open("wb") as out:
                assert raw.read(len(files.MAGIC)) == files.MAGIC
                reader = files.OpenedFile(raw, binding)
                while block := reader.read(1 << 20):
                    out.write(block)

        results = {}
        for name, work in (("plain copy", copy), ("seal", seal), ("open", open_)):
            runs = sorted(_timed(work) for _ in range(3))
            results[name] = runs[1]  # the median of three
        assert opened.read_bytes() == plain.read_bytes()
        overhead = sealed.stat().st_size - plain.stat().st_size
    envelope.master_keys_reset()
    lines = [
        "### Stored files: sealing and opening",
        "",
        f"A {size_mb} MiB file sealed and opened through `tenants.files` (AES-GCM, 1 MiB chunks), beside a "
        "plain copy between the same local files; median of three runs each; heap peak by tracemalloc while "
        f"the file streams. The sealed file is {overhead:,} bytes larger (header and 28 bytes a chunk).",
        "",
        "| what | seconds | MiB/s | heap peak (MB) |",
        "|---|---|---|---|",
    ]
    for name, (seconds, peak) in results.items():
        lines.append(f"| {name} | {seconds:.2f} | {size_mb / seconds:.0f} | {peak:.1f} |")
    return "\n".join(lines) + "\n"
