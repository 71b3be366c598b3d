using LiteDB;

namespace Realtime.Relay.Storage;

/// <summary>
/// The database file cannot be written or read right now (disk full, read-only, I/O error).
/// Requests answer 503 <c>storage_unavailable</c>; the relay retries on its own and recovers
/// once the cause is gone.
/// </summary>
public sealed class StorageUnavailableException(string reason, Exception? inner = null)
    : Exception("Storage is unavailable: " + reason, inner)
{
    public string Reason { get; } = reason;
}

/// <summary>The database file cannot be used at start-up; start-up stops with this one line.</summary>
public sealed class StorageStartupException(string message, Exception? inner = null) : Exception(message, inner);

public static class StorageFailures
{
    /// <summary>
    /// Whether <paramref name="e"/> came from the disk rather than from the write's own logic: the
    /// operating system refused (disk full, read-only, I/O error), or LiteDB found its engine or
    /// file unusable. A write failing this way says nothing about the write itself.
    /// </summary>
    public static bool IsStorageFailure(Exception e) => e switch
    {
        StorageUnavailableException => true,
        IOException => true,
        UnauthorizedAccessException => true,
        ObjectDisposedException => true,
        LiteException lite => lite.ErrorCode is LiteException.INVALID_DATABASE or LiteException.FILE_NOT_FOUND
            or LiteException.LOCK_TIMEOUT or LiteException.INVALID_DATAFILE_STATE,
        _ => e.InnerException is { } inner && IsStorageFailure(inner),
    };

    /// <summary>A short reason for operators (no stack trace, no internals beyond the OS message).</summary>
    public static string Describe(Exception e) => e switch
    {
        StorageUnavailableException s => s.Reason,
        _ when e.InnerException is { } inner && e is not IOException => Describe(inner),
        _ => e.Message,
    };
}
