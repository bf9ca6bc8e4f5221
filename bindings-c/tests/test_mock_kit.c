/*
 * The testing kit for C (libenjo built with the cargo feature `mock`, this file with
 * -DENJO_MOCK): the mock server inside libenjo, started in-process, no other process needed.
 * Exits 0 when every check passes; prints the failed check otherwise.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enjo.h"

static int failures = 0;
#define CHECK(cond)                                                         \
    do {                                                                    \
        if (!(cond)) {                                                      \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            failures++;                                                     \
        }                                                                   \
    } while (0)

static enjo_client *client_for(const enjo_mock *mock) {
    enjo_options opts;
    enjo_options_init(&opts);
    opts.base_url = enjo_mock_url(mock);
    opts.token = enjo_mock_token(mock);
    opts.rate_limit = false;
    opts.max_retries = 0;
    enjo_client *client = NULL;
    if (enjo_client_new(&opts, &client, NULL) != ENJO_OK) return NULL;
    return client;
}

static void test_send_records_and_tickets(void) {
    enjo_mock *mock = NULL;
    enjo_error *error = NULL;
    CHECK(enjo_mock_start(NULL, NULL, &mock, &error) == ENJO_OK && error == NULL);
    if (mock == NULL) return;
    CHECK(strncmp(enjo_mock_url(mock), "http://127.0.0.1:", 17) == 0);
    CHECK(strcmp(enjo_mock_token(mock), "enjo-mock-token") == 0);
    enjo_client *client = client_for(mock);
    CHECK(client != NULL);

    enjo_response *response = NULL;
    CHECK(enjo_send_message(client, "echo-bot", "hello from C", NULL, &response, NULL) == ENJO_OK);
    CHECK(response && strcmp(enjo_response_answers(response), "hello from C") == 0);
    enjo_response_free(response);
    response = NULL;
    CHECK(enjo_send_message(client, "jira-bot", "CI is down, open a ticket", NULL, &response, NULL) == ENJO_OK);
    CHECK(response && enjo_response_has_ticket(response));
    enjo_response_free(response);

    char *requests = enjo_mock_requests_json(mock);
    CHECK(requests && strstr(requests, "\"text\":\"hello from C\"") != NULL);
    CHECK(requests && strstr(requests, "enjo-mock-token") == NULL);
    enjo_string_free(requests);
    char *tickets = enjo_mock_tickets_json(mock);
    CHECK(tickets && strstr(tickets, "\"platform\":\"jira\"") != NULL);
    enjo_string_free(tickets);

    /* A queued fault gives its typed status; an unknown spec is refused with a message. */
    CHECK(enjo_mock_add_fault(mock, "500", "echo-bot", 1, NULL) == ENJO_OK);
    response = NULL;
    CHECK(enjo_send_message(client, "echo-bot", "boom", NULL, &response, &error) == ENJO_ERR_SERVER);
    CHECK(response == NULL);
    enjo_error_free(error);
    error = NULL;
    CHECK(enjo_mock_add_fault(mock, "explode", NULL, 0, &error) == ENJO_ERR_INVALID_ARGUMENT);
    CHECK(error && strstr(enjo_error_message(error), "explode") != NULL);
    enjo_error_free(error);
    error = NULL;

    enjo_mock_reset(mock);
    requests = enjo_mock_requests_json(mock);
    CHECK(requests && strcmp(requests, "[]") == 0);
    enjo_string_free(requests);

    enjo_mock_stop(mock);
    /* Stopped: the next call cannot connect. */
    CHECK(enjo_send_message(client, "echo-bot", "after stop", NULL, &response, NULL) == ENJO_ERR_CONNECTION);
    enjo_client_free(client);
}

static void test_scaled_rate_limit(void) {
    enjo_mock *mock = NULL;
    CHECK(enjo_mock_start("2/1m", NULL, &mock, NULL) == ENJO_OK);
    if (mock == NULL) return;
    enjo_client *client = client_for(mock);
    enjo_response *response = NULL;
    CHECK(enjo_send_message(client, "echo-bot", "a", NULL, &response, NULL) == ENJO_OK);
    enjo_response_free(response);
    CHECK(enjo_send_message(client, "echo-bot", "b", NULL, &response, NULL) == ENJO_OK);
    enjo_response_free(response);
    response = NULL;
    CHECK(enjo_send_message(client, "echo-bot", "c", NULL, &response, NULL) == ENJO_ERR_RATE_LIMITED);
    enjo_client_free(client);
    enjo_mock_stop(mock);
}

static void test_bad_options(void) {
    enjo_mock *mock = (enjo_mock *)1;
    enjo_error *error = NULL;
    CHECK(enjo_mock_start("fast", NULL, &mock, &error) == ENJO_ERR_INVALID_ARGUMENT);
    CHECK(mock == NULL);
    CHECK(error && strstr(enjo_error_message(error), "rate limit") != NULL);
    enjo_error_free(error);
    error = NULL;
    CHECK(enjo_mock_start(NULL, "/nonexistent/bots.toml", &mock, &error) == ENJO_ERR_INVALID_ARGUMENT);
    CHECK(error && strstr(enjo_error_message(error), "print-config") != NULL);
    enjo_error_free(error);
    CHECK(enjo_mock_start(NULL, NULL, NULL, NULL) == ENJO_ERR_INVALID_ARGUMENT);
    CHECK(enjo_mock_url(NULL) == NULL && enjo_mock_requests_json(NULL) == NULL);
    enjo_mock_reset(NULL);
    enjo_mock_stop(NULL);
}

int main(void) {
    test_send_records_and_tickets();
    test_scaled_rate_limit();
    test_bad_options();
    if (failures) {
        fprintf(stderr, "test_mock_kit: %d check(s) failed\n", failures);
        return 1;
    }
    printf("test_mock_kit: all checks passed\n");
    return 0;
}
