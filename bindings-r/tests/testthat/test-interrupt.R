# Ctrl-C while send_message() waits. A child R process blocks in send_message() on a reply the
# mock delays by ten minutes; once the mock holds the request, the child gets SIGINT (what
# Ctrl-C sends). The assertions are about the outcome (the child goes on, with an R interrupt
# condition instead of the reply, and a usable client), never about how long anything took.
# The one wait (for the child to finish, at most a minute) is a safety bound far shorter than
# the delayed reply, so that a child still blocked in the call fails the test: without the
# interrupt check, R would only notice the interrupt after the reply, 10 minutes later.

rscript <- function() file.path(R.home("bin"), "Rscript")

# Starts `code` (R source) in a child Rscript with the package and the mock's URL.
start_child <- function(m, code, text) {
  script <- tempfile(fileext = ".R")
  writeLines(c(
    "suppressPackageStartupMessages(library(enjo))",
    sprintf('client <- enjo_client(token = "%s", base_url = "%s", rate_limit = FALSE,', mock_token, m$url),
    "                      max_retries = 0L, timeout = 300)",
    sprintf('text <- "%s"', text),
    code
  ), script)
  processx::process$new(rscript(), script, stdout = "|", stderr = "2>&1",
                        env = c("current", R_LIBS = paste(.libPaths(), collapse = ":")),
                        cleanup = TRUE)
}

# Waits (bounded) until the mock has logged a request containing `text`.
wait_for_request <- function(m, text, child) {
  for (i in 1:600) {
    if (requests_with(m, text) >= 1) return(TRUE)
    if (!child$is_alive()) return(FALSE)
    Sys.sleep(0.05)
  }
  FALSE
}

finish <- function(child) {
  child$wait(60000) # a bound, far below the 10 minutes of the delayed reply
  if (child$is_alive()) {
    # Still blocked in the call: the interrupt did not get through.
    child$kill()
    return(list(done = FALSE, output = "", status = NA))
  }
  list(done = TRUE, output = child$read_all_output(), status = child$get_exit_status())
}

test_that("Ctrl-C during send_message() signals an R interrupt, and the client still works", {
  skip_on_os("windows")
  m <- mock()
  text <- unique_text("interrupt-me")
  inject_fault(m, "faq-bot", "delay=600000")
  child <- start_child(m, c(
    "outcome <- tryCatch(",
    "  paste('reply:', send_message(client, 'faq-bot', text)$answers),",
    "  interrupt = function(e) paste('interrupt:', paste(class(e), collapse = ',')),",
    "  error = function(e) paste('error:', conditionMessage(e)))",
    "cat('OUTCOME', outcome, '\\n')",
    "cat('AFTER', send_message(client, 'echo-bot', 'after the interrupt')$answers, '\\n')"
  ), text)
  on.exit(if (child$is_alive()) child$kill(), add = TRUE)
  expect_true(wait_for_request(m, text, child))
  child$interrupt()
  end <- finish(child)
  expect_true(end$done)
  expect_match(end$output, "OUTCOME interrupt: interrupt,condition", fixed = TRUE)
  expect_match(end$output, "AFTER after the interrupt", fixed = TRUE)
  expect_false(grepl("reply:", end$output, fixed = TRUE))
  expect_identical(end$status, 0L)
})

test_that("an uncaught Ctrl-C ends the evaluation as R's own does; calling handlers see it", {
  skip_on_os("windows")
  m <- mock()
  text <- unique_text("interrupt-uncaught")
  inject_fault(m, "faq-bot", "delay=600000")
  child <- start_child(m, c(
    "withCallingHandlers(",
    "  send_message(client, 'faq-bot', text),",
    "  interrupt = function(e) cat('SEEN interrupt\\n'))",
    "cat('NOT REACHED\\n')"
  ), text)
  on.exit(if (child$is_alive()) child$kill(), add = TRUE)
  expect_true(wait_for_request(m, text, child))
  child$interrupt()
  end <- finish(child)
  expect_true(end$done)
  expect_match(end$output, "SEEN interrupt", fixed = TRUE)
  expect_false(grepl("NOT REACHED", end$output, fixed = TRUE))
  expect_false(identical(end$status, 0L)) # Rscript: "Execution halted", as after Ctrl-C
})

test_that("Ctrl-C also reaches a conversation's send()", {
  skip_on_os("windows")
  m <- mock()
  text <- unique_text("interrupt-chat")
  inject_fault(m, "support-bot", "delay=600000")
  child <- start_child(m, c(
    "chat <- conversation(client, 'support-bot')",
    "outcome <- tryCatch(chat$send(text)$answers, interrupt = function(e) 'interrupted')",
    "cat('OUTCOME', outcome, '\\n')",
    "cat('AFTER', is.character(chat$send('hello again')$answers), '\\n')"
  ), text)
  on.exit(if (child$is_alive()) child$kill(), add = TRUE)
  expect_true(wait_for_request(m, text, child))
  child$interrupt()
  end <- finish(child)
  expect_true(end$done)
  expect_match(end$output, "OUTCOME interrupted", fixed = TRUE)
  expect_match(end$output, "AFTER TRUE", fixed = TRUE)
})
