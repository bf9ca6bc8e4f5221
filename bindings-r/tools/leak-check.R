# Run by run-tests.sh under valgrind (R -d valgrind): every way a call can end in an R
# condition raised after libenjo returned something (an error from the server, from libenjo's
# checks, from the glue's own checks, from a bad client option; an interrupt), plus successful
# replies, a conversation, and the client and conversation garbage collected. valgrind must
# report no definite or indirect leak: every Rust-owned object is freed before R signals the
# condition, or by its external pointer's finalizer.
#
# ENJO_R_PKG_DIR is bindings-r/ (for the mock helpers of the tests).
library(enjo)
source(file.path(Sys.getenv("ENJO_R_PKG_DIR"), "tests", "testthat", "helper-mock.R"))
m <- start_mock("off")
client <- enjo_client(token = mock_token, base_url = m$url, rate_limit = FALSE,
                      max_retries = 0L)
for (i in 1:20) {
  try(send_message(client, "no-such-bot", "x"), silent = TRUE)   # error from the server
  try(send_message(client, "", "x"), silent = TRUE)              # error before libenjo
  try(send_message(client, "a\nb", "x"), silent = TRUE)          # error from libenjo
  try(.Call(enjo:::enjo_r_send, client, "echo-bot", "x", NULL, NULL, 3e9, NULL, NULL, NULL,
            NULL), silent = TRUE)                                # glue
  try(send_message(client, "echo-bot", "x", timeout = -1), silent = TRUE) # libenjo's range
  try(send_message(client, "echo-bot", "x", headers = c(Host = "h")), silent = TRUE) # header
  invisible(send_message(client, "echo-bot", "h", headers = c(`X-Tenant` = "acme")))
  try(enjo_client(token = mock_token, base_url = "ftp://x"), silent = TRUE) # client from libenjo
  try(.Call(enjo:::enjo_r_client_new, mock_token, m$url, 60, 10, 2, 0L, TRUE, 1e10, 1, NULL,
            NULL, "r", NULL, FALSE, NULL, "4.2.2"), silent = TRUE) # client refused by the glue
  try(enjo_client(token = mock_token, base_url = m$url, deadline = -1), silent = TRUE)
  r <- send_message(client, "support-bot", "please open a ticket")
}
chat <- conversation(client, "support-bot")
invisible(chat$send("hello", headers = c(`X-Tenant` = "acme"), deadline = 30))
invisible(chat$id())
try(chat$send(""), silent = TRUE)

# Interrupted calls (Ctrl-C): a helper process sends this process SIGINT once the mock holds
# the request, whose reply the mock delays by a minute.
helper <- tempfile(fileext = ".R")
writeLines(c(
  sprintf('source("%s")', file.path(Sys.getenv("ENJO_R_PKG_DIR"), "tests", "testthat", "helper-mock.R")),
  "args <- commandArgs(trailingOnly = TRUE)",
  "m <- list(port = as.integer(args[1]))",
  "for (i in 1:1200) { if (requests_with(m, args[2]) >= 1) break; Sys.sleep(0.05) }",
  "tools::pskill(as.integer(args[3]), tools::SIGINT)"
), helper)
interrupted <- 0L
for (i in 1:3) {
  text <- sprintf("leak-check-interrupt-%d-%d", Sys.getpid(), i)
  bot <- if (i == 3) "support-bot" else "faq-bot"
  inject_fault(m, bot, "delay=600000")
  h <- processx::process$new(file.path(R.home("bin"), "Rscript"),
                             c(helper, m$port, text, Sys.getpid()))
  outcome <- tryCatch(
    if (i == 3) conversation(client, bot)$send(text) else send_message(client, bot, text),
    interrupt = function(e) "interrupted")
  if (identical(outcome, "interrupted")) interrupted <- interrupted + 1L
  h$wait(60000)
}
stopifnot(interrupted == 3L)
stopifnot(identical(send_message(client, "echo-bot", "after")$answers, "after"))

rm(client, chat, r)
invisible(gc())
stop_mock(m)
cat("leak-check script done\n")
