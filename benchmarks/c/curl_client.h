/*
 * What a C program would write instead of libenjo: libcurl with one reused easy handle (the
 * connection kept alive), the request built and the reply parsed with jansson. Shared by the
 * C benchmark (benchmarks/c/bench.c) and `make bench-report`'s C client, so both measure the
 * same competitor. Header-only; include after <curl/curl.h> and <jansson.h>.
 */
#ifndef ENJO_BENCH_CURL_CLIENT_H
#define ENJO_BENCH_CURL_CLIENT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* Sets up `c` to POST to BASE_URL/v1/bots/BOT/message with TOKEN. Returns 0, or -1. */
static int curl_client_init(struct curl_client *c, const char *base_url, const char *bot,
                            const char *token) {
    memset(c, 0, sizeof *c);
    c->easy = curl_easy_init();
    if (!c->easy) return -1;
    char auth[512];
    snprintf(c->url, sizeof c->url, "%s/v1/bots/%s/message", base_url, bot);
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
    c->headers = curl_slist_append(c->headers, "Content-Type: application/json");
    c->headers = curl_slist_append(c->headers, "Accept: application/json");
    c->headers = curl_slist_append(c->headers, auth);
    curl_easy_setopt(c->easy, CURLOPT_URL, c->url);
    curl_easy_setopt(c->easy, CURLOPT_HTTPHEADER, c->headers);
    curl_easy_setopt(c->easy, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c->easy, CURLOPT_WRITEDATA, &c->body);
    curl_easy_setopt(c->easy, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(c->easy, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(c->easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c->easy, CURLOPT_TIMEOUT, 60L);
    return 0;
}

static void curl_client_free(struct curl_client *c) {
    curl_slist_free_all(c->headers);
    curl_easy_cleanup(c->easy);
    free(c->body.data);
}

/* What enjo does per call up to the fields: build the JSON request, POST it, check the status,
 * parse the reply. Returns the reply's root (json_decref it), or NULL on any failure or when
 * `success` is not true. */
static json_t *curl_send_message(struct curl_client *c, const char *text) {
    json_t *req = json_pack("{s:{s:s}}", "message", "text", text);
    char *payload = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    c->body.len = 0;
    curl_easy_setopt(c->easy, CURLOPT_POSTFIELDS, payload);
    CURLcode rc = curl_easy_perform(c->easy);
    free(payload);
    long status = 0;
    curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &status);
    if (rc != CURLE_OK || status != 200) return NULL;
    json_error_t jerr;
    json_t *root = json_loadb(c->body.data, c->body.len, 0, &jerr);
    if (root && !json_is_true(json_object_get(root, "success"))) {
        json_decref(root);
        return NULL;
    }
    return root;
}

#endif
