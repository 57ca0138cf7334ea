#!/usr/bin/env python3
"""Prints the reference bytes of Tests/GANTrainingTests/TensorBoardEventsTests.swift.

The bytes come from TensorBoard's own compiled protos (event_pb2, summary_pb2) serialized by
Python's protobuf, and from TensorBoard's own TFRecord writer, so the Swift encoder is checked
against an implementation it shares no code with. Needs `pip install tensorboard`.
Run: python3 scripts/make_tensorboard_fixture.py
"""
import io

from tensorboard.compat.proto import event_pb2, summary_pb2, tensor_pb2, types_pb2
from tensorboard.plugins.text import metadata as text_metadata
from tensorboard.summary.writer.record_writer import RecordWriter


def hexbytes(b):
    return "".join("%02x" % x for x in b)


# The file-version event every file starts with.
version = event_pb2.Event(wall_time=1700000000.25, file_version="brain.Event:2")

# One event with each kind of value SwiftGAN writes.
png = bytes([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3])
text_meta = text_metadata.create_summary_metadata(display_name="", description="")
text_meta.data_class = summary_pb2.DATA_CLASS_TENSOR
summary = summary_pb2.Summary(value=[
    summary_pb2.Summary.Value(tag="loss/d", simple_value=0.6931472),
    summary_pb2.Summary.Value(tag="workers", simple_value=-3.0),
    summary_pb2.Summary.Value(tag="samples/fixed_z", image=summary_pb2.Summary.Image(
        height=30, width=242, colorspace=3, encoded_image_string=png)),
    summary_pb2.Summary.Value(tag="config", metadata=text_meta, tensor=tensor_pb2.TensorProto(
        dtype=types_pb2.DT_STRING, string_val=["# cfg \u00e9".encode("utf-8")])),
])
event = event_pb2.Event(wall_time=1700000001.5, step=300, summary=summary)

buf = io.BytesIO()
w = RecordWriter(buf)
w.write(version.SerializeToString())
w.write(event.SerializeToString())

print("version event:", hexbytes(version.SerializeToString()))
print("summary event:", hexbytes(event.SerializeToString()))
print("framed file:  ", hexbytes(buf.getvalue()))
