/*
 * enjo_send_message vs what a C program would otherwise write: libcurl (one easy handle,
 * reused, so the connection is kept alive) doing the same POST, plus a JSON build of the
 * request and a JSON parse of the reply with jansson. Both talk to one release enjo-mock with
 * rate limits off, to the echo bot (the cheapest reply, so client overhead shows the most).
 *
 * Rounds alternate between the two clients in blocks, so drift on the machine hits both.
 * Prints the median (and p90) per call and the ratio enjo / libcurl.
 *
 *   bench [calls-per-client]     (default 2000)
 */
#define _GNU_SOURCE
#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "enjo.h"
#include "mock_server.h"
#include "curl_client.h"

#define BLOCK 100
#define WARMUP 200

static double now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double quantile(double *v, size_t n, double q) {
    qsort(v, n, sizeof *v, cmp_double);
    return v[(size_t)(q * (double)(n - 1))];
}

/* ------------------------------------------------------------------ enjo */

static int enjo_call(enjo_client *client, const char *text) {
    enjo_response *resp = NULL;
    enjo_status st = enjo_send_message(client, "echo-bot", text, NULL, &resp, NULL);
    int ok = st == ENJO_OK && enjo_response_answers(resp) != NULL &&
             strcmp(enjo_response_answers(resp), text) == 0;
    enjo_response_free(resp);
    return ok;
}

/* ------------------------------------------------------------------ libcurl + jansson */

static int curl_call(struct curl_client *c, const char *text) {
    /* ... and read the reply's fields, as enjo does. */
    json_t *root = curl_send_message(c, text);
    if (!root) return 0;
    json_t *data = json_object_get(root, "data");
    const char *answers = json_string_value(json_object_get(data, "answers"));
    const char *conversation = json_string_value(json_object_get(data, "conversationId"));
    size_t sources = json_array_size(json_object_get(data, "sources"));
    json_t *ticket = json_object_get(data, "ticketDetails");
    int ok = answers && strcmp(answers, text) == 0 && (conversation || !conversation) &&
             (sources < 1000000) && (ticket || !ticket);
    json_decref(root);
    return ok;
}

/* ------------------------------------------------------------------ main */

int main(int argc, char **argv) {
    size_t calls = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 2000;
    if (calls < BLOCK) calls = BLOCK;
    calls -= calls % BLOCK;
    mock_server mock;
    if (mock_start(&mock, "off") != 0) return 1;

    enjo_options opts;
    enjo_options_init(&opts);
    opts.base_url = mock.base_url;
    opts.token = MOCK_TOKEN;
    opts.rate_limit = false;
    opts.max_retries = 0;
    enjo_client *client = NULL;
    enjo_error *err = NULL;
    if (enjo_client_new(&opts, &client, &err) != ENJO_OK) {
        fprintf(stderr, "%s\n", enjo_error_display(err));
        return 1;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    struct curl_client curl;
    if (curl_client_init(&curl, mock.base_url, "echo-bot", MOCK_TOKEN) != 0) return 1;

    const char *text = "How do I reset my VPN password? Please answer briefly.";
    int failures = 0;
    for (int i = 0; i < WARMUP; i++) {
        failures += !enjo_call(client, text);
        failures += !curl_call(&curl, text);
    }
    double *t_enjo = malloc(calls * sizeof *t_enjo);
    double *t_curl = malloc(calls * sizeof *t_curl);
    if (!t_enjo || !t_curl) return 1;
    for (size_t block = 0; block < calls / BLOCK; block++) {
        /* Alternate which client goes first in each block. */
        for (int turn = 0; turn < 2; turn++) {
            int enjo_turn = (int)((block + (size_t)turn) % 2 == 0);
            for (size_t i = 0; i < BLOCK; i++) {
                size_t k = block * BLOCK + i;
                double start = now_us();
                int ok = enjo_turn ? enjo_call(client, text) : curl_call(&curl, text);
                double elapsed = now_us() - start;
                failures += !ok;
                if (enjo_turn) t_enjo[k] = elapsed;
                else t_curl[k] = elapsed;
            }
        }
    }
    double enjo_med = quantile(t_enjo, calls, 0.5), enjo_p90 = quantile(t_enjo, calls, 0.9);
    double curl_med = quantile(t_curl, calls, 0.5), curl_p90 = quantile(t_curl, calls, 0.9);
    printf("calls per client: %zu (after %d warm-up calls each), failures: %d\n", calls, WARMUP,
           failures);
    printf("enjo_send_message          median %8.1f us   p90 %8.1f us\n", enjo_med, enjo_p90);
    printf("libcurl + jansson          median %8.1f us   p90 %8.1f us\n", curl_med, curl_p90);
    printf("ratio enjo / libcurl (median): %.3f  (target <= 1.2)\n", enjo_med / curl_med);

    free(t_enjo);
    free(t_curl);
    curl_client_free(&curl);
    curl_global_cleanup();
    enjo_client_free(client);
    mock_stop(&mock);
    return failures == 0 ? 0 : 1;
}
