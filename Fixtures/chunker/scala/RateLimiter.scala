package example.http

import scala.concurrent.duration._

/** Allows at most `limit` requests per window. */
class RateLimiter(limit: Int, window: FiniteDuration) {
  private var count = 0

  /** Whether one more request may pass now. */
  @deprecated("use tryAcquire", "1.2")
  def allow(): Boolean = {
    count += 1
    count <= limit
  }

  def reset(): Unit = count = 0
}

object RateLimiter {
  def perSecond(limit: Int): RateLimiter = new RateLimiter(limit, 1.second)
}

trait Backoff {
  def delay(attempt: Int): FiniteDuration

  def maxAttempts: Int = 5
}

case class Exponential(base: FiniteDuration) extends Backoff {
  override def delay(attempt: Int): FiniteDuration =
    base * math.pow(2, attempt).toLong
}

enum Decision {
  case Allow, Deny
}

// Picks a decision from the limiter's answer.
def decide(limiter: RateLimiter): Decision =
  if (limiter.allow()) Decision.Allow else Decision.Deny
