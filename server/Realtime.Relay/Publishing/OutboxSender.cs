using Prometheus;
using Realtime.Pusher.Rest;
using Realtime.Pusher.Validation;
using Realtime.Relay.Cluster;
using Realtime.Relay.Storage;

namespace Realtime.Relay.Publishing;

/// <summary>
/// Publishes the outbox to Pusher in acceptance order, up to 10 events per batch call. While
/// Pusher is unreachable or answers 5xx it retries the same batch with growing back-off, so
/// order per channel holds; a 4xx is final for the event Pusher refused (logged, counted).
/// In a cluster it publishes only the senders it claimed (<see cref="ClaimedOutboxReader"/>, docs/cluster.md).
/// </summary>
public sealed class OutboxSender(
    Outbox outbox, ClaimedOutboxReader reader, PusherRestClient rest, IRelaySocketIds socketIds, ILogger<OutboxSender> log) : BackgroundService
{
    private static readonly Counter Published = Metrics.CreateCounter("relay_outbox_published_total", "Events published to Pusher from the outbox.");
    private static readonly Counter Rejected = Metrics.CreateCounter("relay_outbox_rejected_total", "Outbox events Pusher refused for good (4xx).");
    private static readonly Counter Retries = Metrics.CreateCounter("relay_outbox_retries_total", "Outbox batch attempts that failed and will be retried.");
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var failures = 0;
        var prunedAt = DateTime.MinValue;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (DateTime.UtcNow - prunedAt > TimeSpan.FromMinutes(10))
                {
                    await outbox.ForgetOldKeysAsync();
                    prunedAt = DateTime.UtcNow;
                }
                await using var claimed = await reader.NextAsync(PusherLimits.MaxEventsPerBatch);
                var batch = claimed.Entries;
                if (batch.Count == 0)
                {
                    await claimed.DisposeAsync(); // let go of senders whose entries another node completed meanwhile
                    await outbox.WaitForMoreAsync(TimeSpan.FromSeconds(1), stoppingToken);
                    continue;
                }
                try
                {
                    await PublishAsync(batch, stoppingToken);
                    failures = 0;
                }
                catch (Exception e) when (IsTransient(e) && !stoppingToken.IsCancellationRequested)
                {
                    failures++;
                    Retries.Inc();
                    var delay = Backoff(failures);
                    log.LogWarning("Publishing {Count} outbox events failed ({Reason}); retrying in {Delay:0.0} s",
                        batch.Count, e.Message, delay.TotalSeconds);
                    await Task.Delay(delay, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { return; }
            catch (Exception e)
            {
                // E.g. the database cannot be read or written right now: keep the loop, retry later.
                failures++;
                log.LogError("The outbox sender failed ({Reason}); retrying", e.Message);
                try { await Task.Delay(Backoff(failures), stoppingToken); }
                catch (OperationCanceledException) { return; }
            }
        }
    }

    private async Task PublishAsync(List<OutboxEntry> batch, CancellationToken ct)
    {
        try
        {
            await TriggerLettingAStopFinishAsync(batch, ct);
            Published.Inc(batch.Count);
            await RecordOnceStoredAsync(() => outbox.CompleteAsync(batch), $"{batch.Count} published outbox events", ct);
        }
        catch (Exception e) when (e is not OperationCanceledException && !IsTransient(e) && batch.Count > 1)
        {
            // One event spoiled the batch: send them one by one to find it, keeping order.
            foreach (var entry in batch) await PublishAsync([entry], ct);
        }
        catch (Exception e) when (e is not OperationCanceledException && !IsTransient(e))
        {
            var entry = batch[0];
            log.LogError("Pusher refused outbox event {Id} ({Event} on {Channel}) for good: {Reason}", entry.Id, entry.Event, entry.Channel, e.Message);
            Rejected.Inc();
            await RecordOnceStoredAsync(() => outbox.RejectAsync(entry), $"refused outbox event {entry.Id}", ct);
        }
    }

    /// <summary>
    /// A batch under way when the relay is asked to stop gets a few seconds to finish: cancelling the request after
    /// Pusher may have accepted it would leave the batch pending, and another node (or this one after a restart)
    /// would publish it again.
    /// </summary>
    private async Task TriggerLettingAStopFinishAsync(List<OutboxEntry> batch, CancellationToken stopping)
    {
        using var grace = new CancellationTokenSource();
        await using var onStop = stopping.Register(() => grace.CancelAfter(StopGrace));
        await rest.TriggerBatchAsync(batch.Select(ToBatchEvent).ToList(), grace.Token);
    }

    /// <summary>
    /// Pusher has answered; what it answered must now be stored. If storage is failing (Redis restarting, a full
    /// disk), keep retrying the record, never the publish: publishing again would deliver the batch twice. Only a
    /// relay stopped before storage recovers leaves the batch pending (published again later, docs/cluster.md "Outbox").
    /// </summary>
    private async Task RecordOnceStoredAsync(Func<Task> record, string what, CancellationToken stopping)
    {
        for (var failures = 1; ; failures++)
        {
            try
            {
                await record();
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException && !stopping.IsCancellationRequested)
            {
                log.LogWarning("Pusher accepted {What}, but storing that failed ({Reason}); retrying the store, not the publish",
                    what, StorageFailures.Describe(e));
                // Promptly, and no longer than a claim's renewal: once storage is back, this record must land before
                // a claim that lapsed meanwhile lets another node publish the same batch.
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(1000, 100 * failures)), stopping);
            }
        }
    }

    private BatchEvent ToBatchEvent(OutboxEntry e) => new(e.Channel, e.Event, e.Data, socketIds.SocketIdFor(e.Channel));

    private static bool IsTransient(Exception e) => e switch
    {
        PusherApiException api => api.IsTransient,
        PusherValidationException => false,
        OperationCanceledException => false,
        _ => true,
    };

    private static TimeSpan Backoff(int failures)
    {
        var ms = Math.Min(MaxBackoff.TotalMilliseconds, 250 * Math.Pow(2, failures - 1));
        return TimeSpan.FromMilliseconds(ms * (0.8 + Random.Shared.NextDouble() * 0.4));
    }
}
