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
static int use_enjo;

static int enjo_call(void) {
    enjo_response *resp = NULL;
    enjo_status st = enjo_send_message(enjo, "bench-bot", TEXT, NULL, &resp, NULL);
    int ok = st == ENJO_OK && enjo_response_answers(resp) != NULL;
    enjo_response_free(resp);
    return ok;
}

struct buffer {
    char *data;
    size_t len, cap;
};

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata) {
    struct buffer *b = userdata;
    size_t n = size * nmemb;
    if (b->len + n + 1 > b->cap) {
        size_t cap = (b->len + n + 1) * 2;
        char *grown = realloc(b->data, cap);
        if (!grown) return 0;
        b->data = grown;
        b->cap = cap;
    }
    memcpy(b->data + b->len, ptr, n);
    b->len += n;
    b->data[b->len] = '\0';
    return n;
}

struct curl_client {
    CURL *easy;
    struct curl_slist *headers;
    char url[256];
    struct buffer body;
};

static int curl_client_init(struct curl_client *c) {
    memset(c, 0, sizeof *c);
    c->easy = curl_easy_init();
    if (!c->easy) return -1;
    snprintf(c->url, sizeof c->url, "%s/v1/bots/bench-bot/message", base_url);
    c->headers = curl_slist_append(c->headers, "Content-Type: application/json");
    c->headers = curl_slist_append(c->headers, "Authorization: Bearer " TOKEN);
    curl_easy_setopt(c->easy, CURLOPT_URL, c->url);
    curl_easy_setopt(c->easy, CURLOPT_HTTPHEADER, c->headers);
    curl_easy_setopt(c->easy, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c->easy, CURLOPT_WRITEDATA, &c->body);
    curl_easy_setopt(c->easy, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(c->easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c->easy, CURLOPT_TIMEOUT, 60L);
    return 0;
}

static void curl_client_free(struct curl_client *c) {
    curl_slist_free_all(c->headers);
    curl_easy_cleanup(c->easy);
    free(c->body.data);
}

static int curl_call(struct curl_client *c) {
    json_t *req = json_pack("{s:{s:s}}", "message", "text", TEXT);
    char *payload = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    c->body.len = 0;
    curl_easy_setopt(c->easy, CURLOPT_POSTFIELDS, payload);
    CURLcode rc = curl_easy_perform(c->easy);
    free(payload);
    long status = 0;
    curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &status);
    if (rc != CURLE_OK || status != 200) return 0;
    json_error_t jerr;
    json_t *root = json_loadb(c->body.data, c->body.len, 0, &jerr);
    if (!root) return 0;
    json_t *data = json_object_get(root, "data");
    int ok = json_is_true(json_object_get(root, "success")) &&
             json_string_value(json_object_get(data, "answers")) != NULL;
    json_decref(root);
    return ok;
}

static atomic_long remaining;
static atomic_int failures;

static void *lane(void *arg) {
    (void)arg;
    struct curl_client c;
    if (!use_enjo && curl_client_init(&c) != 0) {
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
        if (curl_client_init(&main_curl) != 0) return 1;
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
