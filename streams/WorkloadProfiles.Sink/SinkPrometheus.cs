using Prometheus;
using WorkloadProfiles.Operations;

namespace WorkloadProfiles.Sink;

/// <summary>
/// The sink's <c>/healthz</c> (200 while it consumes, after the migrations) and <c>/metrics</c> (<see cref="SinkMetrics"/>
/// as Prometheus metrics) on <c>Sink:MetricsAddress</c>:<c>Sink:MetricsPort</c> — for <c>wp-sink run</c> and the sink
/// inside <c>wp-local</c> alike.
/// </summary>
public static class SinkPrometheus
{
    /// <summary>Starts the endpoint, or returns null when <c>Sink:MetricsPort</c> is 0.</summary>
    public static async Task<OperationsServer?> StartAsync(ClickHouseSink sink, SinkOptions options, CancellationToken cancellationToken)
    {
        if (options.MetricsPort <= 0) return null;
        return await OperationsServer.StartAsync(options.MetricsAddress, options.MetricsPort,
            _ => Task.FromResult(sink.Consuming ? Health.Up("consuming") : Health.Down("starting: waiting for ClickHouse migrations and the consumer group")),
            Registry(sink.Metrics), "Sink:MetricsAddress, Sink:MetricsPort", cancellationToken);
    }

    /// <summary>A registry whose gauges are copied from <paramref name="metrics"/> at scrape time.</summary>
    public static CollectorRegistry Registry(SinkMetrics metrics)
    {
        var registry = Metrics.NewCustomRegistry();
        var factory = Metrics.WithCustomRegistry(registry);
        var records = factory.CreateGauge("wp_sink_records_total", "Records by outcome (consumed, written, tombstone).", "outcome");
        var rows = factory.CreateGauge("wp_sink_rows_total", "ClickHouse rows by outcome (inserted, rejected).", "outcome");
        var inserts = factory.CreateGauge("wp_sink_inserts_total", "INSERT statements that succeeded (ClickHouse makes a part of each).");
        var insertFailures = factory.CreateGauge("wp_sink_insert_failures_total", "Insert attempts that failed because ClickHouse was unavailable (retried).");
        var deadLettered = factory.CreateGauge("wp_sink_dead_lettered_total", "Records sent to the dead-letter topic, by reason.", "reason");
        var commitFailures = factory.CreateGauge("wp_sink_commit_failures_total", "Offset commits that failed after a successful insert.");
        var abandoned = factory.CreateGauge("wp_sink_batches_abandoned_total", "Uncommitted batches dropped on a rebalance.");
        var pauses = factory.CreateGauge("wp_sink_pauses_total", "Times fetching was paused because a write outlasted the back-pressure wait (ClickHouse slow or down).");
        var lag = factory.CreateGauge("wp_sink_lag_records", "Records on the assigned partitions not yet committed.");
        // Counters live in SinkMetrics (no Prometheus dependency in the sink loop); they are copied at scrape time.
        registry.AddBeforeCollectCallback(() =>
        {
            records.WithLabels("consumed").Set(metrics.RecordsConsumed);
            records.WithLabels("written").Set(metrics.RecordsWritten);
            records.WithLabels("tombstone").Set(metrics.Tombstones);
            rows.WithLabels("inserted").Set(metrics.RowsInserted);
            rows.WithLabels("rejected").Set(metrics.RowsRejected);
            inserts.Set(metrics.Inserts);
            insertFailures.Set(metrics.InsertFailures);
            foreach (var (reason, count) in metrics.DeadLetteredByReason) deadLettered.WithLabels(reason).Set(count);
            commitFailures.Set(metrics.CommitFailures);
            abandoned.Set(metrics.BatchesAbandoned);
            pauses.Set(metrics.Pauses);
            lag.Set(metrics.Lag);
        });
        return registry;
    }
}
