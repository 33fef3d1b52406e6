/**
 * The status page ({@code /status} on an admin port, {@link io.spillway.runtime.status.StatusPage})
 * and {@code spillway status}, both from {@link io.spillway.runtime.status.PipelineStatus}.
 *
 * <p>Choices worth knowing:
 * <ul>
 *   <li>Fed only by scraping the three services' {@code /metrics} (Prometheus text) and
 *       {@code /readyz}: the page needs no code in the services, and shows exactly what
 *       Prometheus/Grafana see. A service that does not answer shows as UNREACHABLE and its
 *       figures as "–" (unknown), never as 0.</li>
 *   <li>Rates are counter differences between two scrapes (at least {@code minInterval} apart; a
 *       counter that went down means a restart and counts from 0). The first scrape has no rates.</li>
 *   <li>Backlog = the bridge's {@code spillway_bridge_redis_backlog_*} gauges (XLEN, XPENDING, age of
 *       the first entry; sampled by the bridge every second); several bridges reporting one stream
 *       are one stream (max, not sum). Lag = delivery's consumer
 *       {@code kafka_consumer_fetch_manager_records_lag} on the events topic only (Kafka writes the
 *       topic with '.' as '_'; the restore consumer's changelog lags are left out). This is the
 *       consumer's position lag, and it vanishes when delivery is down. So the page also shows
 *       Kafka's own view when given a {@link io.spillway.runtime.status.GroupLag} (the launcher's
 *       uses an AdminClient: log end − committed offset of the group {@code delivery.application_id},
 *       the consumer-group tool's LAG), which keeps counting while delivery is down. Delivery files
 *       every record into its store at once, so with delivery running both stay near 0 even while
 *       an upstream is held: held events wait in delivery's store, not in Kafka.</li>
 *   <li>An upstream is held while {@code spillway_delivery_held_until_seconds} is in the future
 *       (row {@code class="upstream held"}, with the time).</li>
 *   <li>"Filtered and capped" (shown when there is something to show): events the edge's inbound
 *       filters dropped, per route and filter ({@code spillway_filtered_total}), and the quota guard's
 *       drops per route and the issues it caps now ({@code spillway_quota_guard_dropped_total},
 *       {@code spillway_quota_guard_capped}); tables {@code #filtered}, {@code #capped}.</li>
 *   <li>The HTML has no script and no external asset (closed networks); a few lines of inline script
 *       fetch the page again every 2 s and swap the body (a meta refresh keeps headless Chromium's
 *       {@code --dump-dom} from finishing).
 *       Stable ids for tools and tests: {@code backlog}, {@code pending}, {@code oldest-age},
 *       {@code lag-total} (consumer metric), {@code group-lag-total} (Kafka's view),
 *       {@code edge-accepted-rate}, {@code bridge-rate}, rows
 *       {@code tr.service.up|not-ready|unreachable}, {@code tr.partition[data-partition]},
 *       {@code tr.upstream[.held]}, at a central site {@code tr.datacenter[data-datacenter]} (classes
 *       {@code gap}, {@code unreachable}; cells {@code mirror-lag}, {@code mirror-lag-seconds},
 *       {@code gap-records}, {@code delivery-lag}, {@code delivery-group-lag}); each figure carries its raw
 *       number in {@code data-value}.</li>
 *   <li>Which services the page shows follows the config's {@code Role} (central: mirror and delivery,
 *       with lag per source topic; datacenter: edge and bridge; single site: all three).
 *       {@code ?format=text} gives the terminal view.</li>
 * </ul>
 */
package io.spillway.runtime.status;
