send_message <- function(client, bot_id, text, conversation_id = NULL, timeout = NULL,
                         max_retries = NULL, retry_policy = NULL, deadline = NULL,
                         headers = NULL) {
  ptr <- client_ptr(client)
  bot_id <- check_string(bot_id, "bot_id")
  text <- check_string(text, "text")
  conversation_id <- check_string(conversation_id, "conversation_id", allow_null = TRUE)
  o <- call_overrides(timeout, max_retries, retry_policy, deadline, headers)
  value <- unwrap(.Call(enjo_r_send, ptr, bot_id, text, conversation_id, o$timeout,
                        o$max_retries, o$retry_policy, o$deadline, o$names, o$values))
  as_response(value)
}

# The per-call overrides as the C glue takes them (after conversation id): timeout,
# max_retries, retry_policy, deadline, header names, header values.
call_overrides <- function(timeout, max_retries, retry_policy, deadline, headers) {
  check_number(timeout, "timeout")
  check_number(max_retries, "max_retries")
  check_number(deadline, "deadline")
  if (!is.null(retry_policy)) {
    retry_policy <- policy_code(check_choice(retry_policy, "retry_policy",
                                             c("safe", "at_least_once")))
  }
  headers <- check_headers(headers)
  list(timeout = as_double_or_null(timeout), max_retries = as_double_or_null(max_retries),
       retry_policy = retry_policy, deadline = as_double_or_null(deadline),
       names = if (is.null(headers)) NULL else names(headers),
       values = if (is.null(headers)) NULL else unname(headers))
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
