package dev.pymode.operator.api.v1alpha1.worker;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.ValidationRule;

/**
 * Where the worker's Python runs on Cloudflare (worker/README.md "Routing policy"). The operator writes it into the
 * Worker's PYMODE_ROUTING, PYMODE_SHARDS, PYMODE_SHARD_KEY and PYMODE_POOL_MAX_REQUESTS vars.
 */
@ValidationRule(value = "(!has(self.shards) && !has(self.shardKey)) || (has(self.mode) && self.mode == 'sharded')",
        message = "shards and shardKey apply to mode sharded only")
@ValidationRule(value = "!has(self.maxRequestsPerInstance) || !has(self.mode) || self.mode == 'isolate'",
        message = "maxRequestsPerInstance applies to mode isolate only")
public class WorkerRouting {

    /** The Worker's routing modes; the JSON names are the values of PYMODE_ROUTING. */
    public enum Mode {
        @JsonProperty("isolate") ISOLATE,
        @JsonProperty("single") SINGLE,
        @JsonProperty("sharded") SHARDED,
        @JsonProperty("per-request") PER_REQUEST;

        /** The value of the Worker's PYMODE_ROUTING var. */
        public String varValue() {
            return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        }
    }

    @JsonPropertyDescription("isolate: a pool of Python instances in the Worker isolate near each user, serving a "
            + "coroutine handler's requests concurrently; single: every request in one Durable Object, one at a "
            + "time (one place and serial state); sharded: shards Durable Objects; per-request: a new Durable "
            + "Object per request. Unset: the project's `[tool.pymode] routing`, else isolate.")
    private Mode mode;

    @JsonPropertyDescription("Mode sharded: the number of Durable Objects (default 4).")
    @Min(1)
    @Max(1024)
    private Integer shards;

    @JsonPropertyDescription("Mode sharded: a request header whose value picks the shard (e.g. cf-connecting-ip), "
            + "so one client sticks to one warm instance; unset spreads requests at random.")
    @Pattern("^[A-Za-z0-9-]{1,64}$")
    private String shardKey;

    @JsonPropertyDescription("Mode isolate: requests one Python instance serves before it is replaced; 1 gives every "
            + "request a fresh interpreter (nothing left over from earlier requests). Unset: no limit.")
    @Min(1)
    private Integer maxRequestsPerInstance;

    public Mode getMode() { return mode; }
    public void setMode(Mode mode) { this.mode = mode; }
    public Integer getShards() { return shards; }
    public void setShards(Integer shards) { this.shards = shards; }
    public String getShardKey() { return shardKey; }
    public void setShardKey(String shardKey) { this.shardKey = shardKey; }
    public Integer getMaxRequestsPerInstance() { return maxRequestsPerInstance; }
    public void setMaxRequestsPerInstance(Integer maxRequestsPerInstance) { this.maxRequestsPerInstance = maxRequestsPerInstance; }
}
