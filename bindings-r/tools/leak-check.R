# Run by run-tests.sh under valgrind (R -d valgrind): many calls that end in R errors raised
# after libenjo returned an error or a response, then the client and a conversation garbage
# collected. valgrind must report no definite or indirect leak: every Rust-owned object is
# freed before R signals the condition, or by its external pointer's finalizer.
library(enjo)
bin <- Sys.getenv("ENJO_MOCK_BIN")
p <- processx::process$new(bin, c("--port", "0", "--exit-on-stdin-close", "--quiet",
                                  "--rate-limit", "off"),
                           stdin = "|", stdout = "|", stderr = NULL)
line <- character(0)
for (i in 1:100) {
  p$poll_io(100)
  line <- p$read_output_lines(1)
  if (length(line)) break
}
url <- paste0("http://127.0.0.1:", sub("LISTENING ", "", line))
client <- enjo_client(token = "enjo-mock-token", base_url = url, rate_limit = FALSE,
                      max_retries = 0L)
for (i in 1:30) {
  try(send_message(client, "no-such-bot", "x"), silent = TRUE)   # error from the server
  try(send_message(client, "", "x"), silent = TRUE)              # error before libenjo
  try(send_message(client, "a\nb", "x"), silent = TRUE)          # error from libenjo
  r <- send_message(client, "support-bot", "please open a ticket")
}
chat <- conversation(client, "support-bot")
invisible(chat$send("hello"))
invisible(chat$id())
rm(client, chat, r)
invisible(gc())
close(p$get_input_connection())
p$wait(5000)
cat("leak-check script done\n")
