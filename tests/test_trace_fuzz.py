"""Fuzzed readers: garbage gives TraceFormatError (or valid events), never another exception."""

import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workloads.binary_trace import BinaryTraceReader, BinaryTraceWriter
from workloads.errors import TraceFormatError
from workloads.events import PageEvent
from workloads.text_trace import TextTraceReader

DATA = Path(__file__).parent / "data" / "traces"
VALID_LINES = (DATA / "mixed.trace").read_text().splitlines()
FUZZ = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz")
    shutil.copy(DATA / "pages.bin", folder / "pages.bin")
    return folder


def drain(reader_class, path):
    """Read every event; return them, or the TraceFormatError raised on the way."""
    try:
        with reader_class(path) as reader:
            events = list(reader)
    except TraceFormatError as exc:
        assert exc.path == str(path)
        assert exc.line >= 0
        return exc
    for op, index, arg in events:
        assert op in "WRDC" and isinstance(index, int) and index >= 0
    return events


@FUZZ
@given(data=st.binary(max_size=600))
def test_text_reader_on_random_bytes(folder, data):
    path = folder / "r.trace"
    path.write_bytes(data)
    drain(TextTraceReader, path)


@FUZZ
@given(data=st.binary(max_size=600))
def test_text_reader_on_random_bytes_after_magic(folder, data):
    path = folder / "m.trace"
    path.write_bytes(b"zramsim-trace 1\n" + data)
    drain(TextTraceReader, path)


token_text = st.sampled_from([
    "W", "R", "D", "C", "X", "zero", "fill:", "fill:0x", "random:", "file:", "size:",
    "page_size", "zramsim-trace", "1", "0", "-1", "4096", "16384", "3000", ":", "#",
    "pages.bin", "../pages.bin", "/etc/passwd", "\x00", "0xffffffffffffffffff",
    "99999999999999999999999", "\t", " ", "\r", "\u0663",
])


@st.composite
def mutated_trace(draw):
    lines = list(VALID_LINES)
    for _ in range(draw(st.integers(1, 4))):
        where = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["insert", "replace", "delete", "splice", "duplicate"]))
        if action == "insert":
            text = draw(st.text(max_size=3))
            at = draw(st.integers(0, len(lines[where])))
            lines[where] = lines[where][:at] + text + lines[where][at:]
        elif action == "replace":
            lines[where] = " ".join(draw(st.lists(token_text, max_size=4)))
        elif action == "delete":
            del lines[where]
            if not lines:
                lines.append("")
        elif action == "splice":
            tokens = lines[where].split()
            if tokens:
                tokens[draw(st.integers(0, len(tokens) - 1))] += draw(token_text)
            lines[where] = " ".join(tokens)
        else:
            lines.insert(where, lines[draw(st.integers(0, len(lines) - 1))])
    return "\n".join(lines) + "\n"


@FUZZ
@given(text=mutated_trace())
def test_text_reader_on_mutated_lines(folder, text):
    path = folder / "mutated.trace"
    path.write_text(text)
    result = drain(TextTraceReader, path)
    if isinstance(result, TraceFormatError):
        assert 1 <= result.line <= text.count("\n")


@pytest.fixture(scope="module")
def valid_binary(folder):
    path = folder / "valid.ztrace"
    with TextTraceReader(DATA / "mixed.trace") as reader, BinaryTraceWriter(path) as writer:
        for event in reader:
            writer.write(event)
        writer.write(PageEvent("W", 99, (DATA / "pages.bin").read_bytes()[:4096]))
    return path.read_bytes()


@FUZZ
@given(data=st.binary(max_size=400))
def test_binary_reader_on_random_bytes(folder, data):
    path = folder / "r.ztrace"
    path.write_bytes(data)
    drain(BinaryTraceReader, path)


@FUZZ
@given(data=st.binary(max_size=400))
def test_binary_reader_on_random_bytes_after_header(folder, valid_binary, data):
    path = folder / "h.ztrace"
    path.write_bytes(valid_binary[:32] + data)
    assert isinstance(drain(BinaryTraceReader, path), TraceFormatError)


@FUZZ
@given(edits=st.lists(st.tuples(st.integers(0, 10**6), st.integers(1, 255)), min_size=1,
                      max_size=4),
       cut=st.one_of(st.none(), st.integers(0, 10**6)))
def test_binary_reader_on_damaged_trace(folder, valid_binary, edits, cut):
    damaged = bytearray(valid_binary)
    for where, flip in edits:
        damaged[where % len(damaged)] ^= flip
    if cut is not None:
        damaged = damaged[:cut % len(damaged)]
    path = folder / "d.ztrace"
    path.write_bytes(bytes(damaged))
    drain(BinaryTraceReader, path)


@FUZZ
@given(cut=st.integers(0, 10**6))
def test_binary_reader_on_any_cut(folder, valid_binary, cut):
    path = folder / "c.ztrace"
    path.write_bytes(valid_binary[:cut % len(valid_binary)])
    assert isinstance(drain(BinaryTraceReader, path), TraceFormatError)
