package ai.enjo

import ai.enjo.ffi.ErrorInfo
import ai.enjo.ffi.NativeException
import ai.enjo.ffi.errorKinds
import ai.enjo.ffi.sampleInternalError
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

class ErrorKindsTest {
    /** The kinds whose errors come from an HTTP reply: their classes are [ApiException]s. */
    private val apiKinds = setOf("invalid_request", "authentication", "not_found", "rate_limited", "server", "api")

    private fun sample(kind: String) = ErrorInfo(
        kind = kind, message = "sample", display = "sample", status = null, code = null, body = null,
        retryAfter = null, requestId = null, serverRequestId = null, mayHaveBeenSent = false,
    )

    @Test
    fun `every core error kind has its own exception class`() {
        val kinds = errorKinds() // core's ErrorKind::ALL
        assertTrue(kinds.size >= 11, "$kinds")
        val classes = kinds.map { kind ->
            val make = EXCEPTION_BY_KIND[kind]
            assertTrue(make != null, "core's error kind '$kind' has no Kotlin class: add one in Errors.kt")
            val e = make!!(sample(kind))
            assertEquals(kind, e.kind)
            assertEquals(kind in apiKinds, e is ApiException, "$kind: ${e::class.simpleName}")
            e::class
        }
        assertEquals(kinds.size, classes.toSet().size, "one class per kind: $classes")
        assertEquals(kinds.toSet(), EXCEPTION_BY_KIND.keys, "no class for a kind core does not have")
    }

    @Test
    fun `a kind the Kotlin layer does not know is reported as an InternalException`() {
        val e = sample("brand_new").toException()
        assertTrue(e is InternalException)
        assertTrue(e.message!!.contains("brand_new"), e.message)
    }

    @Test
    fun `core's internal errors arrive as InternalException`() {
        val e = assertThrows<InternalException> { mapErrors { sampleInternalError() } }
        assertTrue(e.message!!.contains("bug in enjo"), e.message)
        // And the generated error type is what the native layer throws.
        assertThrows<NativeException.Failure> { sampleInternalError() }
    }
}
