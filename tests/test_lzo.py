"""lzo and lzo-rle: streams worked out by hand from the format, then round trips.

Each hand-made input is built so that the parse is easy to follow: ``X`` =
``01 02 03 04 05`` opens it (the scan starts at byte 5), ``T`` = 20 distinct
bytes ``40 .. 53`` closes it (the last 20 bytes are never scanned, so they are
the final literal run: ``00 02`` then the 20 bytes, 18 + 2), and the end
marker is ``11 00 00``. The dictionary starts with every entry at position 0,
so the first repeat of ``01 02 03 04`` finds ``X`` without it ever being
scanned. Instruction bytes are derived in the comments (see zramsim/lzo.py
for the instruction table).
"""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zramsim.lzo import LzoError, decompress
from zramsim.lzo_backend import Lzo, LzoRle, _Liblzo2
from zramsim.lzo_compress import compress

X = bytes([1, 2, 3, 4, 5])
T = bytes(range(0x40, 0x54))
TAIL = "00 02 " + T.hex(" ") + " 11 00 00"
LIBLZO2 = _Liblzo2.load()
needs_liblzo2 = pytest.mark.skipif(LIBLZO2 is None, reason="liblzo2 (liblzo2-2) not installed")


def h(text: str) -> bytes:
    return bytes.fromhex(text)


def distinct(n: int) -> bytes:
    """``n`` bytes whose 4-byte windows are all different (so the scan never hits)."""
    out = random.Random(7).randbytes(n)
    assert len({out[i:i + 4] for i in range(n - 3)}) == max(n - 3, 0)
    return out


# -- literals only -------------------------------------------------------------

@pytest.mark.parametrize("n, head", [
    (0, ""),                   # nothing: just the end marker
    (3, "14"),                 # a stream that opens with a literal run: 17 + 3
    (20, "25"),                # 17 + 20: too short to scan at all
    (238, "ff"),               # 17 + 238 = 255, the largest one-byte opening run
    (239, "00 dd"),            # longer: 0 then 239 - 18 = 221
    (273, "00 ff"),            # 273 - 18 = 255 still fits one count byte
    (274, "00 00 01"),         # 256: one zero byte (255) then 1
])
def test_literals_only(n, head):
    data = distinct(n)
    expected = h(head) + data + h("11 00 00")
    assert compress(data) == expected
    assert compress(data, rle=True) == h("11 01") + expected     # the version header
    assert decompress(expected, n) == data
    assert decompress(h("11 01") + expected, n) == data


def test_a_literal_run_of_a_whole_page():
    page = random.Random(1).randbytes(4096)
    # 4096 - 18 = 4078 = 15 * 255 + 253: fifteen zero bytes then 253
    assert compress(page)[:17] == h("00") + bytes(15) + h("fd")
    assert len(compress(page)) == 17 + 4096 + 3
    assert compress(page, rle=True) == h("11 01") + compress(page)


# -- matches at each distance class (lzo) ---------------------------------------

def _x_zeros_x(k: int) -> bytes:
    """X, k zeros, X again (at distance k + 5), T."""
    return X + bytes(k) + X + T


@pytest.mark.parametrize("k, middle", [
    # byte 5 misses (position 0 holds 01 02 03 04), byte 6 hits byte 5: 6 literals
    # "03" + X + 00, then a match of the remaining k - 1 zeros at distance 1, then
    # X again, 5 bytes at distance k + 5.
    (6, "80 00 88 01"),          # M2 5 bytes dist 1: 100 000 00, 0; M2 5 bytes dist 11:
                                 # (4 << 5) | (10 & 7) << 2 = 88, 10 >> 3 = 01
    (10, "27 00 00 98 01"),      # 9 zeros: M3 (longer than 8) 20 | 9 - 2, dist 00 00;
                                 # dist 15: 80 | 6 << 2, 1
    (40, "20 06 00 00 90 05"),   # 39 zeros: 20, 39 - 33 = 6; dist 45: 80 | 4 << 2, 5
    # M3 at distance 3000: 2994 zeros = 33 + 11 * 255 + 156 ("20", 11 zeros, 9c);
    # then 23 (M3, 5 bytes), 2999 << 2 & ff = dc, 2999 >> 6 = 2e
    (2995, "20" + " 00" * 11 + " 9c 00 00 23 dc 2e"),
    # M4 at distance 20000: 19994 zeros = 33 + 78 * 255 + 71 (47); 20000 - 16384 =
    # 3616: 10 | 0 | 5 - 2 = 13, 3616 << 2 & ff = 80, 3616 >> 6 = 38
    (19995, "20" + " 00" * 78 + " 47 00 00 13 80 38"),
    # M4 at distance 40000: 40000 - 16384 = 23616 = 0x5c40: bit 14 goes to H (08),
    # 0x1c40 << 2 & ff = 00, 0x1c40 >> 6 = 71; 39994 zeros = 33 + 156 * 255 + 181
    (39995, "20" + " 00" * 156 + " b5 00 00 1b 00 71"),
])
def test_matches_by_distance_class(k, middle):
    data = _x_zeros_x(k)
    expected = h("03") + X + h("00") + h(middle) + h(TAIL)
    assert compress(data) == expected
    assert decompress(expected, len(data)) == data


