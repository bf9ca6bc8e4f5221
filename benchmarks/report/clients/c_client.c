/*
 * One C contender of `make bench-report`: `c_client KIND URL SEQ CONC WARMUP`.
 * KIND: enjo (enjo_send_message, one shared client) or curl (libcurl with a reused easy handle
 * per thread, the request built and the reply parsed with jansson: what a C program would write).
 * WARMUP calls, then SEQ sequential calls (each timed), then CONC calls with 64 in flight
 * (64 threads). Prints one JSON line: {"seq_us": [...], "conc_calls": N, "conc_s": seconds}.
 */
#define _GNU_SOURCE
#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "enjo.h"
#include "curl_client.h"

#define TOKEN "enjo-mock-token"
#define TEXT "Request for ticket generation"
#define IN_FLIGHT 64

static double now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static enjo_client *enjo;
static const char *base_url;
/* The bot every request goes to: report.py sets BENCH_BOT (`enjo mock` knows only its own bots). */
static const char *bot = "bench-bot";
static int use_enjo;

static int enjo_call(void) {
    enjo_response *resp = NULL;
    enjo_status st = enjo_send_message(enjo, bot, TEXT, NULL, &resp, NULL);
    int ok = st == ENJO_OK && enjo_response_answers(resp) != NULL;
    enjo_response_free(resp);
    return ok;
}

static int curl_call(struct curl_client *c) {
    json_t *root = curl_send_message(c, TEXT);
    if (!root) return 0;
    int ok = json_string_value(json_object_get(json_object_get(root, "data"), "answers")) != NULL;
    json_decref(root);
    return ok;
}

static atomic_long remaining;
static atomic_int failures;

static void *lane(void *arg) {
    (void)arg;
    struct curl_client c;
    if (!use_enjo && curl_client_init(&c, base_url, bot, TOKEN) != 0) {
        atomic_fetch_add(&failures, 1);
        return NULL;
    }
    while (atomic_fetch_sub(&remaining, 1) > 0) {
        int ok = use_enjo ? enjo_call() : curl_call(&c);
        if (!ok) atomic_fetch_add(&failures, 1);
    }
    if (!use_enjo) curl_client_free(&c);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 6) {
        fprintf(stderr, "usage: c_client enjo|curl URL SEQ CONC WARMUP\n");
        return 2;
    }
    use_enjo = strcmp(argv[1], "enjo") == 0;
    base_url = argv[2];
    const char *env_bot = getenv("BENCH_BOT");
    if (env_bot && *env_bot) bot = env_bot;
    long seq = atol(argv[3]), conc = atol(argv[4]), warmup = atol(argv[5]);
    struct curl_client main_curl;
    if (use_enjo) {
        enjo_options opts;
        enjo_options_init(&opts);
        opts.base_url = base_url;
        opts.token = TOKEN;
        opts.rate_limit = false;
        opts.max_retries = 0;
        enjo_error *err = NULL;
        if (enjo_client_new(&opts, &enjo, &err) != ENJO_OK) {
            fprintf(stderr, "%s\n", enjo_error_display(err));
            return 1;
        }
    } else {
        curl_global_init(CURL_GLOBAL_DEFAULT);
        if (curl_client_init(&main_curl, base_url, bot, TOKEN) != 0) return 1;
    }
    for (long i = 0; i < warmup; i++)
        if (!(use_enjo ? enjo_call() : curl_call(&main_curl))) return 1;
    double *lat = malloc((size_t)(seq > 0 ? seq : 1) * sizeof *lat);
    if (!lat) return 1;
    for (long i = 0; i < seq; i++) {
        double start = now_us();
        if (!(use_enjo ? enjo_call() : curl_call(&main_curl))) return 1;
        lat[i] = now_us() - start;
    }
    atomic_store(&remaining, conc);
    pthread_t threads[IN_FLIGHT];
    double start = now_us();
    for (int i = 0; i < IN_FLIGHT; i++) pthread_create(&threads[i], NULL, lane, NULL);
    for (int i = 0; i < IN_FLIGHT; i++) pthread_join(threads[i], NULL);
    double conc_s = (now_us() - start) / 1e6;
    if (atomic_load(&failures) > 0) {
        fprintf(stderr, "%d concurrent calls failed\n", atomic_load(&failures));
        return 1;
    }
    printf("{\"seq_us\": [");
    for (long i = 0; i < seq; i++) printf(i ? ",%.2f" : "%.2f", lat[i]);
    printf("], \"conc_calls\": %ld, \"conc_s\": %.6f}\n", conc, conc_s);
    free(lat);
    if (use_enjo) enjo_client_free(enjo);
    else {
        curl_client_free(&main_curl);
        curl_global_cleanup();
    }
    return 0;
}
