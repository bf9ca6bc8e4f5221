# The vendor's R sample, rewritten on the enjo package.
#
# The vendor's version (httr):
#
#   library(httr)
#   headers = c('Content-Type' = 'application/json',
#               'Authorization' = 'Bearer <access token>')
#   body = '{
#     "message": {
#       "text": "Request for ticket generation",
#       "conversationId": "conversationId"
#     }
#   }';
#   res <- VERB("POST", url = "https://api.enjo.ai/v1/bots/botId/message",
#               body = body, add_headers(headers))
#   cat(content(res, 'text'))
#
# With enjo, the request is one call; the reply comes back as a named list, errors as
# conditions (enjo_rate_limit_error, enjo_authentication_error, ...), and the client keeps
# within Enjo's rate limits and never sends a ticket-creating request twice. It sends the same
# body, {"message": {"text": ..., "conversationId": ...}} (the id left out when not given).
#
#   ENJO_API_TOKEN   your personal access token (required)
#   ENJO_BASE_URL    default https://api.enjo.ai (e.g. http://127.0.0.1:PORT for enjo mock)
#   ENJO_BOT_ID      the bot (default "support-bot")
#   ENJO_CONVERSATION_ID  optional: continue this conversation
#
# Run: Rscript examples/r/send_message.R

library(enjo)

bot_id <- Sys.getenv("ENJO_BOT_ID", "support-bot")
conversation_id <- Sys.getenv("ENJO_CONVERSATION_ID")
if (!nzchar(conversation_id)) conversation_id <- NULL

client <- enjo_client() # token from ENJO_API_TOKEN, base URL from ENJO_BASE_URL

reply <- tryCatch(
  send_message(client, bot_id, "Request for ticket generation",
               conversation_id = conversation_id),
  enjo_rate_limit_error = function(e) {
    message("rate limited; retry in ", e$retry_after, " s")
    quit(status = 5)
  },
  enjo_error = function(e) {
    message(class(e)[1], ": ", conditionMessage(e))
    quit(status = 1)
  }
)

cat("answer:", reply$answers, "\n")
cat("conversation:", reply$conversation_id, "\n")
if (nrow(reply$sources) > 0) print(reply$sources)
if (!is.null(reply$ticket)) {
  cat("ticket:", reply$ticket$case_number, "(", reply$ticket$status, ")", reply$ticket$url, "\n")
}
# What the vendor's sample prints: the whole JSON body.
cat(reply$raw, "\n")
