// The Kotlin contenders of `make bench-report`: `ReportClientKt KIND URL SEQ CONC WARMUP`.
// KIND: enjo (sendMessageBlocking sequentially, 64 coroutines calling sendMessage) or
// httpclient (java.net.http.HttpClient: send sequentially, 64 chains of sendAsync; the request
// built and the reply parsed with org.json). Prints one JSON line:
// {"seq_us": [...], "conc_calls": N, "conc_s": seconds}.
import ai.enjo.Enjo
import ai.enjo.RateLimit
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import org.json.JSONObject
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.util.concurrent.CompletableFuture
import java.util.concurrent.atomic.AtomicInteger
import kotlin.system.exitProcess

const val TOKEN = "enjo-mock-token"
// The bot every request goes to: report.py sets it (`enjo mock` knows only its own bots).
val BOT: String = System.getenv("BENCH_BOT")?.takeIf { it.isNotEmpty() } ?: "bench-bot"
const val TEXT = "Request for ticket generation"
const val IN_FLIGHT = 64

fun main(args: Array<String>) {
    if (args.size != 5) {
        System.err.println("usage: ReportClientKt enjo|httpclient URL SEQ CONC WARMUP")
        exitProcess(2)
    }
    val (kind, base) = args[0] to args[1]
    val (seq, conc, warmup) = Triple(args[2].toInt(), args[3].toInt(), args[4].toInt())
    val lat = DoubleArray(seq)
    var concSeconds: Double
    if (kind == "enjo") {
        val client = Enjo(token = TOKEN, baseUrl = base, rateLimit = RateLimit.Off, maxRetries = 0)
        val call = { check(client.sendMessageBlocking(BOT, TEXT).answers != null) }
        repeat(warmup) { call() }
        for (i in 0 until seq) {
            val start = System.nanoTime()
            call()
            lat[i] = (System.nanoTime() - start) / 1e3
        }
        val next = AtomicInteger()
        val start = System.nanoTime()
        runBlocking(Dispatchers.Default) {
            repeat(IN_FLIGHT) {
                launch {
                    while (next.getAndIncrement() < conc) check(client.sendMessage(BOT, TEXT).answers != null)
                }
            }
        }
        concSeconds = (System.nanoTime() - start) / 1e9
        client.close()
    } else if (kind == "httpclient") {
        val client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()
        val uri = URI.create("$base/v1/bots/$BOT/message")
        fun request(): HttpRequest = HttpRequest.newBuilder(uri)
            .header("Content-Type", "application/json")
            .header("Authorization", "Bearer $TOKEN")
            .POST(HttpRequest.BodyPublishers.ofString(JSONObject().put("message", JSONObject().put("text", TEXT)).toString()))
            .build()
        fun parse(response: HttpResponse<String>) {
            check(response.statusCode() == 200) { "HTTP ${response.statusCode()}" }
            val body = JSONObject(response.body())
            check(body.getBoolean("success"))
            body.getJSONObject("data").getString("answers")
        }
        val call = { parse(client.send(request(), HttpResponse.BodyHandlers.ofString())) }
        repeat(warmup) { call() }
        for (i in 0 until seq) {
            val start = System.nanoTime()
            call()
            lat[i] = (System.nanoTime() - start) / 1e3
        }
        val next = AtomicInteger()
        val start = System.nanoTime()
        fun lane(): CompletableFuture<Unit> =
            if (next.getAndIncrement() >= conc) CompletableFuture.completedFuture(Unit)
            else client.sendAsync(request(), HttpResponse.BodyHandlers.ofString())
                .thenCompose { parse(it); lane() }
        CompletableFuture.allOf(*Array(IN_FLIGHT) { lane() }).join()
        concSeconds = (System.nanoTime() - start) / 1e9
    } else {
        System.err.println("unknown contender $kind")
        exitProcess(2)
    }
    val seqJson = lat.joinToString(",") { "%.2f".format(it) }
    println("{\"seq_us\": [$seqJson], \"conc_calls\": $conc, \"conc_s\": ${"%.6f".format(concSeconds)}}")
    exitProcess(0)
}
