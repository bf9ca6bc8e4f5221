/* One fleet worker in C: sends messages until a deadline through a SHARED rate limiter store,
 * then prints what happened as one JSON line.
 *
 *   ./worker NAME UNTIL_EPOCH_SECONDS
 *
 * Store, quotas and server from the environment, as worker.py documents (ENJO_BASE_URL,
 * ENJO_API_TOKEN, ENJO_RATE_LIMIT_STORE, FLEET_QUOTAS="10/0.5,20/6" in seconds). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <enjo.h>

static double now_secs(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s NAME UNTIL_EPOCH_SECONDS\n", argv[0]);
        return 2;
    }
    const char *name = argv[1];
    double until = strtod(argv[2], NULL);

    enjo_quota quotas[8];
    size_t count = 0;
    const char *spec = getenv("FLEET_QUOTAS");
    char buffer[256];
    snprintf(buffer, sizeof buffer, "%s", spec ? spec : "10/5,20/60");
    for (char *part = strtok(buffer, ","); part && count < 8; part = strtok(NULL, ",")) {
        unsigned requests = 0;
        double window = 0;
        if (sscanf(part, "%u/%lf", &requests, &window) == 2) {
            quotas[count].requests = requests;
            quotas[count].window_secs = window;
            count++;
        }
    }

    enjo_options options;
    enjo_options_init(&options);
    options.rate_limit_quotas = quotas;
    options.rate_limit_quota_count = count;
    options.max_retries = 0;

    enjo_client *client = NULL;
    enjo_error *error = NULL;
    if (enjo_client_new(&options, &client, &error) != ENJO_OK) {
        fprintf(stderr, "%s: %s\n", name, enjo_error_message(error));
        enjo_error_free(error);
        return 1;
    }
    long ok = 0, server_429 = 0, other = 0;
    char text[128];
    for (long i = 1; now_secs() < until; i++) {
        snprintf(text, sizeof text, "%s %ld: printer on floor 3 is jammed", name, i);
        enjo_response *reply = NULL;
        enjo_status status = enjo_send_message(client, "faq-bot", text, NULL, &reply, &error);
        if (status == ENJO_OK) {
            ok++;
            enjo_response_free(reply);
        } else {
            if (enjo_error_http_status(error) == 429) server_429++; else other++;
            enjo_error_free(error);
            error = NULL;
        }
    }
    enjo_client_free(client);
    printf("{\"worker\": \"%s\", \"language\": \"c\", \"ok\": %ld, \"server_429\": %ld, "
           "\"other\": %ld}\n", name, ok, server_429, other);
    return 0;
}
