/*
 * A program outside this repository's build, compiled from an installed prefix only (through
 * pkg-config or CMake's find_package): proves the installed header, libraries and package
 * files are complete. Sends one message to $ENJO_BASE_URL and prints the answer.
 */
#include <stdio.h>
#include <string.h>

#include <enjo.h>

int main(void) {
    enjo_options opts;
    enjo_options_init(&opts); /* token and base URL from ENJO_API_TOKEN / ENJO_BASE_URL */
    opts.rate_limit = false;
    enjo_client *client = NULL;
    enjo_error *err = NULL;
    if (enjo_client_new(&opts, &client, &err) != ENJO_OK) {
        fprintf(stderr, "consumer: %s\n", enjo_error_display(err));
        enjo_error_free(err);
        return 1;
    }
    enjo_response *resp = NULL;
    enjo_status st = enjo_send_message(client, "echo-bot", "installed and linked", NULL, &resp, &err);
    int ok = st == ENJO_OK && strcmp(enjo_response_answers(resp), "installed and linked") == 0;
    if (st != ENJO_OK) fprintf(stderr, "consumer: %s\n", enjo_error_display(err));
    printf("consumer (libenjo %s): %s\n", enjo_version(), ok ? "ok" : "FAILED");
    enjo_response_free(resp);
    enjo_error_free(err);
    enjo_client_free(client);
    return ok ? 0 : 1;
}
