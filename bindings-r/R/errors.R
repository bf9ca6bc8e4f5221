# Conditions: one class per kind of the SDK's error taxonomy, most specific first, e.g.
# c("enjo_rate_limit_error", "enjo_api_error", "enjo_error", "error", "condition").

# enjo_status name (from libenjo) -> the classes of its condition.
.enjo_classes <- list(
  ENJO_ERR_INVALID_ARGUMENT = "enjo_invalid_argument_error",
  ENJO_ERR_INVALID_REQUEST = c("enjo_invalid_request_error", "enjo_api_error"),
  ENJO_ERR_AUTHENTICATION = c("enjo_authentication_error", "enjo_api_error"),
  ENJO_ERR_NOT_FOUND = c("enjo_not_found_error", "enjo_api_error"),
  ENJO_ERR_RATE_LIMITED = c("enjo_rate_limit_error", "enjo_api_error"),
  ENJO_ERR_SERVER = c("enjo_server_error", "enjo_api_error"),
  ENJO_ERR_API = "enjo_api_error",
  ENJO_ERR_TIMEOUT = "enjo_api_timeout_error",
  ENJO_ERR_CONNECTION = "enjo_api_connection_error",
  ENJO_ERR_DECODE = "enjo_response_decode_error",
  ENJO_ERR_INTERNAL = "enjo_internal_error",
  ENJO_ERR_RATE_LIMIT_STORE = "enjo_rate_limit_store_error"
)

# Builds the condition object. `call` is always NULL: the call could hold the token.
enjo_condition <- function(kind, message, status = NULL, code = NULL, retry_after = NULL,
                           request_id = NULL, body = NULL, may_have_been_sent = FALSE,
                           display = message, server_request_id = NULL) {
  classes <- .enjo_classes[[kind]]
  if (is.null(classes)) classes <- "enjo_api_error"
  structure(
    class = c(classes, "enjo_error", "error", "condition"),
    list(
      message = display,
      call = NULL,
      kind = kind,
      status = status,
      code = code,
      retry_after = retry_after,
      request_id = request_id,
      server_request_id = server_request_id,
      body = body,
      may_have_been_sent = may_have_been_sent,
      detail = message
    )
  )
}

conditionMessage.enjo_error <- function(c) {
  c$message
}

# Signals the error returned by the C glue (a list; see src/enjo_r.c).
raise_from_c <- function(err) {
  if (identical(err$status_name, "ENJO_ERR_INTERRUPTED")) signal_interrupt()
  stop(enjo_condition(
    kind = err$status_name,
    message = err$message,
    display = if (is.null(err$display)) err$message else err$display,
    status = err$http_status,
    code = err$code,
    retry_after = err$retry_after,
    request_id = err$request_id,
    server_request_id = err$server_request_id,
    body = err$body,
    may_have_been_sent = isTRUE(err$may_have_been_sent)
  ))
}

# The value of a .Call result, or the error it carries.
unwrap <- function(result) {
  if (isTRUE(result$ok)) result$value else raise_from_c(result$error)
}

# The user pressed Ctrl-C while libenjo waited (src/enjo_r.c checks for a pending interrupt
# about every 100 ms, and libenjo abandoned the call). Everything libenjo returned has been
# freed by now. Signal R's own interrupt condition, so that tryCatch(..., interrupt = ) and
# withCallingHandlers(interrupt = ) see it; unhandled, end the evaluation as R does after an
# uncaught interrupt (back to the prompt; "Execution halted" in Rscript).
signal_interrupt <- function() {
  signalCondition(structure(class = c("interrupt", "condition"), list()))
  invokeRestart("abort")
}

invalid_argument <- function(message) {
  stop(enjo_condition("ENJO_ERR_INVALID_ARGUMENT", message))
}

describe <- function(x) {
  if (is.null(x)) return("NULL")
  if (length(x) != 1) return(sprintf("a %s vector of length %d", class(x)[1], length(x)))
  if (is.na(x)) return("NA")
  sprintf("a %s", class(x)[1])
}

# A single, non-NA string (empty allowed only when `allow_empty`).
check_string <- function(x, name, allow_null = FALSE, allow_empty = FALSE) {
  if (is.null(x) && allow_null) return(invisible(NULL))
  if (!is.character(x) || length(x) != 1 || is.na(x)) {
    invalid_argument(sprintf("%s must be a single string, not %s", name, describe(x)))
  }
  if (!allow_empty && !nzchar(trimws(x))) {
    invalid_argument(sprintf("%s must not be empty", name))
  }
  invisible(enc2utf8(x))
}

# A single number (its range is libenjo's to check).
check_number <- function(x, name, allow_null = TRUE) {
  if (is.null(x) && allow_null) return(invisible(NULL))
  if (!is.numeric(x) || length(x) != 1 || is.na(x)) {
    invalid_argument(sprintf("%s must be a single number, not %s", name, describe(x)))
  }
  invisible(x)
}

# Per-call headers: a named character vector, e.g. c(`X-Tenant` = "acme") (names and values
# are checked by libenjo).
check_headers <- function(x) {
  if (is.null(x)) return(invisible(NULL))
  if (!is.character(x) || anyNA(x) || is.null(names(x)) || anyNA(names(x)) ||
      any(!nzchar(names(x)))) {
    invalid_argument(sprintf(
      "headers must be a named character vector, e.g. c(`X-Tenant` = \"acme\"), not %s",
      describe(x)
    ))
  }
  invisible(enc2utf8(x))
}

# One of `choices` (a single string); the default, the whole `choices` vector, means the first.
check_choice <- function(x, name, choices) {
  if (identical(x, choices)) return(choices[1])
  quoted <- paste0('"', choices, '"', collapse = " or ")
  if (!is.character(x) || length(x) != 1 || is.na(x)) {
    invalid_argument(sprintf("%s must be %s, not %s", name, quoted, describe(x)))
  }
  if (!x %in% choices) {
    invalid_argument(sprintf('%s must be %s, not "%s"', name, quoted, x))
  }
  x
}

check_flag <- function(x, name) {
  if (!is.logical(x) || length(x) != 1 || is.na(x)) {
    invalid_argument(sprintf("%s must be TRUE or FALSE, not %s", name, describe(x)))
  }
  invisible(x)
}
