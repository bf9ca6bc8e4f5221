"""The structure check of a request body against the vendor's sample body
(spec/vendor-request-body.json, see spec/vendor-request-body.md): same keys at the same
places, same JSON types, no other key; values may differ."""
import copy
import json
import os

FIXTURE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "vendor-request-body.json")


def vendor_body():
    with open(FIXTURE, encoding="utf-8") as f:
        return json.load(f)


def shape(value):
    """Objects keep their keys, arrays their items; any other value becomes its JSON type."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(v) for v in value]
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if value is None:
        return "null"
    raise TypeError(f"not a JSON value: {value!r}")


def assert_vendor_shape(body, with_conversation):
    """`body` (what the server received) has the vendor's structure, with
    `message.conversationId` when `with_conversation` and without it otherwise."""
    expected = copy.deepcopy(vendor_body())
    if not with_conversation:
        del expected["message"]["conversationId"]
    assert shape(body) == shape(expected), (
        f"the request body {json.dumps(body)} does not have the structure of the vendor's "
        f"sample body {json.dumps(expected)} (spec/vendor-request-body.json)"
    )
