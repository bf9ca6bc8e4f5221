# ENJO_LOG=info (read by libenjo when a client is made) writes a rate-limit wait longer than a
# second to stderr when it starts, with the quota that causes it. Run in a child Rscript, whose
# stderr is captured whole.

test_that("ENJO_LOG=info announces a long rate-limit wait on stderr", {
  m <- mock()
  script <- tempfile(fileext = ".R")
  on.exit(unlink(script), add = TRUE)
  writeLines(c(
    "library(enjo)",
    sprintf(paste0("client <- enjo_client(token = '%s', base_url = '%s', ",
                   "rate_limit = list(c(1, 1.5)), max_retries = 0L)"), mock_token, m$url),
    "for (i in 1:2) send_message(client, 'echo-bot', paste('r-env-log', i))",
    "cat('sent\\n')"
  ), script)
  res <- processx::run(
    file.path(R.home("bin"), "Rscript"), c("--vanilla", script),
    env = c("current", ENJO_LOG = "info", R_LIBS = paste(.libPaths(), collapse = ":")),
    error_on_status = FALSE
  )
  expect_equal(res$status, 0, info = res$stderr)
  expect_equal(res$stdout, "sent\n")
  expect_match(res$stderr, "[enjo] info: client-side rate limit, waiting 1.", fixed = TRUE)
  expect_match(res$stderr, "(quota: 1 request per 1.5s)", fixed = TRUE)
  expect_false(grepl(mock_token, res$stderr, fixed = TRUE))
})

test_that("the insecure-http hint names an argument enjo_client() has", {
  err <- tryCatch(
    enjo_client(token = mock_token, base_url = "http://enjo.invalid"),
    enjo_invalid_argument_error = function(e) e
  )
  expect_s3_class(err, "enjo_invalid_argument_error")
  named <- regmatches(conditionMessage(err),
                      regexpr("set [a-z_]+ explicitly", conditionMessage(err)))
  expect_equal(named, "set allow_insecure_http explicitly")
  arg <- sub("^set ([a-z_]+) explicitly$", "\\1", named)
  expect_true(arg %in% names(formals(enjo_client)))
  args <- list(token = mock_token, base_url = "http://enjo.invalid")
  args[[arg]] <- TRUE
  expect_s3_class(do.call(enjo_client, args), "enjo_client")
})
