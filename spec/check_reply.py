"""Checks the vendor's curl sample (examples/curl/send_message.sh) against enjo mock: its reply
files have the documented 200 shape, what the server RECEIVED is the vendor's sample body
verbatim (spec/vendor-request-body.json), and the conversation id it sends threads: every
reply continues the conversation the body names, with one ticket for all of them.

Usage: check_reply.py REPLY.json [REPLY.json...] (one file per run of the sample, in order)."""
import json
import os
import sys
import urllib.request

from vendor_shape import assert_vendor_shape, vendor_body


def mock_admin(path):
    with urllib.request.urlopen(os.environ["ENJO_BASE_URL"] + path) as reply:
        return json.load(reply)


replies = []
for name in sys.argv[1:]:
    with open(name, encoding="utf-8") as f:
        replies.append(json.load(f))
reply = replies[0]
assert reply["success"] is True, reply
data = reply["data"]
assert isinstance(data["answers"], str) and data["answers"], data
assert isinstance(data["conversationId"], str) and data["conversationId"], data
assert isinstance(data["sources"], list), data
for source in data["sources"]:
    assert set(source) >= {"type", "name", "score", "url"}, source
    assert 0.0 <= source["score"] <= 1.0, source
ticket = data["ticketDetails"]  # the sample asks for a ticket; support-bot is on Salesforce
assert ticket["CaseNumber"] and ticket["Status"] and ticket["attributes"]["type"] == "Case", ticket

# What the server received: the vendor's own body, structure and values (the sample is
# verbatim apart from the URL, token and bot).
log = mock_admin("/_mock/requests")[-len(replies):]
expected = vendor_body()
for entry in log:
    assert_vendor_shape(entry["body"], with_conversation=True)
    assert entry["body"] == expected, (entry["body"], expected)
# It threads: the server used the id inside `message`, so every run continued one
# conversation and asking again for a ticket found the one already created.
sent_id = expected["message"]["conversationId"]
for entry, answer in zip(log, replies):
    assert entry["conversation_id"] == sent_id, entry
    assert answer["data"]["conversationId"] == sent_id, answer["data"]
numbers = {answer["data"]["ticketDetails"]["CaseNumber"] for answer in replies}
assert len(numbers) == 1, numbers
tickets = [t for t in mock_admin("/_mock/tickets") if t["conversation_id"] == sent_id]
assert len(tickets) == 1, tickets
print(f"curl sample: documented shape OK; ticket {ticket['CaseNumber']}; the vendor's body "
      f"received verbatim; {len(replies)} runs threaded in conversation {sent_id!r}")
