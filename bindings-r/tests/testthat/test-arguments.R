test_that("NA, empty and non-character arguments are rejected before sending", {
  m <- mock()
  client <- test_client(m)
  marker <- unique_text("never-sent")
  invalid <- function(expr, pattern) {
    expect_error(expr, pattern, class = "enjo_invalid_argument_error")
  }
  invalid(send_message(client, NA, marker), "bot_id must be a single string, not NA")
  invalid(send_message(client, NA_character_, marker), "bot_id")
  invalid(send_message(client, "", marker), "bot_id must not be empty")
  invalid(send_message(client, "   ", marker), "bot_id")
  invalid(send_message(client, 42, marker), "bot_id must be a single string, not a numeric")
  invalid(send_message(client, c("a", "b"), marker), "length 2")
  invalid(send_message(client, character(0), marker), "length 0")
  invalid(send_message(client, NULL, marker), "NULL")
  invalid(send_message(client, "faq-bot", NA_character_), "text")
  invalid(send_message(client, "faq-bot", ""), "text must not be empty")
  invalid(send_message(client, "faq-bot", list("x")), "text")
  invalid(send_message(client, "faq-bot", TRUE), "text")
  invalid(send_message(client, "faq-bot", marker, conversation_id = NA), "conversation_id")
  invalid(send_message(client, "faq-bot", marker, conversation_id = ""), "conversation_id")
  invalid(send_message(client, "faq-bot", marker, conversation_id = 1), "conversation_id")
  invalid(send_message(client, "faq-bot", marker, timeout = -1), "timeout")
  invalid(send_message(client, "faq-bot", marker, max_retries = NA), "max_retries")
  invalid(send_message(client, "a\nb", marker), "bot_id") # refused by the library
  expect_identical(requests_with(m, marker), 0L)
})

test_that("invalid argument errors carry no HTTP fields", {
  err <- tryCatch(send_message(test_client(), "", "x"), enjo_invalid_argument_error = identity)
  expect_identical(class(err), c("enjo_invalid_argument_error", "enjo_error", "error", "condition"))
  expect_null(err$status)
  expect_null(err$code)
  expect_null(err$retry_after)
})

test_that("every scalar string argument refuses vectors and character(0) as invalid arguments", {
  m <- mock()
  client <- test_client(m)
  marker <- unique_text("never-sent")
  invalid <- function(expr, name) {
    expect_error(expr, name, class = "enjo_invalid_argument_error")
  }
  for (bad in list(c("a", "b"), character(0))) {
    invalid(enjo_client(token = mock_token, base_url = bad, rate_limit = FALSE), "base_url")
    invalid(enjo_client(token = bad, base_url = m$url, rate_limit = FALSE), "token")
    invalid(test_client(m, user_agent = bad), "user_agent")
    invalid(test_client(m, proxy = bad), "proxy")
    invalid(test_client(m, retry_policy = if (length(bad)) c("safe", "safe") else bad),
            "retry_policy")
    invalid(send_message(client, bad, marker), "bot_id")
    invalid(send_message(client, "echo-bot", bad), "text")
    invalid(send_message(client, "echo-bot", marker, conversation_id = bad), "conversation_id")
    invalid(conversation(client, bad), "bot_id")
    invalid(conversation(client, "support-bot", conversation_id = bad), "conversation_id")
    invalid(conversation(client, "support-bot")$send(bad), "text")
  }
  invalid(enjo_client(token = mock_token, base_url = NA_character_), "base_url")
  invalid(enjo_client(token = mock_token, base_url = 1), "base_url")
  invalid(test_client(m, retry_policy = NA_character_), "retry_policy")
  invalid(test_client(m, retry_policy = "sometimes"), "retry_policy")
  expect_identical(requests_with(m, marker), 0L)
})

