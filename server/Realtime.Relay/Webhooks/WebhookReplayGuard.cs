using System.Security.Cryptography;

namespace Realtime.Relay.Webhooks;

/// <summary>
/// Webhook bodies already handled, so a replay (or Pusher's own retry of a delivery that did
/// arrive) is acknowledged and ignored. A body is remembered until its <c>time_ms</c> is
/// older than <see cref="MaxAge"/> — from then on the age check refuses it anyway — and at
/// most <see cref="MaxRemembered"/> bodies are held; past that the ones closest to expiry go first.
/// </summary>
public sealed class WebhookReplayGuard(TimeProvider clock)
{
    /// <summary>How far <c>time_ms</c> may be from now, either way.</summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromMinutes(5);
    public const int MaxRemembered = 10_000;

    private readonly object _gate = new();
    private readonly Dictionary<string, DateTimeOffset> _expiryByBody = new(StringComparer.Ordinal);
    private readonly PriorityQueue<string, DateTimeOffset> _byExpiry = new();

    /// <summary>Bodies held now (for the memory bound's test and metrics).</summary>
    public int Remembered
    {
        get { lock (_gate) return _expiryByBody.Count; }
    }

    public bool IsFresh(DateTimeOffset sentAt) => (clock.GetUtcNow() - sentAt).Duration() <= MaxAge;

    /// <summary>
    /// The body's key when it is new (the caller now handles it, and calls <see cref="Release"/>
    /// if that fails so a retry is handled); null when it was seen before.
    /// </summary>
    public string? TryClaim(byte[] body, DateTimeOffset sentAt)
    {
        var key = Convert.ToHexString(SHA256.HashData(body));
        var now = clock.GetUtcNow();
        lock (_gate)
        {
            while (_byExpiry.TryPeek(out var oldest, out var expiry)
                   && (expiry < now || _expiryByBody.Count >= MaxRemembered || _expiryByBody.GetValueOrDefault(oldest) != expiry))
            {
                _byExpiry.Dequeue();
                if (_expiryByBody.GetValueOrDefault(oldest) == expiry) _expiryByBody.Remove(oldest);
            }
            if (_expiryByBody.ContainsKey(key)) return null;
            var until = sentAt + MaxAge;
            _expiryByBody[key] = until;
            _byExpiry.Enqueue(key, until);
            return key;
        }
    }

    public void Release(string key)
    {
        lock (_gate) _expiryByBody.Remove(key); // its queue entry is skipped when it comes up
    }
}
