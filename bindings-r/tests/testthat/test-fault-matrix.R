# The fault matrix (issue 21, item 4) for R: every row of spec/fault-matrix.json against a real
# enjo-mock. Each row's outcome goes to $ENJO_FAULT_MATRIX_RESULTS (default
# target/fault-matrix/) as r.json for scripts/fault-matrix.py; a row whose outcome differs from
# the data file fails the test.

matrix_repo <- function() {
  root <- Sys.getenv("ENJO_SOURCE_DIR")
  if (nzchar(root)) return(root)
  normalizePath(file.path(testthat::test_path(), "..", "..", ".."), mustWork = FALSE)
}

# The condition class each kind of the taxonomy must arrive as (most specific first).
matrix_classes <- c(
  server = "enjo_server_error", decode = "enjo_response_decode_error",
  timeout = "enjo_api_timeout_error", connection = "enjo_api_connection_error",
  rate_limited = "enjo_rate_limit_error", api = "enjo_api_error",
  invalid_request = "enjo_invalid_request_error", authentication = "enjo_authentication_error",
  not_found = "enjo_not_found_error"
)

matrix_observed <- function(result) {
  if (inherits(result, "enjo_error")) {
    kind <- tolower(sub("^ENJO_ERR_", "", result$kind))
    status <- result$status
    if (!is.null(status) && (is.na(status) || status == 0)) status <- NULL
    retry_after <- result$retry_after
    if (!is.null(retry_after) && is.na(retry_after)) retry_after <- NULL
    seen <- list(outcome = kind, status = status, code = result$code, retry_after = retry_after)
    want_class <- matrix_classes[kind]
    if (is.na(want_class) || class(result)[1] != want_class) seen$class <- class(result)[1]
    return(seen)
  }
  answers <- result$answers
  list(
    outcome = "ok",
    answers = answers,
    answers_length = if (is.null(answers)) NULL else nchar(answers, type = "chars"),
    conversation_id = result$conversation_id,
    sources = if (is.null(result$sources)) 0L else nrow(result$sources)
  )
}

matrix_mismatches <- function(expect, seen) {
  out <- character(0)
  if (!is.null(seen$class)) {
    out <- c(out, sprintf("class %s does not match kind %s", seen$class, seen$outcome))
  }
  show <- function(v) if (is.null(v)) "null" else substr(as.character(v), 1, 80)
  for (key in names(expect)) {
    want <- expect[[key]]
    got <- seen[[key]]
    same <- if (is.null(want) || is.null(got)) {
      is.null(want) && is.null(got)
    } else if (is.numeric(want) && is.numeric(got)) {
      abs(want - got) < 1e-9
    } else {
      identical(as.character(want), as.character(got))
    }
    if (!same) out <- c(out, sprintf("%s: expected %s, got %s", key, show(want), show(got)))
  }
  out
}

test_that("fault matrix: every row of spec/fault-matrix.json", {
  repo <- matrix_repo()
  spec_file <- file.path(repo, "spec", "fault-matrix.json")
  if (!file.exists(spec_file) && !identical(Sys.getenv("ENJO_REQUIRE_MOCK"), "1")) {
    testthat::skip("spec/fault-matrix.json not found (set ENJO_SOURCE_DIR to the repository)")
  }
  spec <- jsonlite::fromJSON(spec_file, simplifyVector = FALSE)
  # The matrix's own mock: its 429 rows hold back only this origin.
  m <- start_mock("off")
  on.exit(stop_mock(m), add = TRUE)
  bot <- spec$bot
  results <- list()
  failures <- character(0)
  for (row in spec$rows) {
    mock_http(m, "POST", "/_mock/reset", "{}")
    if (!is.null(row$fault)) {
      inject_fault(m, bot, row$fault, if (is.null(row$times)) 1000L else row$times)
    }
    opts <- spec$defaults
    opts[names(row$options)] <- row$options
    args <- list(token = mock_token, base_url = m$url, rate_limit = FALSE)
    for (name in names(opts)) {
      value <- opts[[name]]
      args[[name]] <- if (name %in% c("max_retries", "max_response_bytes")) as.numeric(value) else value
    }
    client <- do.call(enjo_client, args)
    result <- tryCatch(send_message(client, bot, spec$text), enjo_error = identity)
    enjo_close(client)
    seen <- matrix_observed(result)
    seen$requests <- length(logged_requests(m, bot))
    problems <- matrix_mismatches(row$expect, seen)
    known <- row$known_failures$r
    if (length(problems) > 0 && is.null(known)) {
      failures <- c(failures, sprintf("%s: %s", row$id, paste(problems, collapse = "; ")))
    }
    results[[length(results) + 1]] <- list(
      binding = "r", fault = row$id, outcome = seen$outcome, requests = seen$requests,
      pass = length(problems) == 0, detail = paste(problems, collapse = "; ")
    )
  }
  dir <- Sys.getenv("ENJO_FAULT_MATRIX_RESULTS")
  if (!nzchar(dir)) dir <- file.path(repo, "target", "fault-matrix")
  dir.create(dir, recursive = TRUE, showWarnings = FALSE)
  writeLines(jsonlite::toJSON(results, auto_unbox = TRUE, pretty = TRUE),
             file.path(dir, "r.json"), useBytes = TRUE)
  expect_identical(failures, character(0))
})
