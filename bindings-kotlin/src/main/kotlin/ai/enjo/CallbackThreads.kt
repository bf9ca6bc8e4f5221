package ai.enjo

import ai.enjo.ffi.uniffiRustFutureContinuationCallbackImpl
import com.sun.jna.CallbackThreadInitializer
import com.sun.jna.Native

/**
 * Keeps core's runtime threads attached to the JVM between the wake-ups they deliver.
 *
 * Each call's reply reaches Kotlin through uniffi's continuation callback, invoked by JNA on a
 * tokio worker thread. By default JNA attaches such a native thread to the JVM for the callback
 * and detaches it afterwards, which costs a Java `Thread` object per call. Left attached (as
 * daemon threads, so they never hold the JVM open; JNA detaches them when they end), the same
 * few runtime threads are reused for every call.
 */
internal object CallbackThreads {
    init {
        Native.setCallbackThreadInitializer(
            uniffiRustFutureContinuationCallbackImpl,
            CallbackThreadInitializer(true, false, "enjo-runtime"),
        )
    }

    /** Runs the initializer above once (class initialization is thread-safe). */
    fun install() = Unit
}
