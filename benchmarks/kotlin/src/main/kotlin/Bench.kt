// ai.enjo.Enjo against java.net.http.HttpClient doing the same POST and JSON parse, in one JVM,
// against one local server (enjo-mock, limits off; bench.sh starts it and passes its URL).
// Client limiter off. A warm-up of each contender, then REPS repetitions in which the contenders
// alternate (the order flips every repetition), each repetition running:
//   - sequential: SEQ_CALLS calls, one after the other, on this thread
//     (enjo: sendMessageBlocking; HttpClient: send);
//   - 64 in flight: CONC_CALLS calls with 64 outstanding at all times
//     (enjo: 64 coroutines calling sendMessage; HttpClient: 64 chains of sendAsync).
// Prints µs per call (p50, p99 over every repetition), throughput (median repetition) and
// the ratios against the issue's targets.
//
//   java -cp <classpath> BenchKt <base url>      (bench.sh builds the classpath first)
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
import java.util.concurrent.CountDownLatch
import java.util.concurrent.atomic.AtomicInteger
import java.util.concurrent.atomic.AtomicReference
import kotlin.system.exitProcess

const val TOKEN = "enjo-mock-token"
const val BOT = "echo-bot"
const val IN_FLIGHT = 64
val SEQ_CALLS = System.getenv("BENCH_CALLS")?.toInt() ?: 2000
val CONC_CALLS = System.getenv("BENCH_CONCURRENT_CALLS")?.toInt() ?: 10_000
val REPS = System.getenv("BENCH_REPS")?.toInt() ?: 5
val WARMUP_ROUNDS = 2

/** One contender: a blocking call and a batch of calls with [IN_FLIGHT] outstanding. */
interface Contender {
    val name: String
    fun call(text: String)
    /** Makes [calls] calls with [IN_FLIGHT] in flight; writes each call's latency (ns) into [latencies]. */
    fun concurrent(calls: Int, tag: String, latencies: LongArray)
}

class EnjoContender(baseUrl: String) : Contender, AutoCloseable {
    override val name = "enjo"
    private val client = Enjo(token = TOKEN, baseUrl = baseUrl, rateLimit = RateLimit.Off)

    override fun close() = client.close()

    override fun call(text: String) {
        val reply = client.sendMessageBlocking(BOT, text)
        check(reply.answers == text) { "enjo: wrong answer ${reply.answers}" }
    }

    override fun concurrent(calls: Int, tag: String, latencies: LongArray) {
        val next = AtomicInteger()
        runBlocking(Dispatchers.Default) {
            repeat(IN_FLIGHT) {
                launch {
                    while (true) {
                        val i = next.getAndIncrement()
                        if (i >= calls) break
                        val text = "$tag $i"
                        val start = System.nanoTime()
                        val reply = client.sendMessage(BOT, text)
                        latencies[i] = System.nanoTime() - start
                        check(reply.answers == text) { "enjo: wrong answer ${reply.answers}" }
                    }
                }
            }
        }
    }
}

/**
 * What a JVM user would write without the SDK: one shared HttpClient (HTTP/1.1, as enjo speaks to
 * a plain-http server), the body built with org.json, the reply parsed with org.json (the whole
 * document into a JSONObject tree), the status and `data.answers` checked, `data.conversationId`
 * read.
 */
class HttpClientContender(baseUrl: String) : Contender {
    override val name = "HttpClient"
    private val client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()
    private val uri = URI.create("$baseUrl/v1/bots/$BOT/message")

    private fun request(text: String): HttpRequest {
        val body = JSONObject().put("message", JSONObject().put("text", text)).toString()
        return HttpRequest.newBuilder(uri)
            .header("Content-Type", "application/json")
            .header("Authorization", "Bearer $TOKEN")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build()
    }

    private fun parse(response: HttpResponse<String>, text: String) {
        check(response.statusCode() == 200) { "HttpClient: HTTP ${response.statusCode()}" }
        val data = JSONObject(response.body()).getJSONObject("data")
        check(data.getString("answers") == text) { "HttpClient: wrong answer" }
        data.optString("conversationId")
    }

    override fun call(text: String) = parse(client.send(request(text), HttpResponse.BodyHandlers.ofString()), text)

    override fun concurrent(calls: Int, tag: String, latencies: LongArray) {
        val next = AtomicInteger()
        val done = CountDownLatch(IN_FLIGHT)
        val failure = AtomicReference<Throwable>()
        fun lane() {
            val i = next.getAndIncrement()
            if (i >= calls || failure.get() != null) {
                done.countDown()
                return
            }
            val text = "$tag $i"
            val start = System.nanoTime()
            val future: CompletableFuture<Unit> = client.sendAsync(request(text), HttpResponse.BodyHandlers.ofString())
                .thenApply { parse(it, text); latencies[i] = System.nanoTime() - start }
            future.whenComplete { _, error ->
                if (error != null) {
                    failure.compareAndSet(null, error)
                    done.countDown()
                } else {
                    lane()
                }
            }
        }
        repeat(IN_FLIGHT) { lane() }
        done.await()
        failure.get()?.let { throw it }
    }
}

class Stats {
    val seqLatencies = ArrayList<Long>()
    val concLatencies = ArrayList<Long>()
    val seqThroughputs = ArrayList<Double>()
    val concThroughputs = ArrayList<Double>()
}

