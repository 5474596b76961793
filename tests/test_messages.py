"""The worker protocol's reply parser: whatever bytes a candidate's worker sends, the orchestrator gets either a
validated message or ProtocolError (a protocol-violation verdict), never another exception."""

import contextlib
import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assay.worker import (
    Failure,
    Output,
    OutputProblem,
    ProtocolError,
    Ran,
    Ready,
    parse_laid_out,
    parse_ran,
    parse_ready,
)

PARSERS = (parse_ran, parse_ready, parse_laid_out)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=30,
)


def _parses_or_refuses(body: bytes) -> None:
    for parse in PARSERS:
        with contextlib.suppress(ProtocolError):
            parse(body)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=512))
def test_random_bytes_are_parsed_or_refused(body: bytes) -> None:
    _parses_or_refuses(body)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_random_json_is_parsed_or_refused(value: object) -> None:
    _parses_or_refuses(json.dumps(value).encode())


keys = st.sampled_from(["id", "time", "host_time", "output", "dtype", "shape", "address", "error", "detail"])


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(keys, json_values, max_size=6))
def test_json_with_the_protocols_own_keys_is_parsed_or_refused(value: dict[str, object]) -> None:
    _parses_or_refuses(json.dumps(value).encode())


def test_a_reply_of_the_right_shape_is_read() -> None:
    body = b'{"id":3,"time":0.001,"host_time":0.001,"output":{"dtype":"float32","shape":[2,3],"address":4096}}'
    reply = parse_ran(body)
    assert isinstance(reply, Ran) and isinstance(reply.output, Output)
    assert reply.output.shape == [2, 3] and reply.output.address == 4096
    problem = parse_ran(b'{"id":3,"time":0,"host_time":0,"output":{"error":"not-a-tensor","detail":"int"}}')
    assert isinstance(problem, Ran) and isinstance(problem.output, OutputProblem)
    failure = parse_ran(b'{"error":"exception","type":"ValueError","detail":"x","stage":"call"}')
    assert isinstance(failure, Failure)
    assert isinstance(parse_ready(b'{"ok":"ready","construct_s":0.5}'), Ready)


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b"[" * 60000, "recursion limit"),
        (b'{"id":1,"time":NaN,"host_time":0,"output":{"dtype":"float32","shape":[1],"address":1}}', "finite"),
        (b'{"id":1,"time":0,"host_time":0,"output":{"dtype":"float32","shape":5,"address":1}}', "shape"),
        (b'{"id":1,"time":0,"host_time":0,"output":{"dtype":["float32"],"shape":[1],"address":1}}', "dtype"),
        (b'{"id":1,"time":0,"host_time":0,"output":{"dtype":"float32","shape":[-1],"address":1}}', "shape"),
        (b'{"id":1,"time":0,"host_time":0,"output":{"dtype":"float32","shape":[1],"address":0}}', "address"),
        (b'{"id":1,"time":0,"host_time":0,"output":{"dtype":"float32","shape":[1],"address":1},"x":1}', "x"),
        (b'{"id":"1","time":0,"host_time":0,"output":{"dtype":"float32","shape":[1],"address":1}}', "id"),
        (b'{"error":"exception","type":"E","detail":"\\ud800","stage":"call"}', "Invalid JSON"),
        (b'{"error":"exception","type":"E","detail":"' + b"x" * 9000 + b'","stage":"call"}', "detail"),
        (b"\xff\xfe", "Invalid JSON"),
    ],
)
def test_malformed_replies_are_protocol_errors_that_say_where(body: bytes, fragment: str) -> None:
    with pytest.raises(ProtocolError) as caught:
        parse_ran(body)
    assert fragment in str(caught.value)


def test_times_must_be_finite_and_not_negative() -> None:
    for value in (-1.0, math.inf):
        body = json.dumps({"id": 1, "time": value, "host_time": 0, "output": {"error": "bad-output", "detail": ""}})
        with pytest.raises(ProtocolError):
            parse_ran(body.encode())
