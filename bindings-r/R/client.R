enjo_client <- function(token = Sys.getenv("ENJO_API_TOKEN"), base_url = NULL,
                        timeout = 60, connect_timeout = 10, max_retries = 2L,
                        retry_policy = c("safe", "at_least_once"), rate_limit = TRUE,
                        rate_limit_max_wait = NULL, user_agent = NULL, proxy = NULL,
                        allow_insecure_http = FALSE, max_response_bytes = NULL) {
  token <- check_string(token, "token", allow_empty = TRUE)
  # NULL or "": libenjo decides (ENJO_BASE_URL, else Enjo's own URL), as in every binding.
  base_url <- check_string(base_url, "base_url", allow_null = TRUE, allow_empty = TRUE)
  if (!is.null(base_url) && !nzchar(trimws(base_url))) base_url <- NULL
  check_number(timeout, "timeout", allow_null = FALSE, above = TRUE, max = .year_secs)
  check_number(connect_timeout, "connect_timeout", allow_null = FALSE, above = TRUE,
               max = .year_secs)
  check_number(max_retries, "max_retries", allow_null = FALSE, integer = TRUE, max = .max_int)
  retry_policy <- check_choice(retry_policy, "retry_policy", c("safe", "at_least_once"))
  quotas <- parse_rate_limit(rate_limit)
  check_number(rate_limit_max_wait, "rate_limit_max_wait", max = .year_secs)
  ua <- paste0("r/", getRversion())
  if (!is.null(user_agent)) ua <- paste(check_string(user_agent, "user_agent"), ua)
  proxy <- check_string(proxy, "proxy", allow_null = TRUE)
  check_flag(allow_insecure_http, "allow_insecure_http")
  check_number(max_response_bytes, "max_response_bytes", min = 1, max = .max_exact,
               integer = TRUE)

  ptr <- unwrap(.Call(
    enjo_r_client_new, token, base_url, as.double(timeout), as.double(connect_timeout),
    as.double(max_retries), if (retry_policy == "safe") 0L else 1L, quotas$enabled,
    quotas$requests, quotas$windows,
    if (is.null(rate_limit_max_wait)) NULL else as.double(rate_limit_max_wait),
    ua, proxy, allow_insecure_http,
    if (is.null(max_response_bytes)) NULL else as.double(max_response_bytes)
  ))
  # The client is the external pointer itself (freed by its finalizer), with the settings
  # worth printing as attributes. The token is kept nowhere on the R side.
  structure(
    ptr,
    class = "enjo_client",
    base_url = .Call(enjo_r_client_base_url, ptr),
    rate_limit = quotas$label,
    timeout = as.double(timeout),
    max_retries = as.integer(max_retries),
    retry_policy = retry_policy
  )
}

`%||%` <- function(x, y) if (is.null(x)) y else x

# TRUE (Enjo's documented limits), FALSE (off), or a list of c(requests, window_seconds).
parse_rate_limit <- function(rate_limit) {
  if (is.logical(rate_limit) && length(rate_limit) == 1 && !is.na(rate_limit)) {
    return(list(enabled = rate_limit, requests = NULL, windows = NULL,
                label = if (rate_limit) "documented (20/min, 10/5s)" else "off"))
  }
  bad <- function() {
    invalid_argument(paste(
      "rate_limit must be TRUE, FALSE or a list of c(requests, window_seconds) pairs",
      "(at most 64; requests a whole number from 1 to 4294967295, a window above 0 seconds",
      "and at most a year), e.g. list(c(5, 0.2), c(10, 1))"
    ))
  }
  if (is.numeric(rate_limit) && length(rate_limit) == 2) rate_limit <- list(rate_limit)
  if (!is.list(rate_limit) || length(rate_limit) == 0 || length(rate_limit) > 64) bad()
  requests <- numeric(0)
  windows <- numeric(0)
  for (q in rate_limit) {
    # requests: 1 to 2^32 - 1 (libenjo's C type); windows: above 0, at most a year.
    if (!is.numeric(q) || length(q) != 2 || anyNA(q) || !all(is.finite(q)) || q[1] < 1 ||
        q[1] > 4294967295 || q[1] != round(q[1]) || q[2] <= 0 || q[2] > .year_secs) bad()
    requests <- c(requests, as.double(q[1]))
    windows <- c(windows, as.double(q[2]))
  }
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
  sprintf("<enjo_client%s base_url=%s rate_limit=%s timeout=%gs max_retries=%d retry_policy=%s>",
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
  .Call(enjo_r_client_close, client)
  invisible(NULL)
}

enjo_version <- function() {
  .Call(enjo_r_version)
}
