conversation <- function(client, bot_id, conversation_id = NULL) {
  ptr <- client_ptr(client)
  bot_id <- check_string(bot_id, "bot_id")
  conversation_id <- check_string(conversation_id, "conversation_id", allow_null = TRUE)
  handle <- unwrap(.Call(enjo_r_conversation_new, ptr, bot_id, conversation_id))
  self <- new.env(parent = emptyenv())
  self$bot_id <- bot_id
  self$send <- function(text, timeout = NULL, max_retries = NULL, retry_policy = NULL,
                        deadline = NULL, headers = NULL) {
    text <- check_string(text, "text")
    o <- call_overrides(timeout, max_retries, retry_policy, deadline, headers)
    as_response(unwrap(.Call(enjo_r_conversation_send, handle, text, o$timeout, o$max_retries,
                             o$retry_policy, o$deadline, o$names, o$values)))
  }
  self$id <- function() .Call(enjo_r_conversation_id, handle)
  class(self) <- "enjo_conversation"
  self
}

print.enjo_conversation <- function(x, ...) {
  cat(sprintf("<enjo_conversation bot_id=%s id=%s>\n", x$bot_id, x$id() %||% "(not started)"))
  invisible(x)
}
