"""Checks that a reply file has the documented 200 shape (used on the vendor's curl sample)."""
import json
import sys

with open(sys.argv[1], encoding="utf-8") as f:
    reply = json.load(f)
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
print("curl sample: documented shape OK; ticket", ticket["CaseNumber"])
