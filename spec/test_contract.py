"""spec/openapi.yaml against `enjo mock` with schemathesis: generated requests (valid and
invalid), every response checked against the documented status codes, content types and
schemas. Bounded: a fixed number of examples, derandomized, so the run is repeatable.

The spec says what any Enjo deployment accepts, so `botId` there is any string; against the
mock, almost every such string is an unknown bot (400 `botId not found`) and the 200 schema
would never be exercised. The test therefore narrows `botId`, in its own copy of the schema,
to the mock's built-in bots plus one unknown id: most generated requests reach a real bot and
their 200 replies are validated, and the unknown-bot 400 stays covered."""
import collections
import json
import os
import urllib.request

import schemathesis
import yaml
from hypothesis import HealthCheck, settings

from vendor_shape import assert_vendor_shape, shape, vendor_body

BASE_URL = os.environ["ENJO_BASE_URL"]
# The mock's built-in bots (`enjo mock --print-config`), one per ticketing platform and none.
MOCK_BOTS = ["support-bot", "jira-bot", "servicenow-bot", "faq-bot", "echo-bot"]
UNKNOWN_BOT = "no-such-bot"

with open(os.path.join(os.path.dirname(__file__), "openapi.yaml"), encoding="utf-8") as f:
    raw_schema = yaml.safe_load(f)
operation = raw_schema["paths"]["/v1/bots/{botId}/message"]["post"]
(bot_id,) = [p for p in operation["parameters"] if p["name"] == "botId"]
bot_id["schema"] = {"type": "string", "enum": MOCK_BOTS + [UNKNOWN_BOT]}

schema = schemathesis.openapi.from_dict(raw_schema)
schema.config.update(
    base_url=BASE_URL,
    headers={"Authorization": f"Bearer {os.environ['ENJO_API_TOKEN']}"},
)
# A schema-valid request may still be refused with 400: the unknown bot, or a text that is
# only whitespace (the mock wants one non-blank character). Never with a 5xx.
schema.config.checks.positive_data_acceptance.expected_statuses = ["2XX", "400", "401", "404", "429"]


def mock_admin(path, method="GET"):
    request = urllib.request.Request(BASE_URL + path, method=method, data=b"" if method == "POST" else None)
    with urllib.request.urlopen(request) as reply:
        return json.load(reply)


# The request log from here on is this run's alone (run-tests.sh sent the curl sample first).
mock_admin("/_mock/reset", method="POST")
# Statuses of the replies that passed every check, counted by this test itself.
validated = collections.Counter()


@schema.parametrize()
@settings(max_examples=150, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
def test_mock_follows_the_documented_contract(case):
    # Every check: no 5xx, documented status codes, content types, headers and body schemas.
    response = case.call_and_validate()
    validated[response.status_code] += 1


def schema_shape(node, components):
    """The body structure an OpenAPI object schema describes (every property present)."""
    if "$ref" in node:
        node = components[node["$ref"].rsplit("/", 1)[-1]]
    if node.get("type") == "object":
        return {k: schema_shape(v, components) for k, v in node.get("properties", {}).items()}
    return node["type"]


def test_the_request_schema_and_example_are_the_vendors_body():
    """The spec's request body is the vendor's samples' body (spec/vendor-request-body.json):
    its example verbatim, its schema the same keys at the same places with the same types,
    `message.conversationId` the one optional key."""
    with open(os.path.join(os.path.dirname(__file__), "openapi.yaml"), encoding="utf-8") as f:
        spec = yaml.safe_load(f)
    content = spec["paths"]["/v1/bots/{botId}/message"]["post"]["requestBody"]["content"]
    example = content["application/json"]["example"]
    assert example == vendor_body()
    assert_vendor_shape(example, with_conversation=True)
    components = spec["components"]["schemas"]
    assert schema_shape(content["application/json"]["schema"], components) == shape(vendor_body())
    request = components["MessageRequest"]
    assert request["required"] == ["message"]
    assert request["properties"]["message"]["required"] == ["text"]


def test_the_spec_is_complete_enough_to_generate():
    operations = [op.ok() for op in schema.get_all_operations()]
    assert [f"{op.method.upper()} {op.path}" for op in operations] == ["POST /v1/bots/{botId}/message"]


def test_the_spec_itself_still_allows_any_bot_id():
    """The narrowing above is the test's own: the spec describes the real contract."""
    with open(os.path.join(os.path.dirname(__file__), "openapi.yaml"), encoding="utf-8") as f:
        spec = yaml.safe_load(f)
    (param,) = spec["paths"]["/v1/bots/{botId}/message"]["post"]["parameters"]
    assert param["schema"] == {"type": "string", "minLength": 1}, param


def test_the_run_validated_real_replies():
    """Runs last: the generated cases reached the mock, and real 200 replies (not only
    errors) were validated against the response schema, in this run."""
    print(f"validated replies by status: {dict(validated)}")
    assert validated[200] >= 30, f"only {validated[200]} validated 200 replies: {dict(validated)}"
    assert validated[400] >= 10, dict(validated)
    log = mock_admin("/_mock/requests")
    statuses = collections.Counter(entry["status"] for entry in log)
    assert len(log) >= 100, f"only {len(log)} requests reached the mock"
    # Every 200 the mock sent since the reset was one of this run's (checks may send extra
    # requests of their own, e.g. without the token, so only >=).
    assert statuses[200] >= validated[200], (statuses, validated)
    bots = {entry["bot_id"] for entry in log if entry["status"] == 200}
    assert bots == set(MOCK_BOTS), bots
    assert all(status < 500 for status in statuses), statuses
