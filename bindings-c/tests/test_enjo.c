/*
 * The C test suite of libenjo, against a real `enjo-mock` over HTTP (see mock_server.h).
 * Prints one line per test and ends with "N passed, N failed"; exits non-zero on any failure.
 * Built with -Wall -Wextra -Werror -fsanitize=address,undefined against libenjo.a and
 * libenjo.so, and run under valgrind, by bindings-c/run-tests.sh.
 *
 * Usage: test_enjo [substring]   (runs only the tests whose name contains it)
 */
#define _GNU_SOURCE
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "enjo.h"
#include "mock_server.h"
#include "vendor_shape.h"

/* ---------------------------------------------------------------- a tiny test runner */

static int g_passed, g_failed, g_current_failed;
static mock_server g_mock;  /* rate limits off: most tests */
static mock_server g_limited; /* --rate-limit 5/200ms,10/1s: rate limit tests */

#define CHECK(cond)                                                                         \
    do {                                                                                    \
        if (!(cond)) {                                                                      \
            fprintf(stderr, "    %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);    \
            g_current_failed = 1;                                                           \
        }                                                                                   \
    } while (0)

#define CHECK_STATUS(got, want)                                                             \
    do {                                                                                    \
        enjo_status got_ = (got);                                                           \
        if (got_ != (want)) {                                                               \
            fprintf(stderr, "    %s:%d: status %s, expected %s\n", __FILE__, __LINE__,      \
                    enjo_status_name(got_), enjo_status_name(want));                        \
            g_current_failed = 1;                                                           \
        }                                                                                   \
    } while (0)

#define CHECK_STR(got, want)                                                                \
    do {                                                                                    \
        const char *got_ = (got);                                                           \
        const char *want_ = (want);                                                         \
        if (got_ == NULL || strcmp(got_, want_) != 0) {                                     \
            fprintf(stderr, "    %s:%d: %s is \"%s\", expected \"%s\"\n", __FILE__, __LINE__, \
                    #got, got_ ? got_ : "(null)", want_);                                   \
            g_current_failed = 1;                                                           \
        }                                                                                   \
    } while (0)

#define CHECK_CONTAINS(got, part)                                                           \
    do {                                                                                    \
        const char *got_ = (got);                                                           \
        if (got_ == NULL || strstr(got_, (part)) == NULL) {                                 \
            fprintf(stderr, "    %s:%d: %s is \"%s\", expected to contain \"%s\"\n",        \
                    __FILE__, __LINE__, #got, got_ ? got_ : "(null)", (part));              \
            g_current_failed = 1;                                                           \
        }                                                                                   \
    } while (0)

typedef void (*test_fn)(void);

static void run(const char *name, test_fn fn, const char *filter) {
    if (filter && !strstr(name, filter)) return;
    g_current_failed = 0;
    fn();
    if (g_current_failed) {
        g_failed++;
        printf("FAIL %s\n", name);
    } else {
        g_passed++;
        printf("ok   %s\n", name);
    }
    fflush(stdout);
}

/* A text no other test sends, so the mock's request log can be counted. */
static const char *unique(const char *prefix) {
    static _Thread_local char buf[128];
    static int counter;
    snprintf(buf, sizeof buf, "%s-%d-%d", prefix, (int)getpid(), __atomic_add_fetch(&counter, 1, __ATOMIC_SEQ_CST));
    return buf;
}

/* How many logged requests mention `needle` (once per request: each entry also holds the body,
 * which repeats the text). */
static int requests_with(const mock_server *mock, const char *needle) {
    size_t cap = 8u << 20;
    char *log = malloc(cap);
    if (!log) return -1;
    int n = mock_http(mock->port, "GET", "/_mock/requests", NULL, log, cap) == 200
                ? logged_entries_with(log, needle)
                : -1;
    free(log);
    return n;
}

/* A client for `mock` with rate limiting off and no retries, unless the test changes them. */
static enjo_client *client_for(const mock_server *mock, void (*tweak)(enjo_options *)) {
    enjo_options opts;
    enjo_options_init(&opts);
    opts.base_url = mock->base_url;
    opts.token = MOCK_TOKEN;
    opts.rate_limit = false;
    opts.max_retries = 0;
    opts.timeout_secs = 30.0;
    if (tweak) tweak(&opts);
    enjo_client *client = NULL;
    enjo_error *err = NULL;
    enjo_status st = enjo_client_new(&opts, &client, &err);
    if (st != ENJO_OK) {
        fprintf(stderr, "    enjo_client_new: %s\n", enjo_error_display(err));
        g_current_failed = 1;
    }
    enjo_error_free(err);
    return client;
}

static enjo_client *default_client(void) { return client_for(&g_mock, NULL); }

/* Sends and expects failure with `want`; returns the error (caller frees). */
static enjo_error *send_expect(enjo_client *client, const char *bot, const char *text,
                               enjo_status want) {
    enjo_response *resp = (enjo_response *)0x1; /* must be reset to NULL */
    enjo_error *err = NULL;
    enjo_status st = enjo_send_message(client, bot, text, NULL, &resp, &err);
    CHECK_STATUS(st, want);
    CHECK(resp == NULL);
    CHECK(err != NULL);
    if (err) {
        CHECK(enjo_error_status(err) == st);
        CHECK(enjo_error_message(err) != NULL && enjo_error_message(err)[0] != '\0');
        CHECK(enjo_error_display(err) != NULL);
    }
    enjo_response_free(resp);
    return err;
}

/* ---------------------------------------------------------------- basics */

static void test_version_and_status_names(void) {
    CHECK(enjo_version() != NULL && strlen(enjo_version()) >= 5);
    CHECK_STR(enjo_status_name(ENJO_OK), "ENJO_OK");
    CHECK_STR(enjo_status_name(ENJO_ERR_INVALID_ARGUMENT), "ENJO_ERR_INVALID_ARGUMENT");
    CHECK_STR(enjo_status_name(ENJO_ERR_INVALID_REQUEST), "ENJO_ERR_INVALID_REQUEST");
    CHECK_STR(enjo_status_name(ENJO_ERR_AUTHENTICATION), "ENJO_ERR_AUTHENTICATION");
    CHECK_STR(enjo_status_name(ENJO_ERR_NOT_FOUND), "ENJO_ERR_NOT_FOUND");
    CHECK_STR(enjo_status_name(ENJO_ERR_RATE_LIMITED), "ENJO_ERR_RATE_LIMITED");
    CHECK_STR(enjo_status_name(ENJO_ERR_SERVER), "ENJO_ERR_SERVER");
    CHECK_STR(enjo_status_name(ENJO_ERR_API), "ENJO_ERR_API");
    CHECK_STR(enjo_status_name(ENJO_ERR_TIMEOUT), "ENJO_ERR_TIMEOUT");
    CHECK_STR(enjo_status_name(ENJO_ERR_CONNECTION), "ENJO_ERR_CONNECTION");
    CHECK_STR(enjo_status_name(ENJO_ERR_DECODE), "ENJO_ERR_DECODE");
    CHECK_STR(enjo_status_name(ENJO_ERR_RATE_LIMIT_STORE), "ENJO_ERR_RATE_LIMIT_STORE");
    CHECK_STR(enjo_status_name(ENJO_ERR_INTERNAL), "ENJO_ERR_INTERNAL");
    CHECK_STR(enjo_status_name(ENJO_ERR_INTERRUPTED), "ENJO_ERR_INTERRUPTED");
    /* The values are ABI: they never change. */
    CHECK(ENJO_OK == 0 && ENJO_ERR_DECODE == 10 && ENJO_ERR_INTERNAL == 100);
    CHECK(ENJO_ERR_INTERRUPTED == 101 && ENJO_ERR_RATE_LIMIT_STORE == 11);
    CHECK_STR(enjo_status_name(-3), "ENJO_UNKNOWN");
    CHECK_STR(enjo_status_name(12345), "ENJO_UNKNOWN");
}

static void test_null_objects_are_harmless(void) {
    enjo_client_free(NULL);
    enjo_response_free(NULL);
    enjo_error_free(NULL);
    enjo_conversation_free(NULL);
    enjo_string_free(NULL);
    enjo_options_init(NULL);
    enjo_send_options_init(NULL);
    CHECK(enjo_client_base_url(NULL) == NULL);
    CHECK(enjo_response_answers(NULL) == NULL);
    CHECK(enjo_response_conversation_id(NULL) == NULL);
    CHECK(enjo_response_request_id(NULL) == NULL);
    CHECK(enjo_response_json(NULL) == NULL);
    CHECK(enjo_response_source_count(NULL) == 0);
    CHECK(enjo_response_source_type(NULL, 0) == NULL);
    CHECK(isnan(enjo_response_source_score(NULL, 0)));
    CHECK(!enjo_response_has_ticket(NULL));
    CHECK(enjo_response_ticket_case_number(NULL) == NULL);
    CHECK(enjo_response_ticket_json(NULL) == NULL);
    CHECK(enjo_error_status(NULL) == ENJO_ERR_INVALID_ARGUMENT);
    CHECK(enjo_error_message(NULL) == NULL);
    CHECK(enjo_error_display(NULL) == NULL);
    CHECK(enjo_error_http_status(NULL) == 0);
    CHECK(enjo_error_code(NULL) == NULL);
    CHECK(enjo_error_body(NULL) == NULL);
    CHECK(enjo_error_request_id(NULL) == NULL);
    CHECK(enjo_error_server_request_id(NULL) == NULL);
    CHECK(isnan(enjo_error_retry_after(NULL)));
    CHECK(!enjo_error_may_have_been_sent(NULL));
    CHECK(enjo_conversation_id(NULL) == NULL);
    CHECK(enjo_conversation_bot_id(NULL) == NULL);
}

/* ---------------------------------------------------------------- client options */

static enjo_status try_client(const enjo_options *opts, enjo_error **err) {
    enjo_client *client = (enjo_client *)0x1;
    enjo_status st = enjo_client_new(opts, &client, err);
    if (st == ENJO_OK) {
        CHECK(client != NULL);
    } else {
        CHECK(client == NULL);
    }
    enjo_client_free(st == ENJO_OK ? client : NULL);
    return st;
}

static void expect_bad_options(const enjo_options *opts, const char *mentions) {
    enjo_error *err = NULL;
    CHECK_STATUS(try_client(opts, &err), ENJO_ERR_INVALID_ARGUMENT);
    CHECK(err != NULL);
    CHECK_CONTAINS(enjo_error_message(err), mentions);
    CHECK(enjo_error_http_status(err) == 0);
    CHECK(!enjo_error_may_have_been_sent(err));
    enjo_error_free(err);
}

static void base_options(enjo_options *opts) {
    enjo_options_init(opts);
    opts->base_url = g_mock.base_url;
    opts->token = MOCK_TOKEN;
}

static void test_options_defaults(void) {
    enjo_options opts;
    enjo_options_init(&opts);
    CHECK(opts.version == ENJO_OPTIONS_VERSION);
    CHECK(opts.token == NULL && opts.base_url == NULL && opts.user_agent == NULL);
    CHECK(opts.timeout_secs == 60.0);
    CHECK(opts.connect_timeout_secs == 10.0);
    CHECK(opts.max_retries == 2);
    CHECK(opts.retry_policy == ENJO_RETRY_SAFE);
    CHECK(opts.rate_limit);
    CHECK(opts.rate_limit_quotas == NULL && opts.rate_limit_quota_count == 0);
    CHECK(opts.rate_limit_max_wait_secs < 0);
    CHECK(!opts.allow_insecure_http);
    CHECK(opts.max_response_bytes == 0);

    base_options(&opts);
    enjo_client *client = NULL;
    CHECK_STATUS(enjo_client_new(&opts, &client, NULL), ENJO_OK);
    CHECK_STR(enjo_client_base_url(client), g_mock.base_url);
    enjo_client_free(client);
}

static void test_options_are_validated(void) {
    enjo_options opts;

    base_options(&opts);
    opts.version = 0;
    expect_bad_options(&opts, "enjo_options_init");

    base_options(&opts);
    opts.token = "";
    expect_bad_options(&opts, "token");

    base_options(&opts);
    opts.token = "\xff\xfe";
    expect_bad_options(&opts, "options.token is not valid UTF-8");

    base_options(&opts);
    opts.base_url = "ftp://example.com";
    expect_bad_options(&opts, "base_url");

    base_options(&opts);
    opts.base_url = "not a url";
    expect_bad_options(&opts, "base_url");

    base_options(&opts);
    opts.base_url = "http://example.com"; /* clear-text token to a remote host */
    expect_bad_options(&opts, "http");

    base_options(&opts);
    opts.timeout_secs = 0.0;
    expect_bad_options(&opts, "timeout_secs");

    base_options(&opts);
    opts.timeout_secs = -1.0;
    expect_bad_options(&opts, "timeout_secs");

    base_options(&opts);
    opts.connect_timeout_secs = NAN;
    expect_bad_options(&opts, "connect_timeout_secs");

    base_options(&opts);
    opts.retry_policy = 7;
    expect_bad_options(&opts, "retry_policy");

    base_options(&opts);
    opts.rate_limit_quota_count = 2; /* quotas NULL */
    expect_bad_options(&opts, "rate_limit_quotas");

    enjo_quota zero[] = {{0, 1.0}};
    base_options(&opts);
    opts.rate_limit_quotas = zero;
    opts.rate_limit_quota_count = 1;
    expect_bad_options(&opts, "rate_limit_quotas[0].requests");

    enjo_quota bad_window[] = {{5, 1.0}, {5, -1.0}};
    base_options(&opts);
    opts.rate_limit_quotas = bad_window;
    opts.rate_limit_quota_count = 2;
    expect_bad_options(&opts, "rate_limit_quotas[1].window_secs");

    enjo_quota too_long[] = {{5, 4e7}}; /* over a year */
    base_options(&opts);
    opts.rate_limit_quotas = too_long;
    opts.rate_limit_quota_count = 1;
    expect_bad_options(&opts, "rate_limit_quotas[0].window_secs");

    /* Quotas given but a count of 0: an error, not a silent fallback to the documented limits. */
    enjo_quota forgotten[] = {{5, 1.0}};
    base_options(&opts);
    opts.rate_limit_quotas = forgotten;
    opts.rate_limit_quota_count = 0;
    expect_bad_options(&opts, "rate_limit_quota_count is 0");

    base_options(&opts);
    opts.rate_limit_quotas = forgotten;
    opts.rate_limit_quota_count = ENJO_MAX_QUOTAS + 1;
    expect_bad_options(&opts, "rate_limit_quota_count");

    base_options(&opts);
    opts.timeout_secs = 1e9; /* about 32 years */
    expect_bad_options(&opts, "options.timeout_secs");

    base_options(&opts);
    opts.rate_limit_max_wait_secs = 1e12;
    expect_bad_options(&opts, "rate_limit_max_wait_secs");

    base_options(&opts);
    opts.rate_limit_max_wait_secs = NAN;
    expect_bad_options(&opts, "rate_limit_max_wait_secs");

    base_options(&opts);
    opts.user_agent = "bad\nagent";
    expect_bad_options(&opts, "user_agent");

    enjo_error *err = NULL;
    CHECK_STATUS(enjo_client_new(&opts, NULL, &err), ENJO_ERR_INVALID_ARGUMENT);
    CHECK_CONTAINS(enjo_error_message(err), "client is NULL");
    enjo_error_free(err);

    /* Valid custom quotas and a bound are accepted. */
    enjo_quota quotas[] = {{5, 0.2}, {10, 1.0}};
    base_options(&opts);
    opts.rate_limit_quotas = quotas;
    opts.rate_limit_quota_count = 2;
    opts.rate_limit_max_wait_secs = 3.0;
    opts.retry_policy = ENJO_RETRY_AT_LEAST_ONCE;
    opts.user_agent = "c-tests/1.0";
    CHECK_STATUS(try_client(&opts, NULL), ENJO_OK);
}

static void test_token_from_environment_and_never_shown(void) {
    const char *secret = "sk-test-SECRET-do-not-print-123";
    enjo_options opts;
    /* No token anywhere: a clear message that names the variable. */
    unsetenv("ENJO_API_TOKEN");
    enjo_options_init(&opts);
    opts.base_url = g_mock.base_url;
    expect_bad_options(&opts, "ENJO_API_TOKEN");

    /* From the environment. */
    setenv("ENJO_API_TOKEN", MOCK_TOKEN, 1);
    setenv("ENJO_BASE_URL", g_mock.base_url, 1);
    enjo_client *client = NULL;
    CHECK_STATUS(enjo_client_new(NULL, &client, NULL), ENJO_OK);
    CHECK_STR(enjo_client_base_url(client), g_mock.base_url);
    enjo_client_free(client);
    unsetenv("ENJO_API_TOKEN");
    unsetenv("ENJO_BASE_URL");

    /* A wrong token: 401, and the token appears in nothing the error holds. */
    base_options(&opts);
    opts.token = secret;
    opts.rate_limit = false;
    client = NULL;
    CHECK_STATUS(enjo_client_new(&opts, &client, NULL), ENJO_OK);
    enjo_error *err = send_expect(client, "faq-bot", unique("auth"), ENJO_ERR_AUTHENTICATION);
    CHECK(enjo_error_http_status(err) == 401);
    CHECK_CONTAINS(enjo_error_display(err), "ENJO_API_TOKEN");
    CHECK(strstr(enjo_error_display(err), secret) == NULL);
    CHECK(strstr(enjo_error_message(err), secret) == NULL);
    CHECK(enjo_error_body(err) == NULL || strstr(enjo_error_body(err), secret) == NULL);
    enjo_error_free(err);
    enjo_client_free(client);

    /* A bad base URL with a token: the message never echoes the token. */
    base_options(&opts);
    opts.token = secret;
    opts.base_url = "ftp://h";
    err = NULL;
    CHECK_STATUS(try_client(&opts, &err), ENJO_ERR_INVALID_ARGUMENT);
    CHECK(strstr(enjo_error_display(err), secret) == NULL);
    enjo_error_free(err);
}

static void custom_agent(enjo_options *opts) { opts->user_agent = "c-harness/1.0"; }

static void test_user_agent(void) {
    enjo_client *client = client_for(&g_mock, custom_agent);
    enjo_response *resp = NULL;
    CHECK_STATUS(enjo_send_message(client, "echo-bot", unique("ua"), NULL, &resp, NULL), ENJO_OK);
    enjo_response_free(resp);
    CHECK(requests_with(&g_mock, "c-harness/1.0") >= 1);
    CHECK(requests_with(&g_mock, "enjo-rust/") >= 1);
    enjo_client_free(client);
}

/* ---------------------------------------------------------------- success paths */

static void test_send_message_success(void) {
    enjo_client *client = default_client();
    enjo_response *resp = NULL;
    enjo_error *err = (enjo_error *)0x1; /* overwritten with NULL on success */
    enjo_status st = enjo_send_message(client, "faq-bot", "How do I reset my password?", NULL,
                                       &resp, &err);
    CHECK_STATUS(st, ENJO_OK);
    CHECK(err == NULL);
    CHECK(resp != NULL);
    if (resp) {
        CHECK(enjo_response_answers(resp) != NULL && enjo_response_answers(resp)[0] != '\0');
        CHECK(enjo_response_conversation_id(resp) != NULL);
        CHECK_CONTAINS(enjo_response_json(resp), "\"success\":true");
        CHECK_CONTAINS(enjo_response_json(resp), enjo_response_conversation_id(resp));
        CHECK(!enjo_response_has_ticket(resp));
        CHECK(enjo_response_ticket_json(resp) == NULL);
        size_t n = enjo_response_source_count(resp);
        for (size_t i = 0; i < n; i++) {
            double score = enjo_response_source_score(resp, i);
            CHECK(isnan(score) || (score >= 0.0 && score <= 1.0));
        }
        CHECK(enjo_response_source_name(resp, n) == NULL);
        CHECK(enjo_response_source_url(resp, n + 100) == NULL);
        CHECK(isnan(enjo_response_source_score(resp, n)));
        /* The same pointer every time: borrowed from the response. */
        CHECK(enjo_response_json(resp) == enjo_response_json(resp));
    }
    enjo_response_free(resp);
    enjo_client_free(client);
}

static void test_sources_are_read(void) {
    /* The FAQ bot answers from its knowledge base, with sources. */
    enjo_client *client = default_client();
    enjo_response *resp = NULL;
    CHECK_STATUS(enjo_send_message(client, "faq-bot", "How do I reset my VPN password?", NULL,
                                   &resp, NULL),
                 ENJO_OK);
    CHECK(enjo_response_source_count(resp) > 0);
    if (enjo_response_source_count(resp) > 0) {
        CHECK(enjo_response_source_name(resp, 0) != NULL);
        CHECK(enjo_response_source_type(resp, 0) != NULL);
        CHECK(enjo_response_source_url(resp, 0) != NULL);
        CHECK(!isnan(enjo_response_source_score(resp, 0)));
        CHECK_CONTAINS(enjo_response_json(resp), enjo_response_source_name(resp, 0));
    }
    enjo_response_free(resp);
    enjo_client_free(client);
}

static void test_echo_utf8_round_trip(void) {
    enjo_client *client = default_client();
    const char *texts[] = {"plain ascii", "h\xc3\xa9llo w\xc3\xb6rld \xe2\x9c\x93 \xf0\x9f\x9a\x80",
                           "quotes \" and \\ backslash and \t tab", "{\"json\": [1, 2]}"};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        enjo_response *resp = NULL;
        CHECK_STATUS(enjo_send_message(client, "echo-bot", texts[i], NULL, &resp, NULL),
                     ENJO_OK);
        CHECK_STR(enjo_response_answers(resp), texts[i]);
        enjo_response_free(resp);
    }
    enjo_client_free(client);
}

static void test_conversation_id_is_threaded(void) {
    enjo_client *client = default_client();
    enjo_response *first = NULL, *second = NULL;
    CHECK_STATUS(enjo_send_message(client, "support-bot", "My VPN keeps disconnecting", NULL,
                                   &first, NULL),
                 ENJO_OK);
    const char *id = enjo_response_conversation_id(first);
    CHECK(id != NULL);
    const char *text = unique("follow-up");
    CHECK_STATUS(enjo_send_message(client, "support-bot", text, id, &second, NULL), ENJO_OK);
    if (id) {
        CHECK_STR(enjo_response_conversation_id(second), id);
        /* The request carried the id. */
        CHECK(requests_with(&g_mock, id) >= 1);
    }
    /* An empty or invalid conversation id is refused before sending. */
    enjo_error *err = NULL;
    enjo_response *resp = NULL;
    CHECK_STATUS(enjo_send_message(client, "support-bot", "hi", "", &resp, &err),
                 ENJO_ERR_INVALID_ARGUMENT);
    CHECK_CONTAINS(enjo_error_message(err), "conversation_id");
    enjo_error_free(err);
    err = NULL;
    CHECK_STATUS(enjo_send_message(client, "support-bot", "hi", "\xc3\x28", &resp, &err),
                 ENJO_ERR_INVALID_ARGUMENT);
    CHECK_CONTAINS(enjo_error_message(err), "conversation_id is not valid UTF-8");
    enjo_error_free(err);
    enjo_response_free(first);
    enjo_response_free(second);
    enjo_client_free(client);
}

/* What the SERVER received (the mock's request log) has the vendor's sample body structure:
 * {"message": {"text"}} for a first message, {"message": {"text", "conversationId"}} for a
 * follow-up (the id INSIDE `message`, nothing at the top level), and the follow-up threads. */
static void test_body_received_is_the_vendors_and_a_follow_up_threads(void) {
    enjo_client *client = default_client();
    char first_text[128], second_text[128], third_text[128];
    snprintf(first_text, sizeof first_text, "%s", unique("first"));
    snprintf(second_text, sizeof second_text, "%s", unique("second"));
    snprintf(third_text, sizeof third_text, "%s", unique("third"));
    enjo_response *first = NULL, *second = NULL, *third = NULL;
    CHECK_STATUS(enjo_send_message(client, "echo-bot", first_text, NULL, &first, NULL), ENJO_OK);
    const char *id = enjo_response_conversation_id(first);
    CHECK(id != NULL);
    if (!id) {
        enjo_response_free(first);
        enjo_client_free(client);
        return;
    }
    CHECK_STATUS(enjo_send_message(client, "echo-bot", second_text, id, &second, NULL), ENJO_OK);
    enjo_conversation *conv = NULL;
    CHECK_STATUS(enjo_conversation_new(client, "echo-bot", id, &conv, NULL), ENJO_OK);
    CHECK_STATUS(enjo_conversation_send(conv, third_text, &third, NULL), ENJO_OK);

    static char log[1 << 21];
    CHECK(mock_http(g_mock.port, "GET", "/_mock/requests?bot_id=echo-bot", NULL, log, sizeof log) == 200);
    char *body = logged_member(log, first_text, "body");
    CHECK(body != NULL && has_vendor_shape(body, 0));
    free(body);
    char quoted_id[300];
    snprintf(quoted_id, sizeof quoted_id, "\"%s\"", id);
    const char *follow_ups[] = {second_text, third_text};
    for (size_t i = 0; i < 2; i++) {
        body = logged_member(log, follow_ups[i], "body");
        CHECK(body != NULL && has_vendor_shape(body, 1));
        CHECK_CONTAINS(body, quoted_id);
        free(body);
        /* The server continued the first message's conversation. */
        char *used = logged_member(log, follow_ups[i], "conversation_id");
        CHECK_STR(used, quoted_id);
        free(used);
    }
    enjo_response_free(first);
    enjo_response_free(second);
    enjo_response_free(third);
    enjo_conversation_free(conv);
    enjo_client_free(client);
}

static void test_conversation_handle(void) {
    enjo_client *client = default_client();
    enjo_conversation *conv = NULL;
    CHECK_STATUS(enjo_conversation_new(client, "support-bot", NULL, &conv, NULL), ENJO_OK);
    CHECK_STR(enjo_conversation_bot_id(conv), "support-bot");
    CHECK(enjo_conversation_id(conv) == NULL);

    enjo_response *r1 = NULL, *r2 = NULL;
    CHECK_STATUS(enjo_conversation_send(conv, "My laptop will not boot", &r1, NULL), ENJO_OK);
    char *id1 = enjo_conversation_id(conv);
    CHECK(id1 != NULL);
    if (id1) CHECK_STR(enjo_response_conversation_id(r1), id1);

    /* The conversation outlives its client. */
    enjo_client_free(client);
    client = NULL;
    CHECK_STATUS(enjo_conversation_send(conv, "It shows a black screen", &r2, NULL), ENJO_OK);
    char *id2 = enjo_conversation_id(conv);
    if (id1 && id2) CHECK_STR(id2, id1);
    if (id1) CHECK_STR(enjo_response_conversation_id(r2), id1);

    /* Resume it from the id in a new handle. */
    enjo_client *client2 = default_client();
    enjo_conversation *resumed = NULL;
    CHECK_STATUS(enjo_conversation_new(client2, "support-bot", id1, &resumed, NULL), ENJO_OK);
    char *id3 = enjo_conversation_id(resumed);
    if (id1) CHECK_STR(id3, id1);
    enjo_response *r3 = NULL;
    CHECK_STATUS(enjo_conversation_send(resumed, "Still broken", &r3, NULL), ENJO_OK);
    if (id1) CHECK_STR(enjo_response_conversation_id(r3), id1);

    /* Bad arguments. */
    enjo_conversation *bad = (enjo_conversation *)0x1;
    enjo_error *err = NULL;
    CHECK_STATUS(enjo_conversation_new(client2, "", NULL, &bad, &err), ENJO_ERR_INVALID_ARGUMENT);
    CHECK(bad == NULL);
    CHECK_CONTAINS(enjo_error_message(err), "bot_id");
    enjo_error_free(err);
    err = NULL;
    CHECK_STATUS(enjo_conversation_new(NULL, "support-bot", NULL, &bad, &err),
                 ENJO_ERR_INVALID_ARGUMENT);
    CHECK_CONTAINS(enjo_error_message(err), "client is NULL");
    enjo_error_free(err);
    err = NULL;
    CHECK_STATUS(enjo_conversation_new(client2, "support-bot", NULL, NULL, &err),
                 ENJO_ERR_INVALID_ARGUMENT);
    enjo_error_free(err);
    err = NULL;
    enjo_response *none = NULL;
    CHECK_STATUS(enjo_conversation_send(NULL, "x", &none, &err), ENJO_ERR_INVALID_ARGUMENT);
    enjo_error_free(err);
    err = NULL;
    CHECK_STATUS(enjo_conversation_send(resumed, "", &none, &err), ENJO_ERR_INVALID_ARGUMENT);
    CHECK_CONTAINS(enjo_error_message(err), "text");
    enjo_error_free(err);
    err = NULL;
    CHECK_STATUS(enjo_conversation_send(resumed, "\xff", &none, &err), ENJO_ERR_INVALID_ARGUMENT);
    CHECK_CONTAINS(enjo_error_message(err), "text is not valid UTF-8");
    enjo_error_free(err);

    enjo_string_free(id1);
    enjo_string_free(id2);
    enjo_string_free(id3);
    enjo_response_free(r1);
    enjo_response_free(r2);
    enjo_response_free(r3);
    enjo_conversation_free(conv);
    enjo_conversation_free(resumed);
    enjo_client_free(client2);
}

static void check_ticket(const char *bot, const char *number_part, const char *raw_key) {
    enjo_client *client = default_client();
    enjo_response *resp = NULL;
    CHECK_STATUS(enjo_send_message(client, bot,
                                   "The printer on floor 3 is broken, please open a ticket",
                                   NULL, &resp, NULL),
                 ENJO_OK);
    CHECK(enjo_response_has_ticket(resp));
    if (enjo_response_has_ticket(resp)) {
        CHECK(enjo_response_ticket_case_number(resp) != NULL);
        CHECK_CONTAINS(enjo_response_ticket_case_number(resp), number_part);
        CHECK(enjo_response_ticket_status(resp) != NULL);
        CHECK(enjo_response_ticket_id(resp) != NULL);
        CHECK(enjo_response_ticket_url(resp) != NULL);
        CHECK(enjo_response_ticket_created_date(resp) != NULL);
        CHECK_CONTAINS(enjo_response_ticket_json(resp), raw_key);
        CHECK_CONTAINS(enjo_response_json(resp), "ticketDetails");
        /* Optional fields are NULL or text, never garbage. */
        const char *fields[] = {enjo_response_ticket_type(resp),
                                enjo_response_ticket_priority(resp),
                                enjo_response_ticket_description(resp),
                                enjo_response_ticket_last_modified_date(resp)};
        for (size_t i = 0; i < 4; i++) CHECK(fields[i] == NULL || strlen(fields[i]) < 100000);
        CHECK(mock_count(&g_mock, "/_mock/tickets", enjo_response_ticket_case_number(resp)) >= 1);
    }
    enjo_response_free(resp);
    enjo_client_free(client);
}

static void test_ticket_salesforce(void) { check_ticket("support-bot", "", "CaseNumber"); }
static void test_ticket_jira(void) { check_ticket("jira-bot", "-", "key"); }
static void test_ticket_servicenow(void) { check_ticket("servicenow-bot", "", "number"); }

static void test_no_ticket_without_ticketing(void) {
    enjo_client *client = default_client();
    enjo_response *resp = NULL;
    CHECK_STATUS(enjo_send_message(client, "faq-bot", "please open a ticket for me", NULL, &resp,
                                   NULL),
                 ENJO_OK);
    CHECK(!enjo_response_has_ticket(resp));
    CHECK(enjo_response_ticket_case_number(resp) == NULL);
    CHECK(enjo_response_ticket_json(resp) == NULL);
    enjo_response_free(resp);
    enjo_client_free(client);
}

/* ---------------------------------------------------------------- invalid arguments */

static void expect_invalid_send(enjo_client *client, const char *bot, const char *text,
                                const char *mentions) {
    enjo_error *err = send_expect(client, bot, text, ENJO_ERR_INVALID_ARGUMENT);
    CHECK_CONTAINS(enjo_error_message(err), mentions);
    CHECK(enjo_error_http_status(err) == 0);
    CHECK(!enjo_error_may_have_been_sent(err));
    enjo_error_free(err);
}

static void test_invalid_arguments_are_rejected(void) {
    enjo_client *client = default_client();
    const char *marker = unique("never-sent");
    expect_invalid_send(NULL, "faq-bot", marker, "client is NULL");
    expect_invalid_send(client, NULL, marker, "bot_id is NULL");
    expect_invalid_send(client, "faq-bot", NULL, "text is NULL");
    expect_invalid_send(client, "", marker, "bot_id");
    expect_invalid_send(client, "   ", marker, "bot_id");
    expect_invalid_send(client, "faq-bot", "", "text");
    expect_invalid_send(client, "faq-bot", " \n\t ", "text");
    expect_invalid_send(client, "faq\xff-bot", marker, "bot_id is not valid UTF-8");
    expect_invalid_send(client, "faq-bot", "caf\xc3", "text is not valid UTF-8");
    expect_invalid_send(client, "faq-bot", "\xed\xa0\x80 surrogate", "text is not valid UTF-8");
    expect_invalid_send(client, "a\nb", marker, "bot_id");

    /* NULL response out-parameter; and a NULL error out-parameter only loses the details. */
    enjo_error *err = NULL;
    CHECK_STATUS(enjo_send_message(client, "faq-bot", marker, NULL, NULL, &err),
                 ENJO_ERR_INVALID_ARGUMENT);
    CHECK_CONTAINS(enjo_error_message(err), "response is NULL");
    enjo_error_free(err);
    enjo_response *resp = NULL;
    CHECK_STATUS(enjo_send_message(client, "", marker, NULL, &resp, NULL),
                 ENJO_ERR_INVALID_ARGUMENT);
    CHECK(resp == NULL);

    /* Nothing reached the server. */
    CHECK(requests_with(&g_mock, marker) == 0);
    enjo_client_free(client);
}

/* ---------------------------------------------------------------- error statuses */

static void test_error_invalid_request(void) {
    enjo_client *client = default_client();
    enjo_error *err = send_expect(client, "no-such-bot", unique("x"), ENJO_ERR_INVALID_REQUEST);
    CHECK(enjo_error_http_status(err) == 400);
    CHECK(enjo_error_code(err) != NULL);
    CHECK(enjo_error_body(err) != NULL);
    CHECK(enjo_error_may_have_been_sent(err));
    CHECK(isnan(enjo_error_retry_after(err)));
    CHECK_CONTAINS(enjo_error_display(err), "HTTP 400");
    enjo_error_free(err);
    enjo_client_free(client);
}

static void test_error_not_found(void) {
    /* A base URL with a wrong path prefix: the endpoint does not exist. */
    enjo_options opts;
    base_options(&opts);
    char url[128];
    snprintf(url, sizeof url, "%s/no/such/prefix", g_mock.base_url);
    opts.base_url = url;
    opts.rate_limit = false;
    enjo_client *client = NULL;
    CHECK_STATUS(enjo_client_new(&opts, &client, NULL), ENJO_OK);
    enjo_error *err = send_expect(client, "faq-bot", unique("x"), ENJO_ERR_NOT_FOUND);
    CHECK(enjo_error_http_status(err) == 404);
    enjo_error_free(err);
    enjo_client_free(client);

    /* And a 404 injected on the real endpoint. */
    client = default_client();
    CHECK(mock_fault(&g_mock, "faq-bot", "status=404", 1) == 0);
    err = send_expect(client, "faq-bot", unique("x"), ENJO_ERR_NOT_FOUND);
    CHECK(enjo_error_http_status(err) == 404);
    enjo_error_free(err);
    enjo_client_free(client);
}

static void test_error_rate_limited_from_server(void) {
    enjo_client *client = default_client();
    CHECK(mock_fault(&g_mock, "faq-bot", "429;retry-after=7", 1) == 0);
    const char *text = unique("429");
    enjo_error *err = send_expect(client, "faq-bot", text, ENJO_ERR_RATE_LIMITED);
    CHECK(enjo_error_http_status(err) == 429);
    CHECK(fabs(enjo_error_retry_after(err) - 7.0) < 0.001);
    CHECK_CONTAINS(enjo_error_code(err), "rate_limit");
    CHECK(requests_with(&g_mock, text) == 1);
    enjo_error_free(err);
    enjo_client_free(client);
}

static void test_error_server(void) {
    enjo_client *client = default_client();
    CHECK(mock_fault(&g_mock, "faq-bot", "500", 1) == 0);
    const char *text = unique("500");
    enjo_error *err = send_expect(client, "faq-bot", text, ENJO_ERR_SERVER);
    CHECK(enjo_error_http_status(err) == 500);
    CHECK(enjo_error_may_have_been_sent(err));
    CHECK(requests_with(&g_mock, text) == 1);
    enjo_error_free(err);
    enjo_client_free(client);
}

static void test_error_api_other_status(void) {
    enjo_client *client = default_client();
    CHECK(mock_fault(&g_mock, "faq-bot", "status=418", 1) == 0);
    enjo_error *err = send_expect(client, "faq-bot", unique("418"), ENJO_ERR_API);
    CHECK(enjo_error_http_status(err) == 418);
    enjo_error_free(err);
    enjo_client_free(client);
}

static void test_error_timeout(void) {
    enjo_client *client = default_client();
    CHECK(mock_fault(&g_mock, "faq-bot", "delay=3000", 1) == 0);
    enjo_send_options so;
    enjo_send_options_init(&so);
    so.timeout_secs = 0.3;
    enjo_response *resp = NULL;
    enjo_error *err = NULL;
    CHECK_STATUS(enjo_send_message_with(client, "faq-bot", unique("slow"), &so, &resp, &err),
                 ENJO_ERR_TIMEOUT);
    CHECK(resp == NULL);
    CHECK(enjo_error_http_status(err) == 0);
    CHECK(enjo_error_may_have_been_sent(err));
    CHECK_CONTAINS(enjo_error_display(err), "timeout");
    enjo_error_free(err);
    enjo_client_free(client);
}

static void test_error_connection(void) {
    int port = closed_port();
    CHECK(port > 0);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
    enjo_options opts;
    enjo_options_init(&opts);
    opts.base_url = url;
    opts.token = MOCK_TOKEN;
    opts.rate_limit = false;
    opts.max_retries = 0;
    enjo_client *client = NULL;
    CHECK_STATUS(enjo_client_new(&opts, &client, NULL), ENJO_OK);
    enjo_error *err = send_expect(client, "faq-bot", "hello", ENJO_ERR_CONNECTION);
    CHECK(enjo_error_http_status(err) == 0);
    CHECK(!enjo_error_may_have_been_sent(err));
    CHECK(enjo_error_body(err) == NULL);
    enjo_error_free(err);
    enjo_client_free(client);
}

static void test_error_decode(void) {
    enjo_client *client = default_client();
    CHECK(mock_fault(&g_mock, "faq-bot", "malformed-json", 1) == 0);
    enjo_error *err = send_expect(client, "faq-bot", unique("bad-json"), ENJO_ERR_DECODE);
    CHECK(enjo_error_http_status(err) == 200);
    CHECK(enjo_error_body(err) != NULL);
    enjo_error_free(err);
    enjo_client_free(client);
}

/* ---------------------------------------------------------------- every mock fault */

static enjo_error *fault_then_send(const char *fault, enjo_status want, const char **text_out) {
    enjo_client *client = default_client();
    CHECK(mock_fault(&g_mock, "faq-bot", fault, 1) == 0);
    const char *text = unique("fault");
    if (text_out) *text_out = text;
    enjo_error *err = send_expect(client, "faq-bot", text, want);
    enjo_client_free(client);
    return err;
}

static void test_fault_500_after_ticket(void) {
    enjo_client *client = default_client();
    CHECK(mock_fault(&g_mock, "support-bot", "500-after-ticket", 1) == 0);
    const char *text = unique("please open a ticket, printer broken");
    enjo_error *err = send_expect(client, "support-bot", text, ENJO_ERR_SERVER);
    CHECK(enjo_error_http_status(err) == 500);
    CHECK(enjo_error_may_have_been_sent(err));
    /* The default (safe) policy never sends it again: exactly one request, no duplicate. */
    CHECK(requests_with(&g_mock, text) == 1);
    enjo_error_free(err);
    enjo_client_free(client);
}

static void test_fault_status_message_shape(void) {
    enjo_error *err = fault_then_send("status=503;shape=message", ENJO_ERR_SERVER, NULL);
    CHECK(enjo_error_http_status(err) == 503);
    CHECK(enjo_error_code(err) != NULL);
    CHECK_CONTAINS(enjo_error_body(err), "\"message\"");
    enjo_error_free(err);
    err = fault_then_send("status=400", ENJO_ERR_INVALID_REQUEST, NULL);
    CHECK(enjo_error_http_status(err) == 400);
    enjo_error_free(err);
    err = fault_then_send("status=401", ENJO_ERR_AUTHENTICATION, NULL);
    CHECK(enjo_error_http_status(err) == 401);
    enjo_error_free(err);
}

static void test_fault_429_is_retried(void) {
    /* With retries, a 429 (Retry-After 0) is sent again and succeeds. */
    enjo_options opts;
    base_options(&opts);
    opts.rate_limit = false;
    opts.max_retries = 2;
    enjo_client *client = NULL;
    CHECK_STATUS(enjo_client_new(&opts, &client, NULL), ENJO_OK);
    CHECK(mock_fault(&g_mock, "echo-bot", "429;retry-after-ms=1", 1) == 0);
    const char *text = unique("retry-me");
    char copy[128];
    snprintf(copy, sizeof copy, "%s", text);
    enjo_response *resp = NULL;
    enjo_error *err = NULL;
    CHECK_STATUS(enjo_send_message(client, "echo-bot", copy, NULL, &resp, &err), ENJO_OK);
    CHECK_STR(enjo_response_answers(resp), copy);
    CHECK(requests_with(&g_mock, copy) == 2);
    enjo_response_free(resp);
    enjo_error_free(err);
    enjo_client_free(client);
}

static void test_fault_html_502(void) {
    enjo_error *err = fault_then_send("html-502", ENJO_ERR_SERVER, NULL);
    CHECK(enjo_error_http_status(err) == 502);
    CHECK_CONTAINS(enjo_error_message(err), "HTML");
    enjo_error_free(err);
}

static void test_fault_empty_body(void) {
    enjo_error *err = fault_then_send("empty-body=500", ENJO_ERR_SERVER, NULL);
    CHECK(enjo_error_http_status(err) == 500);
    CHECK_CONTAINS(enjo_error_message(err), "empty");
    enjo_error_free(err);
    err = fault_then_send("empty-body=200", ENJO_ERR_DECODE, NULL);
    CHECK(enjo_error_http_status(err) == 200);
    enjo_error_free(err);
}

static void test_fault_delay_within_timeout(void) {
    enjo_client *client = default_client();
    CHECK(mock_fault(&g_mock, "echo-bot", "delay=200", 1) == 0);
    enjo_response *resp = NULL;
    CHECK_STATUS(enjo_send_message(client, "echo-bot", "patience", NULL, &resp, NULL), ENJO_OK);
    CHECK_STR(enjo_response_answers(resp), "patience");
    enjo_response_free(resp);
    enjo_client_free(client);
}

/* The log entry (one JSON object of GET /_mock/requests?bot_id=bot) whose text is `text`
 * contains `part`. */
static int logged_request_has(const mock_server *mock, const char *bot, const char *text,
                              const char *part) {
    static char log[1 << 21];
    char path[128];
    snprintf(path, sizeof path, "/_mock/requests?bot_id=%s", bot);
    if (mock_http(mock->port, "GET", path, NULL, log, sizeof log) != 200) return 0;
    char *entry = logged_entry(log, text);
    int has = entry != NULL && strstr(entry, part) != NULL;
    free(entry);
    return has;
}

static void retries_2_safe(enjo_options *opts) {
    opts->max_retries = 2;
    opts->retry_policy = ENJO_RETRY_SAFE;
}

static void test_fault_reset(void) {
    /* The mock reads the whole request, logs it, then resets the connection: the request may
     * have been processed, so the safe policy does not send it again, retries or not. */
    enjo_client *client = client_for(&g_mock, retries_2_safe);
    CHECK(mock_fault(&g_mock, "faq-bot", "reset", 1) == 0);
    const char *text = unique("reset");
    enjo_error *err = send_expect(client, "faq-bot", text, ENJO_ERR_CONNECTION);
    CHECK(enjo_error_http_status(err) == 0);
    CHECK(enjo_error_may_have_been_sent(err));
    enjo_error_free(err);
    CHECK(requests_with(&g_mock, text) == 1);               /* sent once, never again */
    CHECK(logged_request_has(&g_mock, "faq-bot", text, "\"reset\""));  /* and it was the reset one */
    enjo_client_free(client);

    /* At-least-once: sent again, and the second attempt succeeds. */
    enjo_options opts;
    base_options(&opts);
    opts.rate_limit = false;
    opts.max_retries = 1;
    opts.retry_policy = ENJO_RETRY_AT_LEAST_ONCE;
    client = NULL;
    CHECK_STATUS(enjo_client_new(&opts, &client, NULL), ENJO_OK);
    CHECK(mock_fault(&g_mock, "echo-bot", "reset", 1) == 0);
    text = unique("again");
    enjo_response *resp = NULL;
    CHECK_STATUS(enjo_send_message(client, "echo-bot", text, NULL, &resp, NULL), ENJO_OK);
    CHECK_STR(enjo_response_answers(resp), text);
    CHECK(requests_with(&g_mock, text) == 2);
    enjo_response_free(resp);
    enjo_client_free(client);
}

static void test_fault_success_false(void) {
    enjo_error *err = fault_then_send("success-false", ENJO_ERR_API, NULL);
    CHECK(enjo_error_http_status(err) == 200);
    CHECK_CONTAINS(enjo_error_body(err), "false");
    enjo_error_free(err);
}

static void test_fault_missing_fields(void) {
    enjo_client *client = default_client();
    CHECK(mock_fault(&g_mock, "support-bot", "missing-fields", 1) == 0);
    enjo_response *resp = NULL;
    CHECK_STATUS(enjo_send_message(client, "support-bot", "please open a ticket", NULL, &resp,
                                   NULL),
                 ENJO_OK);
    CHECK(resp != NULL);
    CHECK(enjo_response_answers(resp) == NULL);
    CHECK(enjo_response_conversation_id(resp) == NULL);
    CHECK(enjo_response_source_count(resp) == 0);
    CHECK(!enjo_response_has_ticket(resp));
    CHECK(enjo_response_json(resp) != NULL);
    enjo_response_free(resp);
    enjo_client_free(client);
}

static void test_fault_extra_fields(void) {
    enjo_client *client = default_client();
    CHECK(mock_fault(&g_mock, "echo-bot", "extra-fields", 1) == 0);
    enjo_response *resp = NULL;
    CHECK_STATUS(enjo_send_message(client, "echo-bot", "extra", NULL, &resp, NULL), ENJO_OK);
    CHECK_STR(enjo_response_answers(resp), "extra");
    enjo_response_free(resp);
    enjo_client_free(client);
}

static void small_body_cap(enjo_options *opts) { opts->max_response_bytes = 4096; }

static void test_fault_huge_body(void) {
    /* Over the client's cap: a decode error, not an allocation of the whole body. */
    enjo_client *client = client_for(&g_mock, small_body_cap);
    CHECK(mock_fault(&g_mock, "faq-bot", "huge-body=100000", 1) == 0);
    enjo_error *err = send_expect(client, "faq-bot", unique("huge"), ENJO_ERR_DECODE);
    CHECK_CONTAINS(enjo_error_message(err), "max_response_bytes");
    enjo_error_free(err);
    enjo_client_free(client);

    /* Under the default cap (16 MiB) the same body is fine. */
    client = default_client();
    CHECK(mock_fault(&g_mock, "faq-bot", "huge-body=100000", 1) == 0);
    enjo_response *resp = NULL;
    CHECK_STATUS(enjo_send_message(client, "faq-bot", "big answer please", NULL, &resp, NULL),
                 ENJO_OK);
    CHECK(resp != NULL && strlen(enjo_response_json(resp)) >= 100000);
    enjo_response_free(resp);
    enjo_client_free(client);
}

static void test_send_options_override(void) {
    enjo_client *client = default_client();
    enjo_send_options so;
    enjo_send_options_init(&so);
    CHECK(so.version == ENJO_SEND_OPTIONS_VERSION);
    CHECK(so.conversation_id == NULL && so.timeout_secs == 0.0 && so.max_retries < 0 &&
          so.retry_policy < 0);

    /* Per-call retries on a client that has none. */
    CHECK(mock_fault(&g_mock, "echo-bot", "429;retry-after-ms=1", 1) == 0);
    so.max_retries = 1;
    enjo_response *resp = NULL;
    CHECK_STATUS(enjo_send_message_with(client, "echo-bot", "override", &so, &resp, NULL),
                 ENJO_OK);
    CHECK_STR(enjo_response_answers(resp), "override");
    enjo_response_free(resp);

    /* A conversation id through the options. */
    so.conversation_id = "conv-from-options";
    resp = NULL;
    CHECK_STATUS(enjo_send_message_with(client, "support-bot", "hello", &so, &resp, NULL),
                 ENJO_OK);
    CHECK(requests_with(&g_mock, "conv-from-options") >= 1);
    enjo_response_free(resp);

    /* Bad overrides. */
    enjo_error *err = NULL;
    so.timeout_secs = -2;
    CHECK_STATUS(enjo_send_message_with(client, "echo-bot", "x", &so, &resp, &err),
                 ENJO_ERR_INVALID_ARGUMENT);
    CHECK_CONTAINS(enjo_error_message(err), "timeout_secs");
    enjo_error_free(err);
    err = NULL;
    enjo_send_options_init(&so);
    so.retry_policy = 9;
    CHECK_STATUS(enjo_send_message_with(client, "echo-bot", "x", &so, &resp, &err),
                 ENJO_ERR_INVALID_ARGUMENT);
    enjo_error_free(err);
    err = NULL;
    so.version = 0;
    CHECK_STATUS(enjo_send_message_with(client, "echo-bot", "x", &so, &resp, &err),
                 ENJO_ERR_INVALID_ARGUMENT);
    CHECK_CONTAINS(enjo_error_message(err), "enjo_send_options_init");
    enjo_error_free(err);
    /* NULL options: no override. */
    resp = NULL;
    CHECK_STATUS(enjo_send_message_with(client, "echo-bot", "plain", NULL, &resp, NULL), ENJO_OK);
    CHECK_STR(enjo_response_answers(resp), "plain");
    enjo_response_free(resp);
    enjo_client_free(client);
}

/* ---------------------------------------------------------------- interrupting a call */

/* What an interrupt check saw: how often it ran, and whether always on the caller's thread. */
struct interrupt_probe {
    int calls;
    int stop_at; /* return 1 from this call on; 0: never */
    pthread_t caller;
    int on_another_thread;
    /* When set: ask to stop only once the mock has logged a request containing `arrived`. */
    const mock_server *mock;
    const char *arrived;
};

static int probe_check(void *user_data) {
    struct interrupt_probe *probe = user_data;
    probe->calls++;
    if (!pthread_equal(pthread_self(), probe->caller)) probe->on_another_thread = 1;
    if (probe->arrived && requests_with(probe->mock, probe->arrived) < 1) return 0;
    return probe->stop_at > 0 && probe->calls >= probe->stop_at;
}

static void interruptible(enjo_send_options *so, struct interrupt_probe *probe, int stop_at) {
    enjo_send_options_init(so);
    *probe = (struct interrupt_probe){0, stop_at, pthread_self(), 0, NULL, NULL};
    so->interrupt_check = probe_check;
    so->interrupt_user_data = probe;
}

static void test_interrupt_stops_a_slow_call(void) {
    enjo_client *client = default_client(); /* 30 s timeout, no retries */
    /* The reply would come after 20 s; the check stops the call on its 3rd run (~300 ms). */
    CHECK(mock_fault(&g_mock, "faq-bot", "delay=20000", 1) == 0);
    enjo_send_options so;
    struct interrupt_probe probe;
    interruptible(&so, &probe, 3);
    CHECK(so.version == ENJO_SEND_OPTIONS_VERSION && ENJO_SEND_OPTIONS_VERSION == 3);
    enjo_response *resp = (enjo_response *)0x1;
    enjo_error *err = NULL;
    enjo_status st = enjo_send_message_with(client, "faq-bot", unique("interrupted"), &so, &resp,
                                            &err);
    CHECK_STATUS(st, ENJO_ERR_INTERRUPTED);
    CHECK(resp == NULL);
    CHECK(probe.calls == 3);           /* stopped at once, never called again afterwards */
    CHECK(!probe.on_another_thread);   /* always on this (the calling) thread */
    CHECK(enjo_error_status(err) == ENJO_ERR_INTERRUPTED);
    CHECK_CONTAINS(enjo_error_message(err), "interrupt");
    CHECK_CONTAINS(enjo_error_display(err), "interrupt");
    CHECK(enjo_error_http_status(err) == 0);
    CHECK(enjo_error_may_have_been_sent(err)); /* it may have reached the server */
    CHECK(isnan(enjo_error_retry_after(err)));
    enjo_error_free(err);
    /* If the request had not reached the mock yet, its delay fault is still queued: clear it
     * so that no later test meets it. */
    CHECK(mock_reset(&g_mock) == 0);

    /* The client is intact, and a check that never asks to stop changes nothing. */
    CHECK(mock_fault(&g_mock, "echo-bot", "delay=400", 1) == 0);
    interruptible(&so, &probe, 0);
    resp = NULL;
    CHECK_STATUS(enjo_send_message_with(client, "echo-bot", "kept waiting", &so, &resp, NULL),
                 ENJO_OK);
    CHECK_STR(enjo_response_answers(resp), "kept waiting");
    CHECK(probe.calls >= 1); /* the reply took 400 ms at least: the check ran meanwhile */
    CHECK(!probe.on_another_thread);
    enjo_response_free(resp);
    enjo_client_free(client);
}

/* ENJO_LOG=info (read when the client is made) writes a rate-limit wait longer than a second to
 * stderr when it starts, naming the quota; and the insecure-http hint names a real field. */
static void test_env_log_announces_a_long_wait(void) {
    char path[] = "/tmp/enjo-c-log-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd < 0) return;
    fflush(stderr);
    int saved = dup(2);
    CHECK(dup2(fd, 2) == 2);
    setenv("ENJO_LOG", "info", 1);
    enjo_quota quotas[] = {{1, 1.5}};
    enjo_options opts;
    enjo_options_init(&opts);
    opts.base_url = g_mock.base_url;
    opts.token = MOCK_TOKEN;
    opts.rate_limit_quotas = quotas;
    opts.rate_limit_quota_count = 1;
    opts.max_retries = 0;
    enjo_client *client = NULL;
    enjo_status st = enjo_client_new(&opts, &client, NULL);
    unsetenv("ENJO_LOG");
    for (int i = 0; i < 2 && st == ENJO_OK; i++) {
        enjo_response *resp = NULL;
        CHECK_STATUS(enjo_send_message(client, "echo-bot", unique("env-log"), NULL, &resp, NULL),
                     ENJO_OK);
        enjo_response_free(resp);
    }
    enjo_client_free(client);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    CHECK_STATUS(st, ENJO_OK);
    char buf[4096] = {0};
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    close(fd);
    unlink(path);
    CHECK(n > 0);
    CHECK_CONTAINS(buf, "[enjo] info: client-side rate limit, waiting 1.");
    CHECK_CONTAINS(buf, "(quota: 1 request per 1.5s)");
    CHECK(strstr(buf, MOCK_TOKEN) == NULL);

    /* The hint names a field enjo_options has, and setting it is enough. */
    enjo_options_init(&opts);
    opts.base_url = "http://enjo.invalid";
    opts.token = MOCK_TOKEN;
    enjo_error *err = NULL;
    client = NULL;
    CHECK_STATUS(enjo_client_new(&opts, &client, &err), ENJO_ERR_INVALID_ARGUMENT);
    CHECK_CONTAINS(enjo_error_message(err), "set options.allow_insecure_http explicitly");
    enjo_error_free(err);
    opts.allow_insecure_http = true;
    CHECK_STATUS(enjo_client_new(&opts, &client, NULL), ENJO_OK);
    enjo_client_free(client);
}

static void test_interrupt_gives_up_a_rate_limit_wait(void) {
    /* One request per minute and no bound on the wait: the second call would wait ~60 s. */
    mock_server own;
    CHECK(mock_start(&own, "off") == 0);
    enjo_quota quotas[] = {{1, 60.0}};
    enjo_options opts;
    enjo_options_init(&opts);
    opts.base_url = own.base_url;
    opts.token = MOCK_TOKEN;
    opts.rate_limit_quotas = quotas;
    opts.rate_limit_quota_count = 1;
    opts.max_retries = 0;
    enjo_client *client = NULL;
    CHECK_STATUS(enjo_client_new(&opts, &client, NULL), ENJO_OK);
    enjo_response *resp = NULL;
    CHECK_STATUS(enjo_send_message(client, "echo-bot", "first", NULL, &resp, NULL), ENJO_OK);
    enjo_response_free(resp);
    resp = NULL;
    enjo_send_options so;
    struct interrupt_probe probe;
    interruptible(&so, &probe, 2);
    const char *text = unique("waiting-for-the-limiter");
    enjo_error *err = NULL;
    CHECK_STATUS(enjo_send_message_with(client, "echo-bot", text, &so, &resp, &err),
                 ENJO_ERR_INTERRUPTED);
    CHECK(probe.calls == 2);
    CHECK(resp == NULL);
    CHECK(requests_with(&own, text) == 0); /* still in the limiter's line: nothing was sent */
    enjo_error_free(err);
    enjo_client_free(client);
    mock_stop(&own);
}

static void test_interrupt_a_conversation(void) {
    enjo_client *client = default_client();
    enjo_conversation *conv = NULL;
    CHECK_STATUS(enjo_conversation_new(client, "support-bot", NULL, &conv, NULL), ENJO_OK);
    enjo_response *resp = NULL;
    /* NULL options: as enjo_conversation_send. */
    CHECK_STATUS(enjo_conversation_send_with(conv, "My VPN drops", NULL, &resp, NULL), ENJO_OK);
    char *id = enjo_conversation_id(conv);
    CHECK(id != NULL);
    enjo_response_free(resp);

    /* Stopped once the server holds the request (so that its delay fault is used up). */
    CHECK(mock_fault(&g_mock, "support-bot", "delay=20000", 1) == 0);
    enjo_send_options so;
    struct interrupt_probe probe;
    interruptible(&so, &probe, 3);
    const char *text = unique("still-there");
    probe.mock = &g_mock;
    probe.arrived = text;
    resp = NULL;
    enjo_error *err = NULL;
    CHECK_STATUS(enjo_conversation_send_with(conv, text, &so, &resp, &err),
                 ENJO_ERR_INTERRUPTED);
    CHECK(probe.calls >= 3 && !probe.on_another_thread);
    CHECK(resp == NULL);
    CHECK(requests_with(&g_mock, text) == 1);
    enjo_error_free(err);
    /* The conversation keeps its id and goes on, with the per-call overrides. */
    char *after = enjo_conversation_id(conv);
    if (id) CHECK_STR(after, id);
    interruptible(&so, &probe, 0);
    so.max_retries = 1; /* the client has none: this retry is the override's */
    CHECK(mock_fault(&g_mock, "support-bot", "429;retry-after-ms=1", 1) == 0);
    resp = NULL;
    CHECK_STATUS(enjo_conversation_send_with(conv, "hello again", &so, &resp, NULL), ENJO_OK);
    if (id) CHECK_STR(enjo_response_conversation_id(resp), id);
    enjo_response_free(resp);

    /* A conversation sends its own id: one in the options is refused. */
    enjo_send_options_init(&so);
    so.conversation_id = "conv-elsewhere";
    err = NULL;
    resp = NULL;
    CHECK_STATUS(enjo_conversation_send_with(conv, "x", &so, &resp, &err),
                 ENJO_ERR_INVALID_ARGUMENT);
    CHECK_CONTAINS(enjo_error_message(err), "conversation_id");
    enjo_error_free(err);
    err = NULL;
    CHECK_STATUS(enjo_conversation_send_with(NULL, "x", NULL, &resp, &err),
                 ENJO_ERR_INVALID_ARGUMENT);
    enjo_error_free(err);
    err = NULL;
    CHECK_STATUS(enjo_conversation_send_with(conv, "x", NULL, NULL, &err),
                 ENJO_ERR_INVALID_ARGUMENT);
    CHECK_CONTAINS(enjo_error_message(err), "response is NULL");
    enjo_error_free(err);
    enjo_string_free(id);
    enjo_string_free(after);
    enjo_conversation_free(conv);
    enjo_client_free(client);
}

/* enjo_send_options as enjo.h of libenjo 0.1.0 declared it (version 1, no interrupt fields). */
struct send_options_v1 {
    uint32_t version;
    const char *conversation_id;
    double timeout_secs;
    int32_t max_retries;
    int32_t retry_policy;
};

static void test_send_options_version_1_still_accepted(void) {
    enjo_client *client = default_client(); /* no retries */
    /* A heap block of exactly the old size: ASan and valgrind catch any read past it. */
    struct send_options_v1 *old = malloc(sizeof *old);
    CHECK(old != NULL);
    if (!old) return;
    *old = (struct send_options_v1){1, NULL, 0.0, 1, -1};
    CHECK(mock_fault(&g_mock, "echo-bot", "429;retry-after-ms=1", 1) == 0);
    enjo_response *resp = NULL;
    enjo_error *err = NULL;
    CHECK_STATUS(enjo_send_message_with(client, "echo-bot", "old layout",
                                        (const enjo_send_options *)(const void *)old, &resp,
                                        &err),
                 ENJO_OK); /* the per-call retry was honoured */
    CHECK_STR(enjo_response_answers(resp), "old layout");
    enjo_response_free(resp);
    enjo_error_free(err);
    /* An unknown version is refused. */
    old->version = 4;
    err = NULL;
    resp = NULL;
    CHECK_STATUS(enjo_send_message_with(client, "echo-bot", "x",
                                        (const enjo_send_options *)(const void *)old, &resp,
                                        &err),
                 ENJO_ERR_INVALID_ARGUMENT);
    CHECK_CONTAINS(enjo_error_message(err), "send_options.version is 4");
    enjo_error_free(err);
    free(old);
    enjo_client_free(client);
}

/* ---------------------------------------------------------------- rate limiting */

static void test_rate_limit_custom_quotas_avoid_429(void) {
    /* The mock enforces 5/200ms and 10/1s; a client with the same quotas never hits them. */
    enjo_quota quotas[] = {{5, 0.2}, {10, 1.0}};
    enjo_options opts;
    enjo_options_init(&opts);
    opts.base_url = g_limited.base_url;
    opts.token = MOCK_TOKEN;
    opts.rate_limit_quotas = quotas;
    opts.rate_limit_quota_count = 2;
    opts.max_retries = 0;
    enjo_client *client = NULL;
    CHECK_STATUS(enjo_client_new(&opts, &client, NULL), ENJO_OK);
    int ok = 0;
    for (int i = 0; i < 14; i++) {
        enjo_response *resp = NULL;
        enjo_error *err = NULL;
        enjo_status st = enjo_send_message(client, "echo-bot", "limited", NULL, &resp, &err);
        if (st == ENJO_OK) ok++;
        else fprintf(stderr, "    %s\n", enjo_error_display(err));
        enjo_response_free(resp);
        enjo_error_free(err);
    }
    CHECK(ok == 14);
    enjo_client_free(client);
}

static void test_rate_limit_server_429_without_limiter(void) {
    /* Limiter off and no retries: bursting past the mock's limits gets a real 429. */
    enjo_client *client = client_for(&g_limited, NULL);
    int limited = 0;
    for (int i = 0; i < 200 && !limited; i++) {
        enjo_response *resp = NULL;
        enjo_error *err = NULL;
        enjo_status st = enjo_send_message(client, "echo-bot", "burst", NULL, &resp, &err);
        if (st == ENJO_ERR_RATE_LIMITED) {
            limited = 1;
            CHECK(enjo_error_http_status(err) == 429);
            CHECK(!isnan(enjo_error_retry_after(err)));
            CHECK_CONTAINS(enjo_error_code(err), "rate_limit");
        } else {
            CHECK_STATUS(st, ENJO_OK);
        }
        enjo_response_free(resp);
        enjo_error_free(err);
    }
    CHECK(limited);
    enjo_client_free(client);
}

static void test_rate_limit_local_bound(void) {
    /* One request per minute, and no waiting allowed: the second call fails locally. */
    enjo_quota quotas[] = {{1, 60.0}};
    enjo_options opts;
    enjo_options_init(&opts);
    /* Its own mock, so that the limiter's log for this origin holds only this test's requests
     * (the log is shared by every client of the process that talks to the same origin). */
    mock_server own;
    CHECK(mock_start(&own, "off") == 0);
    opts.base_url = own.base_url;
    opts.token = MOCK_TOKEN;
    opts.rate_limit_quotas = quotas;
    opts.rate_limit_quota_count = 1;
    opts.rate_limit_max_wait_secs = 0.0;
    opts.max_retries = 0;
    enjo_client *client = NULL;
    CHECK_STATUS(enjo_client_new(&opts, &client, NULL), ENJO_OK);
    enjo_response *resp = NULL;
    CHECK_STATUS(enjo_send_message(client, "echo-bot", "first", NULL, &resp, NULL), ENJO_OK);
    enjo_response_free(resp);
    const char *text = unique("second");
    enjo_error *err = send_expect(client, "echo-bot", text, ENJO_ERR_RATE_LIMITED);
    CHECK(enjo_error_http_status(err) == 0);
    CHECK(!enjo_error_may_have_been_sent(err));
    CHECK(enjo_error_retry_after(err) > 0.0);
    CHECK(requests_with(&own, text) == 0);
    enjo_error_free(err);
    enjo_client_free(client);
    mock_stop(&own);
}

/* ---------------------------------------------------------------- threads and fork */

#define THREADS 8
#define PER_THREAD 10

struct thread_arg {
    enjo_client *client;
    int index;
    int ok;
};

static void *thread_main(void *p) {
    struct thread_arg *arg = p;
    for (int i = 0; i < PER_THREAD; i++) {
        char text[64];
        snprintf(text, sizeof text, "thread %d message %d", arg->index, i);
        enjo_response *resp = NULL;
        enjo_error *err = NULL;
        enjo_status st = enjo_send_message(arg->client, "echo-bot", text, NULL, &resp, &err);
        if (st == ENJO_OK && enjo_response_answers(resp) &&
            strcmp(enjo_response_answers(resp), text) == 0)
            arg->ok++;
        enjo_response_free(resp);
        enjo_error_free(err);
    }
    return NULL;
}

static void test_threads_share_one_client(void) {
    enjo_client *client = default_client();
    pthread_t threads[THREADS];
    struct thread_arg args[THREADS];
    for (int i = 0; i < THREADS; i++) {
        args[i] = (struct thread_arg){client, i, 0};
        CHECK(pthread_create(&threads[i], NULL, thread_main, &args[i]) == 0);
    }
    int total = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(threads[i], NULL);
        total += args[i].ok;
    }
    CHECK(total == THREADS * PER_THREAD);
    enjo_client_free(client);
}

static void test_client_survives_fork(void) {
    enjo_client *client = default_client();
    enjo_response *resp = NULL;
    CHECK_STATUS(enjo_send_message(client, "echo-bot", "before fork", NULL, &resp, NULL), ENJO_OK);
    enjo_response_free(resp);
    /* The child reports through a pipe, not its exit status: under valgrind a child's exit
     * status carries the leak check of a forked process, whose copies of the parent's I/O
     * threads are leaked on purpose (see README, "fork"). */
    int verdict[2];
    CHECK(pipe(verdict) == 0);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        close(verdict[0]);
        enjo_response *child = NULL;
        enjo_status st = enjo_send_message(client, "echo-bot", "in the child", NULL, &child, NULL);
        char good = st == ENJO_OK && enjo_response_answers(child) &&
                    strcmp(enjo_response_answers(child), "in the child") == 0;
        enjo_response_free(child);
        enjo_client_free(client);
        if (write(verdict[1], &good, 1) != 1) _exit(2);
        _exit(0);
    }
    close(verdict[1]);
    CHECK(pid > 0);
    char good = 0;
    CHECK(read(verdict[0], &good, 1) == 1);
    close(verdict[0]);
    CHECK(good == 1);
    if (pid > 0) waitpid(pid, NULL, 0);
    resp = NULL;
    CHECK_STATUS(enjo_send_message(client, "echo-bot", "after fork", NULL, &resp, NULL), ENJO_OK);
    CHECK_STR(enjo_response_answers(resp), "after fork");
    enjo_response_free(resp);
    enjo_client_free(client);
}

/* ---------------------------------------------------------------- issue 15: parity */

/* enjo_options as enjo.h of libenjo 0.1.0 declared it (version 1, no deadline/naming). */
struct options_v1 {
    uint32_t version;
    const char *token;
    const char *base_url;
    double timeout_secs;
    double connect_timeout_secs;
    uint32_t max_retries;
    int32_t retry_policy;
    bool rate_limit;
    const enjo_quota *rate_limit_quotas;
    size_t rate_limit_quota_count;
    double rate_limit_max_wait_secs;
    const char *user_agent;
    const char *proxy;
    const char *root_certificate_pem;
    bool allow_insecure_http;
    size_t max_response_bytes;
};

static void test_options_version_1_still_accepted(void) {
    CHECK(ENJO_OPTIONS_VERSION == 2);
    /* A heap block of exactly the old size: ASan and valgrind catch any read past it. */
    struct options_v1 *old = malloc(sizeof *old);
    CHECK(old != NULL);
    if (!old) return;
    *old = (struct options_v1){1,    MOCK_TOKEN, g_mock.base_url, 30.0, 10.0, 0, 0, false, NULL,
                               0,    -1.0,       "c-v1/1.0",      NULL, NULL, false, 0};
    enjo_client *client = NULL;
    enjo_error *err = NULL;
    CHECK_STATUS(enjo_client_new((const enjo_options *)(const void *)old, &client, &err), ENJO_OK);
    enjo_error_free(err);
    enjo_response *resp = NULL;
    const char *text = unique("v1-options");
    CHECK_STATUS(enjo_send_message(client, "echo-bot", text, NULL, &resp, NULL), ENJO_OK);
    CHECK_STR(enjo_response_answers(resp), text);
    CHECK(logged_request_has(&g_mock, "echo-bot", text, "c-v1/1.0"));
    enjo_response_free(resp);
    enjo_client_free(client);
    /* The old struct's values are still checked. */
    old->timeout_secs = -1;
    err = NULL;
    client = NULL;
    CHECK_STATUS(enjo_client_new((const enjo_options *)(const void *)old, &client, &err),
                 ENJO_ERR_INVALID_ARGUMENT);
    CHECK_CONTAINS(enjo_error_message(err), "options.timeout_secs");
    enjo_error_free(err);
    old->timeout_secs = 30.0;
    old->version = 3;
    err = NULL;
    CHECK_STATUS(enjo_client_new((const enjo_options *)(const void *)old, &client, &err),
                 ENJO_ERR_INVALID_ARGUMENT);
    CHECK_CONTAINS(enjo_error_message(err), "options.version is 3");
    enjo_error_free(err);
    free(old);
}

static void deadline_300ms(enjo_options *opts) { opts->deadline_secs = 0.3; }

static void test_client_deadline(void) {
    enjo_options opts;
    enjo_options_init(&opts);
    CHECK(opts.deadline_secs == 0.0); /* no bound by default */
    /* The reply would come after 20 s; the client's 30 s timeout would wait for it, the
     * deadline does not. */
    enjo_client *client = client_for(&g_mock, deadline_300ms);
    CHECK(mock_fault(&g_mock, "faq-bot", "delay=20000", 1) == 0);
    enjo_error *err = send_expect(client, "faq-bot", unique("deadline"), ENJO_ERR_TIMEOUT);
    CHECK_CONTAINS(enjo_error_message(err), "deadline");
    enjo_error_free(err);
    enjo_client_free(client);

    base_options(&opts);
    opts.deadline_secs = -1.0;
    expect_bad_options(&opts, "options.deadline_secs");
}

static void store_down(enjo_options *opts) {
    opts->rate_limit = true; /* the store holds the limiter's log: no limiter, no store */
    opts->rate_limit_store = "redis://127.0.0.1:1/0";
}
static void store_down_fallback(enjo_options *opts) {
    store_down(opts);
    opts->rate_limit_store_fallback = true;
}
static char g_store_spec[512];
static void store_file(enjo_options *opts) {
    static const enjo_quota two_per_10min[] = {{2, 600.0}};
    opts->rate_limit = true;
    opts->rate_limit_quotas = two_per_10min;
    opts->rate_limit_quota_count = 1;
    opts->rate_limit_max_wait_secs = 0.0;
    opts->rate_limit_store = g_store_spec;
}

static void test_rate_limit_store(void) {
    enjo_options opts;
    enjo_options_init(&opts);
    CHECK(opts.rate_limit_store == NULL && opts.rate_limit_key == NULL &&
          !opts.rate_limit_store_fallback);
    /* An unreachable store: a typed error before anything is sent... */
    const char *text = unique("store-down");
    enjo_client *client = client_for(&g_mock, store_down);
    enjo_error *err = send_expect(client, "faq-bot", text, ENJO_ERR_RATE_LIMIT_STORE);
    CHECK_CONTAINS(enjo_error_message(err), "127.0.0.1:1");
    CHECK(!enjo_error_may_have_been_sent(err));
    enjo_error_free(err);
    enjo_client_free(client);
    CHECK(requests_with(&g_mock, text) == 0);
    /* ...or, when asked, this process's own limiter. */
    client = client_for(&g_mock, store_down_fallback);
    enjo_response *resp = NULL;
    CHECK_STATUS(enjo_send_message(client, "faq-bot", text, NULL, &resp, NULL), ENJO_OK);
    enjo_response_free(resp);
    enjo_client_free(client);
    CHECK(requests_with(&g_mock, text) == 1);

    /* A file store: two clients of one state file share one quota of 2. */
    char dir[] = "/tmp/enjo-c-store-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    snprintf(g_store_spec, sizeof g_store_spec, "file:%s/limiter.state", dir);
    enjo_client *a = client_for(&g_mock, store_file);
    enjo_client *b = client_for(&g_mock, store_file);
    const char *shared = unique("store-file");
    for (int i = 0; i < 2; i++) {
        resp = NULL;
        CHECK_STATUS(enjo_send_message(i == 0 ? a : b, "faq-bot", shared, NULL, &resp, NULL),
                     ENJO_OK);
        enjo_response_free(resp);
    }
    err = send_expect(a, "faq-bot", shared, ENJO_ERR_RATE_LIMITED);
    enjo_error_free(err);
    CHECK(requests_with(&g_mock, shared) == 2);
    enjo_client_free(a);
    enjo_client_free(b);
    char state[600];
    snprintf(state, sizeof state, "%s/limiter.state", dir);
    CHECK(access(state, F_OK) == 0);
    unlink(state);
    char tmp[620];
    snprintf(tmp, sizeof tmp, "%s.tmp", state);
    unlink(tmp);
    rmdir(dir);

    /* A bad spec names the field and never repeats a password. */
    base_options(&opts);
    opts.rate_limit_store = "redis://:hunter2@";
    expect_bad_options(&opts, "options.rate_limit_store");
}

static void test_send_options_deadline(void) {
    enjo_client *client = default_client(); /* 30 s timeout, no deadline */
    CHECK(mock_fault(&g_mock, "faq-bot", "delay=20000", 1) == 0);
    enjo_send_options so;
    enjo_send_options_init(&so);
    CHECK(so.deadline_secs == 0.0 && so.headers == NULL && so.header_count == 0 &&
          so.option_names == ENJO_OPTION_NAMES_C);
    so.deadline_secs = 0.3;
    enjo_response *resp = NULL;
    enjo_error *err = NULL;
    CHECK_STATUS(enjo_send_message_with(client, "faq-bot", unique("call-deadline"), &so, &resp,
                                        &err),
                 ENJO_ERR_TIMEOUT);
    CHECK(resp == NULL);
    CHECK_CONTAINS(enjo_error_message(err), "deadline");
    enjo_error_free(err);
    so.deadline_secs = NAN;
    err = NULL;
    CHECK_STATUS(enjo_send_message_with(client, "faq-bot", "x", &so, &resp, &err),
                 ENJO_ERR_INVALID_ARGUMENT);
    CHECK_CONTAINS(enjo_error_message(err), "send_options.deadline_secs");
    enjo_error_free(err);
    enjo_client_free(client);
}

static void test_send_options_headers(void) {
    enjo_client *client = default_client();
    enjo_header headers[] = {{"X-Tenant", "acme"}, {"X-Trace", "t-1"}};
    enjo_send_options so;
    enjo_send_options_init(&so);
    so.headers = headers;
    so.header_count = 2;
    enjo_response *resp = NULL;
    const char *text = unique("headers");
    CHECK_STATUS(enjo_send_message_with(client, "echo-bot", text, &so, &resp, NULL), ENJO_OK);
    CHECK(logged_request_has(&g_mock, "echo-bot", text, "\"x-tenant\":\"acme\""));
    CHECK(logged_request_has(&g_mock, "echo-bot", text, "\"x-trace\":\"t-1\""));
    enjo_response_free(resp);

    /* In a conversation too. */
    enjo_conversation *conv = NULL;
    CHECK_STATUS(enjo_conversation_new(client, "echo-bot", NULL, &conv, NULL), ENJO_OK);
    text = unique("conv-headers");
    resp = NULL;
    CHECK_STATUS(enjo_conversation_send_with(conv, text, &so, &resp, NULL), ENJO_OK);
    CHECK(logged_request_has(&g_mock, "echo-bot", text, "\"x-tenant\":\"acme\""));
    enjo_response_free(resp);
    enjo_conversation_free(conv);

    /* Refused before sending: a reserved name (core's rule), a NULL name, a NULL array with a
     * count. */
    struct {
        enjo_header header;
        size_t count;
        int null_array;
        const char *part;
    } bad[] = {
        {{"Authorization", "Bearer x"}, 1, 0, "Authorization"},
        {{NULL, "v"}, 1, 0, "send_options.headers[0].name is NULL"},
        {{"X-Ok", NULL}, 1, 0, "send_options.headers[0].value is NULL"},
        {{"X-Ok", "v"}, 1, 1, "send_options.headers is NULL"},
        {{"X-Ok", "v"}, ENJO_MAX_HEADERS + 1, 1, "header_count"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        enjo_send_options_init(&so);
        so.headers = bad[i].null_array ? NULL : &bad[i].header;
        so.header_count = bad[i].count;
        if (bad[i].count > ENJO_MAX_HEADERS) so.headers = headers; /* refused before reading */
        enjo_error *err = NULL;
        text = unique("bad-header");
        CHECK_STATUS(enjo_send_message_with(client, "echo-bot", text, &so, &resp, &err),
                     ENJO_ERR_INVALID_ARGUMENT);
        CHECK_CONTAINS(enjo_error_message(err), bad[i].part);
        CHECK(!enjo_error_may_have_been_sent(err));
        CHECK(requests_with(&g_mock, text) == 0);
        enjo_error_free(err);
    }
    enjo_client_free(client);
}

/* enjo_send_options as enjo.h declared it before headers and deadline (version 2). */
struct send_options_v2 {
    uint32_t version;
    const char *conversation_id;
    double timeout_secs;
    int32_t max_retries;
    int32_t retry_policy;
    enjo_interrupt_check interrupt_check;
    void *interrupt_user_data;
};

static void test_send_options_version_2_still_accepted(void) {
    enjo_client *client = default_client(); /* no retries */
    struct send_options_v2 *old = malloc(sizeof *old);
    CHECK(old != NULL);
    if (!old) return;
    *old = (struct send_options_v2){2, NULL, 0.0, 1, -1, NULL, NULL};
    CHECK(mock_fault(&g_mock, "echo-bot", "429;retry-after-ms=1", 1) == 0);
    enjo_response *resp = NULL;
    CHECK_STATUS(enjo_send_message_with(client, "echo-bot", "v2 layout",
                                        (const enjo_send_options *)(const void *)old, &resp,
                                        NULL),
                 ENJO_OK); /* the per-call retry was honoured */
    CHECK_STR(enjo_response_answers(resp), "v2 layout");
    enjo_response_free(resp);
    free(old);
    enjo_client_free(client);
}

static void plain_names(enjo_options *opts) { opts->option_names = ENJO_OPTION_NAMES_PLAIN; }

static void test_option_names_plain(void) {
    /* For a binding built on libenjo (R): messages name the options without prefix/suffix. */
    enjo_options opts;
    base_options(&opts);
    opts.option_names = ENJO_OPTION_NAMES_PLAIN;
    opts.rate_limit_max_wait_secs = 1e12;
    enjo_error *err = NULL;
    CHECK_STATUS(try_client(&opts, &err), ENJO_ERR_INVALID_ARGUMENT);
    CHECK(strncmp(enjo_error_message(err), "rate_limit_max_wait must be", 27) == 0);
    enjo_error_free(err);
    enjo_quota zero[] = {{5, 0.0}};
    base_options(&opts);
    opts.option_names = ENJO_OPTION_NAMES_PLAIN;
    opts.rate_limit_quotas = zero;
    opts.rate_limit_quota_count = 1;
    err = NULL;
    CHECK_STATUS(try_client(&opts, &err), ENJO_ERR_INVALID_ARGUMENT);
    CHECK(strncmp(enjo_error_message(err), "rate_limit[0].window must be", 28) == 0);
    enjo_error_free(err);
    base_options(&opts);
    opts.option_names = 7;
    expect_bad_options(&opts, "options.option_names is 7");

    enjo_client *client = client_for(&g_mock, plain_names);
    enjo_send_options so;
    enjo_send_options_init(&so);
    so.option_names = ENJO_OPTION_NAMES_PLAIN;
    so.timeout_secs = -1;
    enjo_response *resp = NULL;
    err = NULL;
    CHECK_STATUS(enjo_send_message_with(client, "echo-bot", "x", &so, &resp, &err),
                 ENJO_ERR_INVALID_ARGUMENT);
    CHECK(strncmp(enjo_error_message(err), "timeout must be", 15) == 0);
    enjo_error_free(err);
    enjo_client_free(client);
}

static void r_language(enjo_options *opts) {
    opts->language = "r";
    opts->language_version = "4.2.2";
    opts->user_agent = "my-app/3";
}

static void test_user_agent_language(void) {
    /* Default: libenjo announces itself as c/<libenjo version>. */
    char c_token[64];
    snprintf(c_token, sizeof c_token, "c/%s", enjo_version());
    enjo_client *client = default_client();
    enjo_response *resp = NULL;
    const char *text = unique("ua-c");
    CHECK_STATUS(enjo_send_message(client, "echo-bot", text, NULL, &resp, NULL), ENJO_OK);
    CHECK(logged_request_has(&g_mock, "echo-bot", text, c_token));
    enjo_response_free(resp);
    enjo_client_free(client);
    /* A binding built on libenjo gives its own language; the user's text comes last. */
    client = client_for(&g_mock, r_language);
    text = unique("ua-r");
    resp = NULL;
    CHECK_STATUS(enjo_send_message(client, "echo-bot", text, NULL, &resp, NULL), ENJO_OK);
    CHECK(logged_request_has(&g_mock, "echo-bot", text, " r/4.2.2 my-app/3"));
    CHECK(!logged_request_has(&g_mock, "echo-bot", text, c_token));
    enjo_response_free(resp);
    enjo_client_free(client);
    enjo_options opts;
    base_options(&opts);
    opts.language = "r";
    expect_bad_options(&opts, "options.language_version is NULL");
}

static void test_client_close(void) {
    enjo_client *client = default_client();
    enjo_conversation *conv = NULL;
    CHECK_STATUS(enjo_conversation_new(client, "echo-bot", NULL, &conv, NULL), ENJO_OK);
    CHECK(!enjo_client_is_closed(client));
    enjo_client_close(client);
    enjo_client_close(client); /* twice is fine */
    enjo_client_close(NULL);
    CHECK(enjo_client_is_closed(client));
    CHECK(!enjo_client_is_closed(NULL));
    const char *text = unique("after-close");
    enjo_error *err = send_expect(client, "echo-bot", text, ENJO_ERR_INVALID_ARGUMENT);
    CHECK_CONTAINS(enjo_error_message(err), "closed");
    CHECK(!enjo_error_may_have_been_sent(err));
    enjo_error_free(err);
    /* The conversation sees it too, even once the client is freed. */
    enjo_client_free(client);
    enjo_response *resp = NULL;
    err = NULL;
    CHECK_STATUS(enjo_conversation_send(conv, text, &resp, &err), ENJO_ERR_INVALID_ARGUMENT);
    CHECK(resp == NULL);
    CHECK_CONTAINS(enjo_error_message(err), "closed");
    enjo_error_free(err);
    CHECK(requests_with(&g_mock, text) == 0); /* nothing was sent */
    enjo_conversation_free(conv);
}

static void test_response_server_request_id(void) {
    enjo_client *client = default_client();
    enjo_response *resp = NULL;
    CHECK_STATUS(enjo_send_message(client, "echo-bot", unique("srv-id"), NULL, &resp, NULL),
                 ENJO_OK);
    /* The mock echoes the call's X-Request-Id as its own x-request-id. */
    CHECK(enjo_response_server_request_id(resp) != NULL);
    CHECK(enjo_response_request_id(resp) != NULL);
    if (enjo_response_server_request_id(resp) && enjo_response_request_id(resp))
        CHECK_STR(enjo_response_server_request_id(resp), enjo_response_request_id(resp));
    CHECK(enjo_response_server_request_id(NULL) == NULL);
    enjo_response_free(resp);
    enjo_client_free(client);
}

/* ---------------------------------------------------------------- main */

int main(int argc, char **argv) {
    const char *filter = argc > 1 ? argv[1] : NULL;
    if (mock_start(&g_mock, "off") != 0 || mock_start(&g_limited, "5/200ms,10/1s") != 0) {
        fprintf(stderr, "could not start enjo-mock\n");
        printf("0 passed, 1 failed\n");
        return 1;
    }
    run("version_and_status_names", test_version_and_status_names, filter);
    run("null_objects_are_harmless", test_null_objects_are_harmless, filter);
    run("options_defaults", test_options_defaults, filter);
    run("options_are_validated", test_options_are_validated, filter);
    run("token_from_environment_and_never_shown", test_token_from_environment_and_never_shown,
        filter);
    run("user_agent", test_user_agent, filter);
    run("send_message_success", test_send_message_success, filter);
    run("sources_are_read", test_sources_are_read, filter);
    run("echo_utf8_round_trip", test_echo_utf8_round_trip, filter);
    run("conversation_id_is_threaded", test_conversation_id_is_threaded, filter);
    run("body_received_is_the_vendors_and_a_follow_up_threads",
        test_body_received_is_the_vendors_and_a_follow_up_threads, filter);
    run("conversation_handle", test_conversation_handle, filter);
    run("ticket_salesforce", test_ticket_salesforce, filter);
    run("ticket_jira", test_ticket_jira, filter);
    run("ticket_servicenow", test_ticket_servicenow, filter);
    run("no_ticket_without_ticketing", test_no_ticket_without_ticketing, filter);
    run("invalid_arguments_are_rejected", test_invalid_arguments_are_rejected, filter);
    run("error_invalid_request", test_error_invalid_request, filter);
    run("error_not_found", test_error_not_found, filter);
    run("error_rate_limited_from_server", test_error_rate_limited_from_server, filter);
    run("error_server", test_error_server, filter);
    run("error_api_other_status", test_error_api_other_status, filter);
    run("error_timeout", test_error_timeout, filter);
    run("error_connection", test_error_connection, filter);
    run("error_decode", test_error_decode, filter);
    run("fault_500_after_ticket", test_fault_500_after_ticket, filter);
    run("fault_status_message_shape", test_fault_status_message_shape, filter);
    run("fault_429_is_retried", test_fault_429_is_retried, filter);
    run("fault_html_502", test_fault_html_502, filter);
    run("fault_empty_body", test_fault_empty_body, filter);
    run("fault_delay_within_timeout", test_fault_delay_within_timeout, filter);
    run("fault_reset", test_fault_reset, filter);
    run("fault_success_false", test_fault_success_false, filter);
    run("fault_missing_fields", test_fault_missing_fields, filter);
    run("fault_extra_fields", test_fault_extra_fields, filter);
    run("fault_huge_body", test_fault_huge_body, filter);
    run("send_options_override", test_send_options_override, filter);
    run("interrupt_stops_a_slow_call", test_interrupt_stops_a_slow_call, filter);
    run("interrupt_gives_up_a_rate_limit_wait", test_interrupt_gives_up_a_rate_limit_wait, filter);
    run("env_log_announces_a_long_wait", test_env_log_announces_a_long_wait, filter);
    run("interrupt_a_conversation", test_interrupt_a_conversation, filter);
    run("send_options_version_1_still_accepted", test_send_options_version_1_still_accepted,
        filter);
    run("options_version_1_still_accepted", test_options_version_1_still_accepted, filter);
    run("client_deadline", test_client_deadline, filter);
    run("rate_limit_store", test_rate_limit_store, filter);
    run("send_options_deadline", test_send_options_deadline, filter);
    run("send_options_headers", test_send_options_headers, filter);
    run("send_options_version_2_still_accepted", test_send_options_version_2_still_accepted,
        filter);
    run("option_names_plain", test_option_names_plain, filter);
    run("user_agent_language", test_user_agent_language, filter);
    run("client_close", test_client_close, filter);
    run("response_server_request_id", test_response_server_request_id, filter);
    run("rate_limit_custom_quotas_avoid_429", test_rate_limit_custom_quotas_avoid_429, filter);
    run("rate_limit_server_429_without_limiter", test_rate_limit_server_429_without_limiter,
        filter);
    run("rate_limit_local_bound", test_rate_limit_local_bound, filter);
    run("threads_share_one_client", test_threads_share_one_client, filter);
    run("client_survives_fork", test_client_survives_fork, filter);
    mock_stop(&g_mock);
    mock_stop(&g_limited);
    printf("%d passed, %d failed\n", g_passed, g_failed);
    return g_failed == 0 ? 0 : 1;
}