test_that("numbers out of range are refused by libenjo (or the glue), naming the R argument", {
  m <- mock()
  client <- test_client(m)
  marker <- unique_text("never-sent")
  invalid <- function(expr, pattern) {
    expect_error(expr, pattern, class = "enjo_invalid_argument_error")
  }
  # per call: 3e9 retries used to become NA, i.e. silently "the client's"
  invalid(send_message(client, "echo-bot", marker, max_retries = 3e9),
          "max_retries must be a whole number from 0 to 2147483647 per call \\(got 3e\\+09\\)")
  invalid(send_message(client, "echo-bot", marker, max_retries = -1), "max_retries")
  invalid(send_message(client, "echo-bot", marker, max_retries = Inf), "max_retries")
  invalid(send_message(client, "echo-bot", marker, max_retries = NaN), "max_retries")
  invalid(send_message(client, "echo-bot", marker, timeout = 0), "^timeout must be a number of seconds above 0")
  invalid(send_message(client, "echo-bot", marker, timeout = 1e10), "^timeout must be .*at most a year")
  invalid(send_message(client, "echo-bot", marker, timeout = c(1, 2)), "timeout")
  expect_identical(requests_with(m, marker), 0L)
  # client options
  invalid(test_client(m, max_retries = 5e9), "^max_retries must be a whole number from 0 to 4294967295")
  invalid(test_client(m, max_retries = NA_real_), "max_retries")
  invalid(test_client(m, timeout = 1e10), "timeout")
  invalid(test_client(m, connect_timeout = Inf), "connect_timeout")
  invalid(test_client(m, rate_limit_max_wait = 1e10), "rate_limit_max_wait")
  invalid(test_client(m, max_response_bytes = 1e20), "^max_response_bytes must be a whole number of bytes from 1 to 2\\^53")
  invalid(test_client(m, max_response_bytes = 0.5), "max_response_bytes")
  invalid(test_client(m, rate_limit = list(c(1e10, 1))), "4294967295")
  invalid(test_client(m, rate_limit = list(c(5, 1e9))), "^rate_limit\\[0\\]\\.window must be")
  invalid(test_client(m, rate_limit = list(c(0, 1))), "^rate_limit\\[0\\]\\.requests must be")
  invalid(test_client(m, rate_limit = list(c(5, Inf))), "rate_limit")
  invalid(test_client(m, rate_limit = rep(list(c(5, 1)), 65)), "at most 64")
  # the largest values are accepted and kept exactly
  big <- test_client(m, max_retries = .Machine$integer.max, max_response_bytes = 2^53,
                     rate_limit = list(c(4294967295, 1)), rate_limit_max_wait = 0,
                     timeout = 365 * 24 * 3600)
  expect_equal(attr(big, "max_retries"), .Machine$integer.max)
  expect_match(format(big), "4294967295/1s", fixed = TRUE)
  expect_equal(send_message(big, "echo-bot", "big numbers", max_retries = .Machine$integer.max)$answers,
               "big numbers")
})

test_that("the C glue refuses what the C options cannot carry; libenjo checks the rest", {
  # Straight to the glue, past the R checks: every value that would be undefined behaviour or
  # a silent default in a cast comes back as an invalid argument, and nothing is sent.
  m <- mock()
  client <- test_client(m)
  marker <- unique_text("glue")
  refused <- function(result, pattern) {
    expect_false(result$ok)
    expect_identical(result$error$status_name, "ENJO_ERR_INVALID_ARGUMENT")
    expect_match(result$error$message, pattern)
  }
  send <- function(timeout = NULL, max_retries = NULL) {
    .Call(enjo:::enjo_r_send, client, "echo-bot", marker, NULL, timeout, max_retries, NULL,
          NULL, NULL, NULL)
  }
  refused(send(max_retries = 3e9), "max_retries")
  refused(send(max_retries = -1), "max_retries")
  refused(send(max_retries = NA_real_), "max_retries")
  refused(send(max_retries = 1.5), "max_retries")
  refused(send(timeout = 0), "timeout")
  refused(send(timeout = NaN), "timeout")
  refused(send(timeout = 1e10), "timeout") # libenjo's own bound (a year)
  expect_identical(requests_with(m, marker), 0L)
  new_client <- function(max_retries = 2, requests = NULL, windows = NULL, wait = NULL,
                         max_bytes = NULL) {
    .Call(enjo:::enjo_r_client_new, mock_token, m$url, 60, 10, max_retries, 0L, TRUE,
          requests, windows, wait, NULL, "r-glue-test", NULL, FALSE, max_bytes, "4.2.2",
          NULL, NULL, FALSE)
  }
  refused(new_client(max_retries = 3e9 * 2), "max_retries")
  refused(new_client(max_retries = NA_real_), "max_retries")
  refused(new_client(max_retries = -1), "max_retries")
  refused(new_client(requests = 1e10, windows = 1), "requests")
  refused(new_client(requests = 0, windows = 1), "requests")
  refused(new_client(requests = NaN, windows = 1), "requests")
  refused(new_client(requests = c(1, 2), windows = 1), "quotas")
  refused(new_client(wait = NaN), "rate_limit_max_wait")
  refused(new_client(wait = -1), "rate_limit_max_wait")
  refused(new_client(max_bytes = 1e20), "max_response_bytes")
  refused(new_client(max_bytes = 0), "max_response_bytes")
  refused(new_client(max_bytes = NA_real_), "max_response_bytes")
  expect_true(new_client(max_retries = 4294967295, requests = 4294967295, windows = 1)$ok)
})
