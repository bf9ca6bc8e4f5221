# The testing kit: with_mock() runs code against the mock server inside the package.

test_that("with_mock serves, records requests and tickets, and restores the environment", {
  skip_without_kit()
  skip_if_not_installed("jsonlite")
  withr::local_envvar(ENJO_BASE_URL = "https://example.invalid", ENJO_API_TOKEN = NA)
  url <- with_mock({
    client <- enjo_client(rate_limit = FALSE)
    reply <- send_message(client, "jira-bot", "CI is down, open a ticket")
    expect_false(is.null(reply$ticket))
    requests <- mock_requests()
    expect_equal(length(requests), 1)
    expect_equal(requests[[1]]$text, "CI is down, open a ticket")
    expect_equal(mock_tickets()[[1]]$platform, "jira")
    Sys.getenv("ENJO_BASE_URL")
  })
  expect_match(url, "^http://127\\.0\\.0\\.1:[0-9]+$")
  expect_equal(Sys.getenv("ENJO_BASE_URL"), "https://example.invalid")
  expect_equal(Sys.getenv("ENJO_API_TOKEN", unset = "unset"), "unset")
  expect_error(mock_requests(), "inside with_mock")
  # Stopped: nothing listens there any more.
  client <- enjo_client(token = "t", base_url = url, rate_limit = FALSE, max_retries = 0L)
  expect_error(send_message(client, "echo-bot", "after"), class = "enjo_api_connection_error")
})

test_that("with_mock's scaled limits refuse a client without limits", {
  skip_without_kit()
  with_mock(rate_limit = list(c(2, 60)), {
    client <- enjo_client(rate_limit = FALSE, max_retries = 0L)
    send_message(client, "echo-bot", "a")
    send_message(client, "echo-bot", "b")
    expect_error(send_message(client, "echo-bot", "c"), class = "enjo_rate_limit_error")
  })
  expect_error(with_mock(1, rate_limit = "fast"), "rate_limit must be")
  expect_error(with_mock(1, bots_file = "/nonexistent/bots.toml"), "print-config")
})
