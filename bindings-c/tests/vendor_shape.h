/*
 * The structure check of a request body against the vendor's sample body
 * (spec/vendor-request-body.json, see spec/vendor-request-body.md): same keys at the same
 * places, same JSON types, no other key; values may differ. A small JSON scanner, enough for
 * the mock's request log and the fixture (no JSON library needed), which also finds entries of
 * the log (each entry holds the body, so a text appears in it more than once).
 */
#ifndef ENJO_TEST_VENDOR_SHAPE_H
#define ENJO_TEST_VENDOR_SHAPE_H

/* The canonical structure of the JSON text `json`: object keys sorted, every string, number,
 * boolean or null replaced by its type name; the member at the dotted path `omit` (e.g.
 * "message.conversationId"; NULL: none) left out. malloc'd; NULL on a syntax error. */
char *json_shape(const char *json, const char *omit);

/* 1 when `body` (JSON text: what the server received) has the structure of the vendor's sample
 * body, with `message.conversationId` when `with_conversation` and without it otherwise. The
 * fixture is read from $ENJO_VENDOR_BODY, else spec/vendor-request-body.json under the working
 * directory (the repository root when run by run-tests.sh). On a mismatch, prints both. */
int has_vendor_shape(const char *body, int with_conversation);

/* In `log` (the JSON array of GET /_mock/requests), the raw JSON text of `member` (e.g. "body",
 * "conversation_id") of the entry whose "text" is exactly `text` (plain ASCII without quotes
 * or backslashes). malloc'd; NULL when there is no such entry. */
char *logged_member(const char *log, const char *text, const char *member);

/* In `log`, the whole entry (JSON text) whose "text" is exactly `text`; malloc'd or NULL. */
char *logged_entry(const char *log, const char *text);

/* How many entries of `log` mention `needle` anywhere (once per entry); -1 if `log` is not a
 * JSON array of objects. */
int logged_entries_with(const char *log, const char *needle);

#endif
