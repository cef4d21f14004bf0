package com.example.http

import kotlin.math.min

/**
 * How often and how long to wait between attempts of a failed request.
 */
@Serializable
data class RetryPolicy(val attempts: Int, val baseDelayMillis: Long) {

    init {
        require(attempts > 0) { "attempts must be positive" }
    }

    constructor(attempts: Int) : this(attempts, 100L) {
        println("default delay")
    }

    /** Delay before the given attempt, doubling each time. */
    fun delayFor(attempt: Int): Long {
        val factor = 1L shl min(attempt, 20)
        return baseDelayMillis * factor
    }

    companion object {
        fun none(): RetryPolicy = RetryPolicy(1, 0)
    }
}

interface Transport {
    suspend fun send(request: String): String
}

object Clients {
    @JvmStatic
    fun retrying(transport: Transport, policy: RetryPolicy): Transport = object : Transport {
        override suspend fun send(request: String): String {
            return transport.send(request)
        }
    }
}

enum class Status(val code: Int) {
    OK(200),
    NOT_FOUND(404);

    fun isError(): Boolean = code >= 400
}

// Parses "3x100" into a policy.
fun parsePolicy(text: String): RetryPolicy {
    val (attempts, delay) = text.split("x")
    return RetryPolicy(attempts.toInt(), delay.toLong())
}
