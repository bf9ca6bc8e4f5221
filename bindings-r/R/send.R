send_message <- function(client, bot_id, text, conversation_id = NULL, timeout = NULL,
                         max_retries = NULL) {
  ptr <- client_ptr(client)
  bot_id <- check_string(bot_id, "bot_id")
  text <- check_string(text, "text")
  conversation_id <- check_string(conversation_id, "conversation_id", allow_null = TRUE)
  check_number(timeout, "timeout", above = TRUE, max = .year_secs)
  check_number(max_retries, "max_retries", integer = TRUE, max = .max_int)
  value <- unwrap(.Call(
    enjo_r_send, ptr, bot_id, text, conversation_id,
    if (is.null(timeout)) NULL else as.double(timeout),
    if (is.null(max_retries)) NULL else as.double(max_retries)
  ))
  as_response(value)
}

# The C glue's list -> the documented named list (sources as a data.frame).
as_response <- function(value) {
  value$sources <- data.frame(
    type = value$sources$type, name = value$sources$name,
    score = value$sources$score, url = value$sources$url,
    stringsAsFactors = FALSE
  )
  class(value) <- "enjo_response"
  value
}

print.enjo_response <- function(x, ...) {
  cat("<enjo_response>\n")
  cat("answers: ", if (is.null(x$answers)) "(none)" else x$answers, "\n", sep = "")
  cat("conversation_id: ", x$conversation_id %||% "(none)", "\n", sep = "")
  if (nrow(x$sources) > 0) {
    cat("sources:\n")
    print(x$sources, row.names = FALSE)
  }
  if (!is.null(x$ticket)) {
    cat("ticket: ", x$ticket$case_number %||% x$ticket$id %||% "?",
        " (", x$ticket$status %||% "?", ") ", x$ticket$url %||% "", "\n", sep = "")
  }
  invisible(x)
}
