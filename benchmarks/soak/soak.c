/*
 * The C soak of benchmarks/soak/bench.sh: SOAK_CALLS (default 100,000) sequential
 * enjo_send_message_with calls against enjo mock (limits off) at ENJO_BASE_URL, in the mix
 * every soak program uses (README.md), freeing every reply and error. Prints
 * `calls,rss_kb,fds` every SOAK_EVERY (10,000) calls, from /proc/self.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enjo.h"

/* The fault (and per-call timeout) of call i: per 200 calls, 1 timeout, 16 4xx, 16 5xx. */
static const char *mix(unsigned long i, double *timeout) {
    static const char *client_errors[] = {"status=400", "status=404", "status=401"};
    static const char *server_errors[] = {"500", "html-502", "empty-body=503"};
    unsigned long k = i % 200;
    *timeout = 0; /* unset */
    if (k == 0) {
        *timeout = 0.02;
        return "delay=100";
    }
    if (k <= 16) return client_errors[k % 3];
    if (k <= 32) return server_errors[k % 3];
    return NULL;
}

static long rss_kb(void) {
    FILE *f = fopen("/proc/self/status", "r");
    if (f == NULL) return 0;
    char line[256];
    long kb = 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld", &kb) == 1) break;
    fclose(f);
    return kb;
}

static int fds(void) {
    DIR *d = opendir("/proc/self/fd");
    if (d == NULL) return -1;
    int n = 0;
    while (readdir(d)) n++;
    closedir(d);
    return n - 3; /* ".", ".." and the listing's own handle */
}

static unsigned long env_ul(const char *name, unsigned long fallback) {
    const char *v = getenv(name);
    return v && *v ? strtoul(v, NULL, 10) : fallback;
}

int main(void) {
    unsigned long calls = env_ul("SOAK_CALLS", 100000), every = env_ul("SOAK_EVERY", 10000);
    if (every == 0) every = 1;
    enjo_options opts;
    enjo_options_init(&opts);
    opts.token = "enjo-mock-token";
    opts.base_url = getenv("ENJO_BASE_URL");
    opts.rate_limit = false;
    opts.max_retries = 0;
    opts.timeout_secs = 10.0;
    enjo_client *client = NULL;
    enjo_error *err = NULL;
    if (enjo_client_new(&opts, &client, &err) != ENJO_OK) {
        fprintf(stderr, "enjo_client_new: %s\n", enjo_error_display(err));
        enjo_error_free(err);
        return 1;
    }
    unsigned long counts[5] = {0}; /* ok, 4xx, 5xx, timeout, other */
    printf("calls,rss_kb,fds\n0,%ld,%d\n", rss_kb(), fds());
    fflush(stdout);
    for (unsigned long i = 0; i < calls; i++) {
        double timeout;
        const char *fault = mix(i, &timeout);
        enjo_header header = {"X-Enjo-Mock-Fault", fault};
        enjo_send_options send;
        enjo_send_options_init(&send);
        if (fault) {
            send.headers = &header;
            send.header_count = 1;
        }
        if (timeout > 0) send.timeout_secs = timeout;
        char text[64];
        snprintf(text, sizeof text, "soak %lu", i);
        enjo_response *resp = NULL;
        err = NULL;
        enjo_status st = enjo_send_message_with(client, "echo-bot", text, &send, &resp, &err);
        int slot = st == ENJO_OK ? 0
                   : (st == ENJO_ERR_INVALID_REQUEST || st == ENJO_ERR_NOT_FOUND ||
                      st == ENJO_ERR_AUTHENTICATION) ? 1
                   : st == ENJO_ERR_SERVER  ? 2
                   : st == ENJO_ERR_TIMEOUT ? 3
                                            : 4;
        counts[slot]++;
        enjo_response_free(resp);
        enjo_error_free(err);
        if ((i + 1) % every == 0) {
            printf("%lu,%ld,%d\n", i + 1, rss_kb(), fds());
            fflush(stdout);
        }
    }
    enjo_client_free(client);
    fprintf(stderr, "c: ok %lu 4xx %lu 5xx %lu timeout %lu other %lu\n", counts[0], counts[1],
            counts[2], counts[3], counts[4]);
    return 0;
}