def test_spare_state_bits_carry_short_literal_runs():
    data = X + bytes(8) + h("aa") + X + T
    # lzo: 6 literals, 7 zeros at distance 1 (M2 c0 00), then 1 literal (aa) goes
    # into the M2's spare bits (c0 -> c1), then X at distance 14: 80 | 5 << 2, 1
    assert compress(data) == h("03") + X + h("00 c1 00 aa 94 01") + h(TAIL)
    # lzo-rle: 5 literals, a zero run of 8 (1c = 18 | 4, fc, ff, 0), aa rides in the
    # run's second byte (fc -> fd), then the same match
    assert compress(data, rle=True) == h("11 01 02") + X + h("1c fd ff 00 aa 94 01") + h(TAIL)
    for rle in (False, True):
        assert decompress(compress(data, rle), len(data)) == data


# -- zero runs (lzo-rle) --------------------------------------------------------

@pytest.mark.parametrize("zeros, runs", [
    (4, "18 fc ff 00"),                  # the shortest run: r = 0
    (11, "1f fc ff 00"),                 # r = 7: low 3 bits in the first byte
    (12, "18 fc ff 01"),                 # r = 8: the rest in the fourth
    (2051, "1f fc ff ff"),               # r = 2047: the longest run
    (2055, "1f fc ff ff 18 fc ff 00"),   # 2051 then 4
])
def test_zero_runs(zeros, runs):
    data = X + bytes(zeros) + T
    expected = h("11 01 02") + X + h(runs) + h(TAIL)
    assert compress(data, rle=True) == expected
    assert decompress(expected, len(data)) == data


def test_the_zero_page():
    # lzo: 5 literals, then one match at distance 5 to 5 bytes past n - 20 = 4076
    # (4076 bytes = 33 + 15 * 255 + 218): 20, 15 zeros, da, 10 00; 15 literals left
    zero = bytes(4096)
    assert compress(zero) == (h("02") + bytes(5) + h("20") + bytes(15) + h("da 10 00 0c")
                              + bytes(15) + h("11 00 00"))
    # lzo-rle: the worked example of zramsim/lzo.py, 41 bytes
    assert compress(zero, rle=True) == (h("11 01 02") + bytes(5) + h("1f fc ff ff 18 fc ff fc")
                                        + h("00 02") + bytes(20) + h("11 00 00"))


def test_lzo_rle_with_a_long_m4():
    # 39995 zeros are 19 runs of 2051 and one of 1026 (r = 1022: 18 | 6, 1022 >> 3 =
    # 7f); the dictionary never saw a zero, so X again is found at distance 40000
    data = _x_zeros_x(39995)
    runs = "1f fc ff ff " * 19 + "1e fc ff 7f"
    assert compress(data, rle=True) == (h("11 01 02") + X + h(runs) + h("1b 00 71")
                                        + h(TAIL))


# -- the decoder on what our compressor never writes ------------------------------

def test_m1_matches_decode():
    # 12: a first literal run of 1 (a), which leaves state 1; then 01 00 is an M1:
    # 2 bytes at distance 1 + 0 + 0 * 4 with 1 literal (b) in its state bits; then
    # 04 00 is an M1 of 2 bytes at distance 1 + 1
    assert decompress(h("12 61 01 00 62 04 00 11 00 00"), 6) == b"aaabab"
    # after a literal run of 4 or more, 00 00 is a 3-byte match at distance 2049
    run = distinct(2049)
    stream = h("00") + bytes(7) + h("f6") + run + h("00 00 11 00 00")   # 18 + 7*255 + 246
    assert decompress(stream, 2052) == run + run[:3]


