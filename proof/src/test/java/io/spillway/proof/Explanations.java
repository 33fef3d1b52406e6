package io.spillway.proof;

/** The causes behind the numbers, written into the report under the table. */
final class Explanations {
  private Explanations() {}

  static final String TEXT = """
      ## Why duplicates, rejections and the everysec row look the way they do

      - **Duplicates** are the at-least-once price, each with a known cause: the bridge re-produces the
        entries it had read but not yet XACKed when it died (stable consumer name: the restarted bridge re-reads
        its own pending list); delivery re-sends what it had sent but not yet committed as done (up to
        ~1 s of sends plus the requests in flight, `delivery/README.md`); a Kafka produce that timed out is
        produced again. Every copy carries the same `spillway.id`, so downstream can tell.
      - **Rejected / no answer** are not losses: the client was told nothing was stored (503 while Redis is
        down, connection refused while the edge restarts, 400/401 for malformed input) and an SDK keeps or
        drops the event itself. *Delivered although the client got no 200* = the event was stored but the
        client never saw the 200: the edge died after its XADD and before answering, or Redis was SIGKILLed
        after executing (and, with AOF `always`, fsyncing) an XADD but before sending its reply, so the edge
        answered 503; or the edge's Redis command timed out (`redis.command_timeout`, 1 s; `503` with reason
        `redis_timeout` on the busy machine) and the XADD still completed afterwards. A 503 from the edge
        therefore means "maybe stored". An SDK that sends it again makes a duplicate, never a loss.
      - **Sends skipped**: the load generator keeps at most 512 requests in flight; when the edge answers
        slower than that allows (JIT warm-up, the machine saturated by other builds), the generator skips
        sends instead of queueing them, so the offered rate is lower than nominal. Skipped sends have no id
        and are not in any other column.
      - **Redis AOF `everysec`**: with `everysec` Redis `write()`s the AOF on every event-loop turn and only
        `fsync`s once a second. A SIGKILL of the redis-server *process* leaves the written pages in the
        kernel, so they survive the restart: this suite (which can only kill processes) measures 0 lost
        for it, and that is the honest number for a process crash. The real everysec window is a **host**
        crash or power loss: up to ~1 s (more if the disk stalls: Redis postpones the fsync up to 2 s) of
        acknowledged events — at the offered rate, roughly `rate × 1–2 s` events — can be gone. Use
        `appendfsync always` (the project default in these tests) if that window is not acceptable.
      - **Malformed input** never reaches Kafka: the edge refuses it before it is stored. A well-formed event
        for a project the upstream rejects (401) is acknowledged by the edge (it cannot know) and dead-lettered
        by delivery with reason `http_401`; none of them reached the upstream as accepted. The pipeline runs
        with data scrubbing on; one in six malformed-stream requests is a valid event full of personal data,
        scrubbed by the edge and delivered; the upstream answers 422 to a body still carrying any of it, so a
        leak would appear as DLQ reason `http_422`.
      """;
}
