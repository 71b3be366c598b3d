namespace Realtime.Relay.Storage;

/// <summary>
/// LiteDB hands dates back in local time (and keeps milliseconds only); documents pass every
/// date they read through <see cref="Utc"/> so comparisons never mix kinds.
/// </summary>
public static class UtcDates
{
    public static DateTime Utc(DateTime value) => value.Kind == DateTimeKind.Utc ? value : value.ToUniversalTime();

    public static DateTime? Utc(DateTime? value) => value is { } v ? Utc(v) : null;
}
