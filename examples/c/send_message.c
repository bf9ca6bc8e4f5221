/*
 * The vendor's sample request, as a C program on libenjo.
 *
 * The vendor's curl sample POSTs {"message": {"text": "Request for ticket generation"},
 * "conversationId": "..."} to /v1/bots/{botId}/message with a bearer token and prints the
 * body. Here libenjo builds the request, waits for the rate limiter, retries what is safe to
 * retry and reads the reply into typed fields.
 *
 *   ENJO_API_TOKEN   your personal access token (required)
 *   ENJO_BASE_URL    default https://api.enjo.ai (e.g. http://127.0.0.1:PORT for enjo mock)
 *   ENJO_BOT_ID      the bot (default "support-bot")
 *   ENJO_CONVERSATION_ID  optional: continue this conversation
 *
 * Build: cc send_message.c $(pkg-config --cflags --libs enjo) -o send_message
 * Exit status: 0 on success, else the enjo_status of the failure.
 */
#include <stdio.h>
#include <stdlib.h>

#include <enjo.h>

int main(int argc, char **argv) {
    const char *bot_id = getenv("ENJO_BOT_ID");
    const char *conversation_id = getenv("ENJO_CONVERSATION_ID");
    const char *text = argc > 1 ? argv[1] : "Request for ticket generation";
    if (bot_id == NULL || bot_id[0] == '\0') bot_id = "support-bot";
    if (conversation_id != NULL && conversation_id[0] == '\0') conversation_id = NULL;

    enjo_client *client = NULL;
    enjo_error *error = NULL;
    /* NULL options: token from ENJO_API_TOKEN, base URL from ENJO_BASE_URL. */
    enjo_status status = enjo_client_new(NULL, &client, &error);
    if (status != ENJO_OK) {
        fprintf(stderr, "error: %s\n", enjo_error_display(error));
        enjo_error_free(error);
        return (int)status;
    }

    enjo_response *response = NULL;
    status = enjo_send_message(client, bot_id, text, conversation_id, &response, &error);
    if (status != ENJO_OK) {
        fprintf(stderr, "%s: %s\n", enjo_status_name(status), enjo_error_display(error));
        enjo_error_free(error);
        enjo_client_free(client);
        return (int)status;
    }

    const char *answers = enjo_response_answers(response);
    printf("answer: %s\n", answers ? answers : "(none)");
    const char *conversation = enjo_response_conversation_id(response);
    printf("conversation: %s\n", conversation ? conversation : "(none)");
    for (size_t i = 0; i < enjo_response_source_count(response); i++) {
        const char *name = enjo_response_source_name(response, i);
        const char *url = enjo_response_source_url(response, i);
        printf("source: %s <%s>\n", name ? name : "?", url ? url : "");
    }
    if (enjo_response_has_ticket(response)) {
        const char *number = enjo_response_ticket_case_number(response);
        const char *state = enjo_response_ticket_status(response);
        const char *url = enjo_response_ticket_url(response);
        printf("ticket: %s (%s) %s\n", number ? number : "?", state ? state : "?",
               url ? url : "");
    }
    /* What the vendor's sample prints: the whole JSON body. */
    printf("%s\n", enjo_response_json(response));

    enjo_response_free(response);
    enjo_client_free(client);
    return 0;
}
