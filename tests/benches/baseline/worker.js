// The least any Worker must do for a lead (bench-only, never deployed):
// read and parse the JSON body, one rate-limiter Durable Object call (the
// same fixed window as Leadform's RateLimiter: one storage read, one write),
// one D1 batch writing the body, 202 with a small JSON receipt. No
// validation, no seal, no idempotency or dedup reads. `cargo xtask bench
// edge` runs it beside Leadform's `POST /v1/submit` (tests/benches/system.rs).

const WINDOW_MS = 60_000;

export class RateLimiter {
  constructor(state) {
    this.state = state;
  }

  async fetch(request) {
    const query = await request.json();
    const now = Date.now();
    const start = now - (now % query.window_ms);
    const previous = await this.state.storage.get("window");
    const window =
      previous && previous.start === start
        ? { start, count: previous.count + 1 }
        : { start, count: 1 };
    await this.state.storage.put("window", window);
    const allowed = window.count <= query.limit;
    const retry_after_s = allowed ? 0 : Math.ceil((start + query.window_ms - now) / 1000);
    return Response.json({ allowed, retry_after_s });
  }
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (request.method !== "POST" || url.pathname !== "/v1/submit") {
      return new Response("not found", { status: 404 });
    }
    const text = await request.text();
    let body;
    try {
      body = JSON.parse(text);
    } catch {
      return new Response("malformed", { status: 400 });
    }
    const ip = request.headers.get("CF-Connecting-IP") || "unknown";
    const stub = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(`ip:${body.form_id}:${ip}`));
    const limited = await stub.fetch("https://rate-limiter/check", {
      method: "POST",
      body: JSON.stringify({ limit: 1_000_000, window_ms: WINDOW_MS }),
    });
    const decision = await limited.json();
    if (!decision.allowed) {
      return new Response("rate limited", { status: 429 });
    }
    const leadId = crypto.randomUUID();
    const receivedAt = Date.now();
    await env.DB.batch([
      env.DB.prepare(
        "INSERT INTO leads (lead_id, form_id, submission_id, received_at_ms, body) VALUES (?1, ?2, ?3, ?4, ?5)",
      ).bind(leadId, String(body.form_id), String(body.submission_id), receivedAt, text),
    ]);
    return Response.json(
      { lead_id: leadId, received_at: new Date(receivedAt).toISOString() },
      { status: 202 },
    );
  },
};
