/*
 * The configuration table: every tunable number of PRODUCT.md, once. It drives parsing,
 * validation, defaults, `xsell config --list` and the README reference.
 *
 * X(key, field, type, default, min, max, description)
 *   type: INT (int64), DUR (duration, ms), MONEY (int64 minor units), DBL (double),
 *         BOOL, STR (with the accepted words in min as "a|b", max unused), BYTES (a size:
 *         "1GiB", "512MiB", bytes).
 */
#ifndef XS_CONF_TABLE_H
#define XS_CONF_TABLE_H

#define XS_DAY_MS  (86400000LL)
#define XS_HOUR_MS (3600000LL)
/* The largest journey.lead_max_emails: the per-customer list of a lead period's products. */
#define XS_LEAD_MAX_EMAILS 64

#define XS_CONF_TABLE(X)                                                                           \
        X("window.size", window_size, DUR, "7d", 60000, 366 * XS_DAY_MS,                           \
          "Sliding co-occurrence window over event time; 0 is not allowed")                        \
        X("window.pane", window_pane, DUR, "5m", 1000, 30 * XS_DAY_MS,                             \
          "Pane length: counts are exact at this granularity; must divide window.size")            \
        X("window.allowed_lateness", allowed_lateness, DUR, "10m", 0, 7 * XS_DAY_MS,               \
          "Events older than the newest event time minus this are late: counted and skipped")      \
        X("window.visibility", window_visibility, STR, "sealed", "sealed|immediate", 0,            \
          "sealed: an event is scored on the panes every input partition has sealed (time minus "  \
          "window.allowed_lateness, per partition), so offers depend on the input alone; "         \
          "immediate: on every count so far (fresher, but depends on how partitions interleave)")  \
        X("window.idle_seal", window_idle_seal, DUR, "30s", 0, 366 * XS_DAY_MS,                    \
          "A partition read to its end for this long (wall clock) stops holding sealed panes "     \
          "back (counted in partitions_idle_sealed); determinism holds while none idles")          \
        X("window.max_held_bytes", window_max_held_bytes, BYTES, "64MiB", 4096, 1LL << 40,         \
          "Input held until the panes it needs are sealed: beyond this the partitions ahead are "  \
          "paused until the one behind catches up (counted in partitions_paused)")                 \
        X("state.share_panes", state_share_panes, BOOL, "false", 0, 0,                             \
          "With window.visibility=sealed: publish the panes this instance seals to "               \
          "<application.id>-cooccurrence-panes and apply every other instance's, so that each "    \
          "learns from all partitions; on wherever several instances share a group "               \
          "(README \"Internal topics\")")                                                          \
        X("state.durable_markers", state_durable_markers, BOOL, "true", 0, 0,                      \
          "With state.share_panes and state.changelog under at_least_once: a seal marker waits "   \
          "until the customers changelog holds its point (a changelog write and two "              \
          "acknowledgements per pane while instances step together), so that a partition taken "   \
          "over after a crash or a lost session is not read again behind the others' step "        \
          "(README \"Internal topics\")")                                                          \
        X("window.expiry_batch", expiry_batch, INT, "256", 1, 1000000000,                          \
          "Pane entries subtracted per event while a pane expires (bounds the work per event)")    \
        X("window.max_draining", max_draining, INT, "4", 1, 64,                                    \
          "Expired panes allowed to drain concurrently; older ones are then drained at once")      \
        X("window.unbounded", window_unbounded, BOOL, "false", 0, 0,                               \
          "Never expire panes (all-time counts, e.g. for `xsell pairs` on basket files)")          \
        X("cooc.max_pairs", max_pairs, INT, "4000000", 1000, 2000000000,                           \
          "Cap on distinct pairs in the window; increments for new pairs beyond it are dropped")   \
        X("cooc.max_basket_items", max_basket_items, INT, "50", 2, 65535,                          \
          "Items of one order or cart paired with each other; further items are not paired "       \
          "(counted in basket_items_truncated)")                                                   \
        X("cooc.customer_horizon", customer_horizon, DUR, "7d", 0, 366 * XS_DAY_MS,                \
          "A customer episode: a customer's purchases this long from the first are one "           \
          "transaction of the customer relation")                                                  \
        X("cooc.max_history", max_history, INT, "32", 1, 4096,                                     \
          "Distinct purchased products remembered per customer, newest purchase of each "          \
          "(customer pairs, buy-again)")                                                           \
        X("cooc.max_recent_views", max_recent_views, INT, "8", 0, 256,                             \
          "Viewed products remembered per customer for co-view and view-then-buy pairs")           \
        X("cooc.view_span", view_span, DUR, "30m", 0, 7 * XS_DAY_MS,                               \
          "Views this close in event time form a co-view pair; views this recent before a "        \
          "purchase are its view-buy side")                                                        \
        X("cooc.min_support", min_support, INT, "2", 1, 1000000000,                                \
          "Minimum pair count (purchase relations for cross-sell) before a pair may be offered")   \
        X("cooc.min_score", min_score, DBL, "3.84", -1e9, 1e9,                                     \
          "Minimum signed score: LLR 3.84 is p < 0.05; with cooc.score=lift, a lift such as 1.5; " \
          "with cooc.score=count, a weighted pair count")                                          \
        X("cooc.score", score, STR, "llr", "llr|lift|count", 0,                                    \
          "Ranking score: signed log-likelihood ratio (Dunning), lift, or count (the raw "         \
          "weighted "                                                                              \
          "pair count, no significance: a baseline for `xsell evaluate`)")                         \
        X("cooc.rank", rank, STR, "basket", "score|support|basket", 0,                             \
          "Order of the complements that pass cooc.min_score and cooc.min_support: basket (the "   \
          "weighted pair count k11 summed over every cart or order item the product is "           \
          "positively associated with, once it is a significant complement of one of them), "      \
          "score (the best pair's score itself) or support (the best pair's k11)")                 \
        X("weight.view", weight_view, INT, "1", 0, 1000, "Weight of a co-view pair in scores")     \
        X("weight.cart", weight_cart, INT, "3", 0, 1000,                                           \
          "Weight of a cart pair in scores; a removal from the cart subtracts it")                 \
        X("weight.purchase", weight_purchase, INT, "5", 0, 1000,                                   \
          "Weight of the purchase relations (same order, same customer, view-then-buy)")           \
        X("customers.max", max_customers, INT, "1000000", 1, 2000000000,                           \
          "Customers tracked; the least recently active is evicted beyond it")                     \
        X("memory.budget", memory_budget, BYTES, "1GiB", 0, 1LL << 50,                             \
          "Bytes the engine's state may hold (customers with their ids, products, ladders, "       \
          "pairs, timers, dedup; the memory_bytes gauge): beyond it new pairs and new products "   \
          "are refused and the least recently active customers evicted, each counted "             \
          "(memory_*); 0: no budget, only the count caps")                                         \
        X("catalog.max_products", max_products, INT, "2000000", 1, 2000000000,                     \
          "Products known; new products beyond it are not added")                                  \
        X("catalog.learn_from_events", learn_from_events, BOOL, "true", 0, 0,                      \
          "Learn category, brand and price of unknown products from event line items")             \
        X("journey.cart_abandon_timeout", cart_abandon_timeout, DUR, "30m", 60000, 30 * XS_DAY_MS, \
          "A cart with no change, checkout or purchase for this long is abandoned")                \
        X("journey.onboarding_period", onboarding_period, DUR, "14d", 0, 366 * XS_DAY_MS,          \
          "Quiet period after a purchase: no upsell until it ends or value is realized")           \
        X("journey.onboarding_complement_horizon", onboarding_complement_horizon, DUR, "3d", 0,    \
          366 * XS_DAY_MS, "Short-lived complements of a purchase are offered only this long")     \
        X("journey.undecided_min_products", undecided_min_products, INT, "4", 2, 1000,             \
          "Distinct products of one category viewed within journey.undecided_span: UNDECIDED")     \
        X("journey.undecided_span", undecided_span, DUR, "15m", 1000, 7 * XS_DAY_MS,               \
          "Span of the UNDECIDED rule")                                                            \
        X("journey.lead_after", lead_after, DUR, "3d", 0, 366 * XS_DAY_MS,                         \
          "A subscriber with no purchase this long after SUBSCRIBE becomes a LEAD")                \
        X("journey.lead_interval", lead_interval, DUR, "7d", XS_HOUR_MS, 366 * XS_DAY_MS,          \
          "At most one LEAD downsell e-mail per this interval")                                    \
        X("journey.lead_max_emails", lead_max_emails, INT, "4", 1, XS_LEAD_MAX_EMAILS,             \
          "LEAD downsell e-mails, each of another product, before the series stops unanswered "    \
          "(no purchase); counted in lead_stopped")                                                \
        X("journey.browsing_offers", browsing_offers, BOOL, "false", 0, 0,                         \
          "Offer complements on product views while BROWSING (off: it annoys)")                    \
        X("timers.max_fire_per_event", max_timer_fires, INT, "1000", 1, 1000000000,                \
          "Journey timers fired per event or advance; the rest fire on the next call")             \
        X("dedup.capacity", dedup_capacity, INT, "200000", 0, 1000000000,                          \
          "Event ids remembered for duplicate suppression (0: off)")                               \
        X("dedup.horizon", dedup_horizon, DUR, "1d", 0, 366 * XS_DAY_MS,                           \
          "Event ids are forgotten this long (event time) after they were seen")                   \
        X("event.max_items", event_max_items, INT, "1000", 1, 1000000,                             \
          "Line items allowed in one event; more is a contract violation")                         \
        X("event.max_id_bytes", event_max_id_bytes, INT, "256", 8, 1048576,                        \
          "Longest id in bytes (event, customer, session, order, offer and product ids, of "       \
          "events "                                                                                \
          "and catalog records); a longer one is a contract violation (rejected_long_string)")     \
        X("event.max_label_bytes", event_max_label_bytes, INT, "1024", 8, 1048576,                 \
          "Longest category, brand, category label or add-on kind in bytes; longer is a "          \
          "contract violation (rejected_long_string)")                                             \
        X("event.max_ahead", event_max_ahead, DUR, "30d", 0, 3660 * XS_DAY_MS,                     \
          "An event this far ahead of stream time (the newest accepted event time) is a "          \
          "contract violation: rejected, so it cannot make later events late. The first event "    \
          "is not bounded; a longer pause is confirmed by event.max_ahead_confirm (0: off)")       \
        X("event.max_ahead_confirm", event_max_ahead_confirm, INT, "100", 0, 1000000,              \
          "Consecutive events beyond event.max_ahead, each within it of the first, that prove "    \
          "the stream moved on (a pause, not a poison record): stream time moves to the first "    \
          "of them and the last passes; the others stay dead-lettered (stream_time_jumps; 0: "     \
          "never)")                                                                                \
        X("event.max_quantity", event_max_quantity, INT, "10000", 1, 1000000000,                   \
          "Largest quantity on a line item; more is a contract violation")                         \
        X("event.max_unit_price", event_max_unit_price, MONEY, "100000000", 1,                     \
          4000000000000000000LL,                                                                   \
          "Largest unit price in minor units; more is a contract violation")                       \
        X("offer.max_items", offer_max_items, INT, "3", 1, 8,                                      \
          "Products per cross-sell or upsell offer (a downsell offers exactly one)")               \
        X("offer.max_anchors", offer_max_anchors, INT, "50", 1, 4096,                              \
          "Cart or order items (the priciest) whose complements a cross-sell considers; the "      \
          "rest are counted in anchors_truncated")                                                 \
        X("offer.ttl", offer_ttl, DUR, "1d", 60000, 366 * XS_DAY_MS,                               \
          "How long an on-site offer is valid (expires_at = created_at + ttl)")                    \
        X("offer.email_ttl", offer_email_ttl, DUR, "7d", 60000, 366 * XS_DAY_MS,                   \
          "How long an e-mail offer is valid")                                                     \
        X("upsell.min_ratio", upsell_min_ratio, DBL, "1.1", 1.0, 100.0,                            \
          "An upsell costs at least this multiple of the anchor's price")                          \
        X("upsell.max_ratio", upsell_max_ratio, DBL, "2.0", 1.0, 100.0,                            \
          "An upsell costs at most this multiple of the anchor's price")                           \
        X("upsell.rebuy_min_share", rebuy_min_share, DBL, "0.3", 0.0, 1.0,                         \
          "After a purchase, a better grade of the same category only where this share of the "    \
          "category's buyers in reorder.window bought in it again (0: every category)")            \
        X("upsell.rebuy_min_buyers", rebuy_min_buyers, INT, "10", 1, 1000000,                      \
          "Buyers a category needs in reorder.window before its repeat share is trusted; fewer: "  \
          "no better grade after a purchase (upsell_ladder_skipped_few_buyers)")                   \
        X("downsell.min_ratio", downsell_min_ratio, DBL, "0.4", 0.0, 1.0,                          \
          "A downsell costs at least this fraction of the anchor's price")                         \
        X("downsell.max_ratio", downsell_max_ratio, DBL, "0.9", 0.0, 1.0,                          \
          "A downsell costs at most this fraction of the anchor's price")                          \
        X("caps.per_day", caps_per_day, INT, "3", 0, 1000,                                         \
          "Offers per customer per event-time day (UTC)")                                          \
        X("caps.per_type_per_day", caps_per_type_per_day, INT, "2", 0, 1000,                       \
          "Offers of one type per customer per event-time day")                                    \
        X("caps.dismiss_cooldown", dismiss_cooldown, DUR, "3d", 0, 366 * XS_DAY_MS,                \
          "No offers for this long after OFFER_DISMISSED")                                         \
        X("guard.bought_horizon", bought_horizon, DUR, "30d", 0, 3660 * XS_DAY_MS,                 \
          "Never offer a product the customer bought this recently")                               \
        X("guard.max_bought", max_bought, INT, "1024", 1, 65535,                                   \
          "Products remembered per customer for guard.bought_horizon; beyond it the oldest are "   \
          "evicted and the guard turns stricter, never looser (guard_bought_evictions)")           \
        X("reorder.window", reorder_window, DUR, "180d", 0, 3660 * XS_DAY_MS,                      \
          "Buy again: re-purchase gaps are learned over this much event time, and a customer's "   \
          "purchases are remembered this long (guard.max_bought caps them); 0: no buy-again")      \
        X("reorder.min_buyers", reorder_min_buyers, INT, "5", 1, 32,                               \
          "Distinct repeat buyers a product needs in reorder.window before its re-purchase "       \
          "interval (the median gap of its last 32 re-purchases) is used")                         \
        X("reorder.max_gaps", reorder_max_gaps, INT, "1000000", 0, 1000000000,                     \
          "Re-purchase gaps kept over all products (12 bytes each); beyond it new gaps of "        \
          "products with no room are dropped (reorder_gaps_dropped)")                              \
        X("incentive.upgrade_percent", upgrade_percent, INT, "10", 0, 100,                         \
          "Percent off an upsell when the cart is at least incentive.upgrade_min_cart (0: off)")   \
        X("incentive.upgrade_min_cart", upgrade_min_cart, MONEY, "5000", 0, 4000000000000000000LL, \
          "Cart value (minor units) that qualifies for the upgrade discount")                      \
        X("incentive.free_shipping_threshold", free_shipping_threshold, MONEY, "5000", 0,          \
          4000000000000000000LL, "Cart value (minor units) that ships free (0: no free shipping)") \
        X("incentive.free_shipping_gap", free_shipping_gap, MONEY, "1500", 0,                      \
          4000000000000000000LL,                                                                   \
          "A cart this close below the threshold gets the gap-filler nudge")                       \
        X("incentive.bundle_percent", bundle_percent, INT, "5", 0, 100,                            \
          "Percent off a complementary set at checkout (0: off)")                                  \
        X("incentive.coupon_percent", coupon_percent, INT, "10", 0, 100,                           \
          "Next-purchase coupon attached to the post-purchase e-mail (0: off)")                    \
        X("incentive.coupon_valid", coupon_valid, DUR, "30d", XS_HOUR_MS, 3660 * XS_DAY_MS,        \
          "How long the next-purchase coupon is valid")                                            \
        X("attribution.window", attribution_window, DUR, "7d", 60000, 366 * XS_DAY_MS,             \
          "An offer converts when the customer buys one of its products within this time")         \
        X("attribution.max_pending", attribution_max_pending, INT, "8", 1, 256,                    \
          "Open offers remembered per customer for attribution (oldest dropped)")                  \
        X("control.share", control_share, DBL, "0.05", 0.0, 1.0,                                   \
          "Share of customers (by a hash of customer_id) held out as a control group")             \
        X("control.salt", control_salt, STR, "xsell", "", 0,                                       \
          "Salt of the control-group hash: change it to draw a new control group")                 \
        X("application.id", application_id, STR, "xsell", "", 0,                                   \
          "Consumer group id, client id prefix and transactional id prefix of `xsell run`")        \
        X("topic.events", topic_events, STR, "customer-events", "", 0,                             \
          "Input topic of customer events (key customer_id)")                                      \
        X("topic.catalog", topic_catalog, STR, "product-catalog", "", 0,                           \
          "Compacted catalog topic (key product_id; a null value deletes); empty: none")           \
        X("topic.offers", topic_offers, STR, "offers", "", 0,                                      \
          "Output topic of offers (key customer_id)")                                              \
        X("topic.signals", topic_signals, STR, "", "", 0,                                          \
          "Output topic of journey signals; empty: not published")                                 \
        X("topic.outcomes", topic_outcomes, STR, "", "", 0,                                        \
          "Output topic of offer outcomes; empty: not published")                                  \
        X("topic.dead_letter", topic_dead_letter, STR, "xsell-dead-letters", "", 0,                \
          "Dead-letter topic: records that cannot be decoded or break the contract")               \
        X("processing.guarantee", processing_guarantee, STR, "at_least_once",                      \
          "at_least_once|exactly_once", 0,                                                         \
          "at_least_once: commit after outputs are acknowledged; exactly_once: transactions")      \
        X("commit.interval", commit_interval, DUR, "1s", 10, XS_HOUR_MS,                           \
          "How often input offsets are committed (with the transaction, under exactly_once)")      \
        X("errors.tolerance", errors_tolerance, STR, "all", "all|none", 0,                         \
          "all: dead-letter bad records and go on; none: stop at the first bad record")            \
        X("headers.passthrough", headers_passthrough, STR, "traceparent,tracestate", "", 0,        \
          "Input record headers (comma-separated names, at most 16) copied onto the offers, "      \
          "signals and outcomes that record triggers (timer-fired outputs have none); empty: "     \
          "none")                                                                                  \
        X("errors.log.first", errors_log_first, INT, "10", 0, 1000000,                             \
          "Dead letters logged one by one (topic, partition, offset, stage, reason); later ones "  \
          "are counted by reason in summary lines")                                                \
        X("errors.log.interval", errors_log_interval, DUR, "30s", 1000, XS_HOUR_MS,                \
          "At most one summary line of dead letters (counts by reason) per this interval")         \
        X("errors.warn_consecutive", errors_warn_consecutive, INT, "100", 0, 1000000000,           \
          "This many input records in a row dead-lettered log a warning naming the likely cause "  \
          "(a wrong registry or schema ids) and flag the exit summary; 0: never")                  \
        X("shutdown.timeout", shutdown_timeout, DUR, "30s", 0, XS_HOUR_MS,                         \
          "Bound on a graceful shutdown: finish, flush, commit and close within this time")        \
        X("registry.url", registry_url, STR, "", "", 0,                                            \
          "Confluent Schema Registry URL; empty: registry-less, with the schema.id.* ids")         \
        X("registry.basic_auth", registry_basic_auth, STR, "", "", 0,                              \
          "user:password for the Schema Registry (empty: none)")                                   \
        X("registry.timeout", registry_timeout, DUR, "5s", 10, 300000,                             \
          "Timeout of one Schema Registry request")                                                \
        X("registry.retries", registry_retries, INT, "3", 0, 100,                                  \
          "Retries of a failed Schema Registry request (5xx, timeout, unreachable)")               \
        X("registry.auto_register", registry_auto_register, BOOL, "true", 0, 0,                    \
          "Register the output schemas under <topic>-value on start; false: only look them up "    \
          "(read-only registry credentials) and stop if one is not registered")                    \
        X("registry.failure_ttl", registry_failure_ttl, DUR, "5m", 0, 86400000,                    \
          "A schema id whose lookup failed after registry.retries while the registry served "      \
          "other requests makes its records poison this long without asking again (0: ask "        \
          "every time); when the registry serves nothing, processing waits instead")               \
        X("registry.failure_cache_max", registry_failure_cache_max, INT, "1024", 1, 1000000,       \
          "Failing schema ids remembered for registry.failure_ttl; beyond it the one that "        \
          "expires first is forgotten (schema_id_failure_evictions)")                              \
        X("schema.id.event", schema_id_event, INT, "1", 1, 2147483647,                             \
          "Registry-less mode: schema id of customer events in the wire format")                   \
        X("schema.id.product", schema_id_product, INT, "2", 1, 2147483647,                         \
          "Registry-less mode: schema id of catalog products")                                     \
        X("schema.id.offer", schema_id_offer, INT, "3", 1, 2147483647,                             \
          "Registry-less mode: schema id written on offers")                                       \
        X("schema.id.signal", schema_id_signal, INT, "4", 1, 2147483647,                           \
          "Registry-less mode: schema id written on journey signals")                              \
        X("schema.id.outcome", schema_id_outcome, INT, "5", 1, 2147483647,                         \
          "Registry-less mode: schema id written on offer outcomes")                               \
        X("state.restore", state_restore, STR, "replay", "replay|none", 0,                         \
          "On start: rebuild state by replaying each partition up to its committed offset")        \
        X("state.changelog", state_changelog, BOOL, "true", 0, 0,                                  \
          "Write each changed customer to <application.id>-customers-changelog at every commit, "  \
          "and restore a partition's customers from it when it is assigned (README \"Internal "    \
          "topics\")")                                                                             \
        X("state.restore_max_events", state_restore_max_events, INT, "5000000", 0, 1000000000,     \
          "Events replayed at most on start (the most recent are kept)")                           \
        X("catalog.bootstrap_timeout", catalog_bootstrap_timeout, DUR, "60s", 0, XS_HOUR_MS,       \
          "Time allowed to read the catalog topic to its end before processing events")            \
        X("run.idle_exit", run_idle_exit, DUR, "0", 0, 366 * XS_DAY_MS,                            \
          "Exit after the input has been idle at its end this long (0: run until signalled)")      \
        X("demo.drain", demo_drain, DUR, "1h", 0, 366 * XS_DAY_MS,                                 \
          "Demo: when the loaded input is done, move event time on this much (timers fire)")       \
        X("demo.partitions", demo_partitions, INT, "4", 1, 64,                                     \
          "Partitions of each topic of the embedded broker of `xsell demo`")                       \
        X("log.format", log_format, STR, "auto", "auto|json|plain", 0,                             \
          "Logs on stderr: json (one ECS object per line), plain (for a terminal) or auto (plain " \
          "on a terminal, json otherwise)")                                                        \
        X("log.level", log_level, STR, "info", "debug|info|warn|error", 0,                         \
          "Least level logged (librdkafka's own lines too: kafka.debug needs debug)")              \
        X("http.enable", http_enable, BOOL, "true", 0, 0,                                          \
          "`xsell run`/`demo`: serve /metrics, /livez and /readyz over HTTP (never in replay)")    \
        X("http.address", http_address, STR, "127.0.0.1", "", 0,                                   \
          "Address the HTTP endpoint listens on (0.0.0.0 or :: for every interface)")              \
        X("http.port", http_port, INT, "9464", 0, 65535,                                           \
          "Port of the HTTP endpoint (0: an ephemeral port, logged at start)")                     \
        X("http.debug", http_debug, BOOL, "false", 0, 0,                                           \
          "Serve the debug views /customers/ID and /products/ID/related (customer data: keep "     \
          "off where the endpoint is reachable by others)")                                        \
        X("http.live_timeout", http_live_timeout, DUR, "60s", 1000, XS_HOUR_MS,                    \
          "/livez fails when the processing loop made no progress this long; keep it above "       \
          "shutdown.timeout (a commit may wait that long)")                                        \
        X("http.max_connections", http_max_connections, INT, "16", 2, 1024,                        \
          "HTTP connections served at once (a thread each); beyond, a new one is refused "         \
          "(xsell_cap_hits_total{cap=\"http.max_connections\"})")                                  \
        X("http.connection_timeout", http_connection_timeout, DUR, "5s", 1000, 600000,             \
          "An HTTP connection idle this long is closed (bounds how long a silent client holds "    \
          "one of http.max_connections)")                                                          \
        X("debug.recent_offers", debug_recent_offers, INT, "0", 0, 64,                             \
          "Offers (with rule, anchor, trigger and per product score and evidence) each customer "  \
          "keeps for /customers/ID, newest last (0: none; ~400 bytes each, counted in "            \
          "memory_bytes; this process only, not restored)")                                        \
        X("http.max_lag_partitions", http_max_lag_partitions, INT, "4096", 1, 1000000,             \
          "Partitions per consumer whose xsell_consumer_lag is shown; beyond, counted in "         \
          "xsell_cap_hits_total{cap=\"http.max_lag_partitions\"}")

#endif
