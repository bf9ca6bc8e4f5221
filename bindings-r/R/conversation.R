conversation <- function(client, bot_id, conversation_id = NULL) {
  ptr <- client_ptr(client)
  bot_id <- check_string(bot_id, "bot_id")
  conversation_id <- check_string(conversation_id, "conversation_id", allow_null = TRUE)
  handle <- unwrap(.Call(enjo_r_conversation_new, ptr, bot_id, conversation_id))
  self <- new.env(parent = emptyenv())
  self$bot_id <- bot_id
  self$send <- function(text) {
    text <- check_string(text, "text")
    as_response(unwrap(.Call(enjo_r_conversation_send, handle, text)))
  }
  self$id <- function() .Call(enjo_r_conversation_id, handle)
  class(self) <- "enjo_conversation"
  self
}

print.enjo_conversation <- function(x, ...) {
  cat(sprintf("<enjo_conversation bot_id=%s id=%s>\n", x$bot_id, x$id() %||% "(not started)"))
  invisible(x)
}
