enjo_client <- function(token = Sys.getenv("ENJO_API_TOKEN"), base_url = NULL,
                        timeout = 60, connect_timeout = 10, max_retries = 2L,
                        retry_policy = c("safe", "at_least_once"), rate_limit = TRUE,
                        rate_limit_max_wait = NULL, deadline = NULL, user_agent = NULL,
                        proxy = NULL, allow_insecure_http = FALSE, max_response_bytes = NULL,
                        rate_limit_store = NULL, rate_limit_key = NULL,
                        rate_limit_store_fallback = FALSE) {
  # Types and shapes here; every range is checked by libenjo, whose messages name these
  # arguments.
  token <- check_string(token, "token", allow_empty = TRUE)
  # NULL or "": libenjo decides (ENJO_BASE_URL, else Enjo's own URL), as in every binding.
  base_url <- check_string(base_url, "base_url", allow_null = TRUE, allow_empty = TRUE)
  if (!is.null(base_url) && !nzchar(trimws(base_url))) base_url <- NULL
  check_number(timeout, "timeout", allow_null = FALSE)
  check_number(connect_timeout, "connect_timeout", allow_null = FALSE)
  check_number(max_retries, "max_retries", allow_null = FALSE)
  retry_policy <- check_choice(retry_policy, "retry_policy", c("safe", "at_least_once"))
  quotas <- parse_rate_limit(rate_limit)
  check_number(rate_limit_max_wait, "rate_limit_max_wait")
  check_number(deadline, "deadline")
  user_agent <- check_string(user_agent, "user_agent", allow_null = TRUE)
  proxy <- check_string(proxy, "proxy", allow_null = TRUE)
  check_flag(allow_insecure_http, "allow_insecure_http")
  check_number(max_response_bytes, "max_response_bytes")
  rate_limit_store <- check_string(rate_limit_store, "rate_limit_store", allow_null = TRUE)
  rate_limit_key <- check_string(rate_limit_key, "rate_limit_key", allow_null = TRUE)
  check_flag(rate_limit_store_fallback, "rate_limit_store_fallback")

  ptr <- unwrap(.Call(
    enjo_r_client_new, token, base_url, as.double(timeout), as.double(connect_timeout),
    as.double(max_retries), policy_code(retry_policy), quotas$enabled,
    quotas$requests, quotas$windows, as_double_or_null(rate_limit_max_wait),
    as_double_or_null(deadline), user_agent, proxy, allow_insecure_http,
    as_double_or_null(max_response_bytes), as.character(getRversion()),
    rate_limit_store, rate_limit_key, rate_limit_store_fallback
  ))
  # The client is the external pointer itself (freed by its finalizer), with the settings
  # worth printing as attributes. The token is kept nowhere on the R side.
  structure(
    ptr,
    class = "enjo_client",
    base_url = .Call(enjo_r_client_base_url, ptr),
    rate_limit = quotas$label,
    timeout = as.double(timeout),
    max_retries = as.double(max_retries),
    retry_policy = retry_policy
  )
}

`%||%` <- function(x, y) if (is.null(x)) y else x

as_double_or_null <- function(x) if (is.null(x)) NULL else as.double(x)

# libenjo's enjo_retry_policy value of a policy name (checked by check_choice).
policy_code <- function(policy) if (identical(policy, "safe")) 0L else 1L

# TRUE (Enjo's documented limits), FALSE (off), or a list of c(requests, window_seconds).
parse_rate_limit <- function(rate_limit) {
  if (is.logical(rate_limit) && length(rate_limit) == 1 && !is.na(rate_limit)) {
    return(list(enabled = rate_limit, requests = NULL, windows = NULL,
                label = if (rate_limit) "documented (20/min, 10/5s)" else "off"))
  }
  bad <- function() {
    invalid_argument(paste(
      "rate_limit must be TRUE, FALSE or a list of c(requests, window_seconds) pairs,",
      "e.g. list(c(5, 0.2), c(10, 1))"
    ))
  }
  if (is.numeric(rate_limit) && length(rate_limit) == 2) rate_limit <- list(rate_limit)
  if (!is.list(rate_limit) || length(rate_limit) == 0) bad()
  for (q in rate_limit) if (!is.numeric(q) || length(q) != 2) bad()
  requests <- vapply(rate_limit, function(q) as.double(q[1]), 0)
  windows <- vapply(rate_limit, function(q) as.double(q[2]), 0)
  list(enabled = TRUE, requests = requests, windows = windows,
       label = paste(sprintf("%.0f/%gs", requests, windows), collapse = ", "))
}

client_ptr <- function(client) {
  if (!inherits(client, "enjo_client")) {
    invalid_argument(sprintf("client must be an enjo_client (from enjo_client()), not %s",
                             describe(client)))
  }
  if (!.Call(enjo_r_client_valid, client)) {
    invalid_argument(paste(
      "this enjo_client is closed (enjo_close()) or was restored from a saved session;",
      "create a new one with enjo_client()"
    ))
  }
  client
}

format.enjo_client <- function(x, ...) {
  valid <- .Call(enjo_r_client_valid, x)
  sprintf("<enjo_client%s base_url=%s rate_limit=%s timeout=%gs max_retries=%.0f retry_policy=%s>",
          if (valid) "" else " (closed)", attr(x, "base_url") %||% "?", attr(x, "rate_limit"),
          attr(x, "timeout"), attr(x, "max_retries"), attr(x, "retry_policy"))
}

print.enjo_client <- function(x, ...) {
  cat(format(x), "\n", sep = "")
  invisible(x)
}

enjo_close <- function(client) {
  if (!inherits(client, "enjo_client")) {
    invalid_argument(sprintf("enjo_close() takes an enjo_client, not %s", describe(client)))
  }
  # libenjo closes the client (its conversations see it too), then frees it.
  .Call(enjo_r_client_close, client)
  invisible(NULL)
}

enjo_version <- function() {
  .Call(enjo_r_version)
}