fun runSequential(c: Contender, calls: Int, tag: String, stats: Stats?) {
    val t0 = System.nanoTime()
    for (i in 0 until calls) {
        val start = System.nanoTime()
        c.call("$tag $i")
        stats?.seqLatencies?.add(System.nanoTime() - start)
    }
    stats?.seqThroughputs?.add(calls / ((System.nanoTime() - t0) / 1e9))
}

fun runConcurrent(c: Contender, calls: Int, tag: String, stats: Stats?) {
    val latencies = LongArray(calls)
    val t0 = System.nanoTime()
    c.concurrent(calls, tag, latencies)
    val seconds = (System.nanoTime() - t0) / 1e9
    stats?.concLatencies?.addAll(latencies.toList())
    stats?.concThroughputs?.add(calls / seconds)
}

fun percentileUs(values: List<Long>, p: Double): Double {
    val sorted = values.sorted()
    return sorted[((sorted.size - 1) * p).toInt()] / 1e3
}

fun median(values: List<Double>): Double = values.sorted()[values.size / 2]

fun main(args: Array<String>) {
    if (args.size != 1) {
        System.err.println("usage: BenchKt <base url of a local enjo-mock started with --rate-limit off>")
        exitProcess(2)
    }
    val base = args[0]
    val enjo = EnjoContender(base)
    val http = HttpClientContender(base)
    val contenders = listOf(enjo, http)
    val stats = contenders.associateWith { Stats() }

    for (round in 0 until WARMUP_ROUNDS) {
        for (c in contenders) {
            runSequential(c, SEQ_CALLS, "warm-up $round", null)
            runConcurrent(c, CONC_CALLS / 2, "warm-up $round", null)
        }
    }
    for (rep in 0 until REPS) {
        val order = if (rep % 2 == 0) contenders else contenders.reversed()
        for (c in order) runSequential(c, SEQ_CALLS, "seq $rep", stats.getValue(c))
        for (c in order) runConcurrent(c, CONC_CALLS, "conc $rep", stats.getValue(c))
    }

    val e = stats.getValue(enjo)
    val h = stats.getValue(http)
    val seqRatio = percentileUs(e.seqLatencies, 0.5) / percentileUs(h.seqLatencies, 0.5)
    val concRatio = median(e.concThroughputs) / median(h.concThroughputs)
    fun f(x: Double, d: Int = 0) = "%,.${d}f".format(x)
    println(
        "enjo (Kotlin) vs java.net.http.HttpClient + org.json, one enjo-mock (limits off), " +
            "${Runtime.getRuntime().availableProcessors()} CPUs, Java ${System.getProperty("java.version")}",
    )
    println(
        "$REPS interleaved repetitions after $WARMUP_ROUNDS warm-up rounds: $SEQ_CALLS sequential calls and " +
            "$CONC_CALLS calls with $IN_FLIGHT in flight each; p50/p99 over all calls, throughput = median repetition",
    )
    println("                                   enjo          HttpClient     ratio    target")
    println(
        "  sequential p50 (µs/call)  ${f(percentileUs(e.seqLatencies, 0.5)).padStart(12)}  " +
            "${f(percentileUs(h.seqLatencies, 0.5)).padStart(12)}  ${f(seqRatio, 2).padStart(8)}    ≤ 1.00",
    )
    println(
        "  sequential p99 (µs/call)  ${f(percentileUs(e.seqLatencies, 0.99)).padStart(12)}  " +
            "${f(percentileUs(h.seqLatencies, 0.99)).padStart(12)}  " +
            "${f(percentileUs(e.seqLatencies, 0.99) / percentileUs(h.seqLatencies, 0.99), 2).padStart(8)}",
    )
    println(
        "  sequential (calls/s)      ${f(median(e.seqThroughputs)).padStart(12)}  " +
            "${f(median(h.seqThroughputs)).padStart(12)}  ${f(median(e.seqThroughputs) / median(h.seqThroughputs), 2).padStart(8)}",
    )
    println(
        "  $IN_FLIGHT in flight p50 (µs/call) ${f(percentileUs(e.concLatencies, 0.5)).padStart(10)}  " +
            "${f(percentileUs(h.concLatencies, 0.5)).padStart(12)}  " +
            "${f(percentileUs(e.concLatencies, 0.5) / percentileUs(h.concLatencies, 0.5), 2).padStart(8)}",
    )
    println(
        "  $IN_FLIGHT in flight p99 (µs/call) ${f(percentileUs(e.concLatencies, 0.99)).padStart(10)}  " +
            "${f(percentileUs(h.concLatencies, 0.99)).padStart(12)}  " +
            "${f(percentileUs(e.concLatencies, 0.99) / percentileUs(h.concLatencies, 0.99), 2).padStart(8)}",
    )
    println(
        "  $IN_FLIGHT in flight (calls/s)   ${f(median(e.concThroughputs)).padStart(10)}  " +
            "${f(median(h.concThroughputs)).padStart(12)}  ${f(concRatio, 2).padStart(8)}    ≥ 1.50",
    )
    println("  throughput per repetition: enjo ${e.concThroughputs.map { f(it) }}, HttpClient ${h.concThroughputs.map { f(it) }}")
    enjo.close()
}
