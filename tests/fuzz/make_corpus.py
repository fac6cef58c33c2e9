#!/usr/bin/env python3
"""Writes the fuzzers' seed corpus (corpus/<target>/), the inputs a well-behaved compositor
would send, in each target's input layout (see the *_fuzz.cpp files). Run from anywhere; the
files are committed, so this is only needed to change them."""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
XR24, AR24, XB24, AB24 = 0x34325258, 0x34325241, 0x34324258, 0x34324241
LINEAR, INVALID, TILED = 0, 0x00FFFFFFFFFFFFFF, 0x0100000000000002
RENDER_NODE = struct.pack("<Q", (226 << 8) | 128)


def table(pairs):
    return b"".join(struct.pack("<IIQ", f, 0, m) for f, m in pairs)


def indices(ids):
    return b"".join(struct.pack("<H", i) for i in ids)


def write(target, name, data):
    folder = os.path.join(HERE, "corpus", target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def event(kind, payload=b""):
    return struct.pack("<BH", kind, len(payload)) + payload


FORMAT_TABLE, MAIN_DEVICE, TARGET_DEVICE, TRANCHE_FORMATS, FLAGS, TRANCHE_DONE, DONE = range(7)

pairs = [(XR24, LINEAR), (AR24, LINEAR), (XR24, TILED), (AB24, INVALID)]
t = table(pairs)
write("format_table", "four-pairs", struct.pack("<H", len(t)) + t + indices([0, 1, 2, 3]))
write("format_table", "reordered", struct.pack("<H", len(t)) + t + indices([3, 1, 1, 0]))
write("format_table", "empty", struct.pack("<H", 0))

write("feedback_events", "one-tranche",
      event(FORMAT_TABLE, t) + event(MAIN_DEVICE, RENDER_NODE) + event(TARGET_DEVICE, RENDER_NODE)
      + event(TRANCHE_FORMATS, indices([0, 1, 2])) + event(FLAGS, struct.pack("<I", 0))
      + event(TRANCHE_DONE) + event(DONE))
write("feedback_events", "scanout-then-render",
      event(FORMAT_TABLE, t) + event(MAIN_DEVICE, RENDER_NODE)
      + event(TARGET_DEVICE, RENDER_NODE) + event(TRANCHE_FORMATS, indices([2]))
      + event(FLAGS, struct.pack("<I", 1)) + event(TRANCHE_DONE)
      + event(TARGET_DEVICE, RENDER_NODE) + event(TRANCHE_FORMATS, indices([0, 1]))
      + event(TRANCHE_FORMATS, indices([3])) + event(TRANCHE_DONE) + event(DONE))

write("modifier_list", "linear-pairs",
      b"".join(struct.pack("<IQ", f, m) for f, m in [(XR24, LINEAR), (AR24, LINEAR)]))
write("modifier_list", "duplicates-and-implicit",
      b"".join(struct.pack("<IQ", f, m) for f, m in
               [(XB24, INVALID), (AB24, LINEAR), (XB24, INVALID), (XR24, TILED), (AB24, LINEAR)]))