@pytest.mark.parametrize("stream, size, reason", [
    (h("11 00"), 0, "at least 3 bytes"),
    (h("14 61 62 63 11 00 00"), 4, "decodes to 3 bytes, not 4"),
    (h("14 61 62 63 11 00 00 00"), 3, "malformed end"),
    (h("14 61 62 63 84 01 11 00 00"), 9, "reaches 10 bytes back, only 3 written"),
    (h("14 61 62 63 20"), 9, "ends inside an instruction"),
    (h("00 00 00"), 9, "ends inside an instruction"),
    (h("16 61 62 63 64 65 80 00 11 00 00"), 6, "more than 6 bytes"),
])
def test_malformed_streams_are_refused(stream, size, reason):
    with pytest.raises(LzoError, match=reason):
        decompress(stream, size)


# -- round trips ----------------------------------------------------------------

PIECES = st.one_of(
    st.binary(min_size=1, max_size=40),
    st.integers(1, 3000).map(bytes),                           # zero runs
    st.tuples(st.binary(min_size=1, max_size=12), st.integers(1, 60)).map(
        lambda t: t[0] * t[1]),                                # short repeats
)
INPUTS = st.lists(PIECES, max_size=30).map(b"".join).map(lambda b: b[:20000])


@settings(max_examples=150, deadline=None)
@given(INPUTS)
def test_round_trip(data):
    for rle in (False, True):
        assert decompress(compress(data, rle), len(data)) == data


@needs_liblzo2
@settings(max_examples=150, deadline=None)
@given(INPUTS)
def test_liblzo2_writes_the_same_lzo_stream_and_reads_ours(data):
    ours = compress(data)
    if len(data) >= 32:
        assert LIBLZO2.compress(data) == ours
    assert LIBLZO2.decompress(ours, len(data)) == data


@needs_liblzo2
def test_liblzo2_differs_only_on_inputs_of_26_to_31_bytes():
    # n = 26..31 zero bytes: n - 20 > 5, so the kernel's scan looks at byte 5 (zero,
    # like byte 0 where the dictionary points): 5 literals, then a match whose
    # count stops at the first 8-byte step, 12 bytes at distance 5 (M3: 20 | 10,
    # 4 << 2 = 10, 00). liblzo2 writes these inputs as literals only, so the
    # python encoder is used below 32 bytes.
    for n in range(0, 40):
        ours = compress(bytes(n))
        if 26 <= n < 32:
            assert ours[:9] == h("02") + bytes(5) + h("2a 10 00")
            assert LIBLZO2.compress(bytes(n)) == bytes([17 + n]) + bytes(n) + h("11 00 00")
        else:
            assert ours == LIBLZO2.compress(bytes(n))
        assert Lzo().compress(bytes(n)) == ours


@needs_liblzo2
def test_inputs_longer_than_one_block():
    rng = random.Random(3)
    words = [rng.randbytes(rng.randrange(1, 9)) for _ in range(300)]
    data = b"".join(rng.choice(words) + bytes(rng.randrange(3)) for _ in range(20000))[:65536]
    assert compress(data) == LIBLZO2.compress(data)
    for rle in (False, True):
        assert decompress(compress(data, rle), len(data)) == data


def test_compressors_with_and_without_the_library_agree():
    rng = random.Random(4)
    text = b" ".join(rng.choice([b"zram", b"page", b"slot", b"pool"]) for _ in range(900))
    pages = [bytes(4096), text[:4096], (text[:2000] + bytes(96) + text[:2000])[:4096]]
    for cls in (Lzo, LzoRle):
        python, default = cls(library=False), cls()
        assert python.params() == {"encoder": "python"}
        for page in pages:
            assert default.compress(page) == python.compress(page)
            assert python.decompress(default.compress(page), 4096) == page
            assert default.decompress(python.compress(page), 4096) == page


def test_lzo_rle_is_lzo_behind_the_version_where_no_four_zero_bytes_meet():
    text = b"the kernel's default compressor is lzo-rle; " * 91
    assert compress(text[:4096], rle=True) == h("11 01") + compress(text[:4096])


def test_the_worked_example_of_lzo_compress():
    # zramsim/lzo_compress.py: 11 literals, a 4068-byte match at distance 11 that
    # stops counting at the 8-byte step reaching n - 20 (33 + 15 * 255 + 210, d2;
    # distance 10 << 2 = 28, 00), 17 literals left, the end marker: 52 bytes
    page = b"hello zram " * 372 + bytes(4)
    expected = (h("08") + page[:11] + h("20") + bytes(15) + h("d2 28 00 0e") + page[-17:]
                + h("11 00 00"))
    assert compress(page) == expected and len(expected) == 52
    assert compress(page, rle=True) == h("11 01") + expected
