using LiteDB;
using Realtime.Relay.Configuration;
using Realtime.Relay.Meta;
using Realtime.Relay.Storage.LiteDb;
using Realtime.Relay.Storage.Redis;

namespace Realtime.Relay.Storage;

/// <summary>
/// The one LiteDB file of the process (direct mode, shared by all threads). LiteDB
/// transactions belong to a thread: code that uses <see cref="Database"/> must not hold a
/// transaction across an await. Disposed (checkpointed) when the host stops.
/// When the disk fails (full, read-only, I/O error) the <see cref="StoreWriter"/> marks it
/// unavailable and reopens it until a write succeeds again.
/// </summary>
public sealed class RelayDatabase : IDisposable
{
    private readonly ReopenableEngine _engine;
    private readonly ILogger<RelayDatabase> _log;
    private volatile string? _unavailableReason;

    public RelayDatabase(RelaySettings settings, ILogger<RelayDatabase> log)
    {
        _log = log;
        FilePath = Path.GetFullPath(settings.DatabasePath);
        try { Directory.CreateDirectory(Path.GetDirectoryName(FilePath)!); }
        catch (Exception e) { throw new StorageStartupException($"RELAY_DB_PATH {FilePath}: its folder cannot be created ({e.Message})", e); }
        _engine = new ReopenableEngine(DatabaseFile.OpenAtStartup(FilePath, log));
        Database = new LiteDatabase(_engine, Mapper, disposeOnClose: true);
        log.LogInformation("LiteDB open at {Path}", FilePath);
    }

    /// <summary>Documents map by property name; ids are the <c>Id</c> property.</summary>
    public static BsonMapper Mapper { get; } = LiteDbDocuments.Configure(new BsonMapper { EnumAsInteger = false });

    public LiteDatabase Database { get; }

    public string FilePath { get; }

    /// <summary>Why storage cannot be used right now; null while it works.</summary>
    public string? UnavailableReason => _unavailableReason;


    public ILiteCollection<T> Collection<T>(string name)
    {
        MapOnce(typeof(T));
        return Database.GetCollection<T>(name);
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<Type, bool> Mapped = new();
    private static readonly Lock MappingGate = new();

    /// <summary>
    /// Builds the mapper's entity map for a document type, and for the types of its assembly that
    /// it contains, on one thread. LiteDB 5.0.21's BsonMapper publishes an entity map before its
    /// members are filled in, so threads touching a type for the first time together can fail with
    /// "Member X not found on BsonMapper" or lose nested values (LiteDB issues 2536 and 2563).
    /// </summary>
    private static void MapOnce(Type type)
    {
        if (Mapped.ContainsKey(type)) return;
        lock (MappingGate)
        {
            var pending = new Stack<Type>([type]);
            var seen = new HashSet<Type>();
            while (pending.TryPop(out var next))
            {
                if (Mapped.ContainsKey(next) || !seen.Add(next)) continue;
                Mapper.ToDocument(next, System.Runtime.CompilerServices.RuntimeHelpers.GetUninitializedObject(next));
                foreach (var property in next.GetProperties())
                {
                    var member = property.PropertyType;
                    var element = member.IsArray ? member.GetElementType()
                        : member.IsGenericType ? member.GetGenericArguments().LastOrDefault() : member;
                    if (element is { IsClass: true } && element.Assembly == type.Assembly) pending.Push(element);
                }
            }
            // Only now, fully built, may other threads skip the gate for these types.
            foreach (var built in seen) Mapped[built] = true;
        }
    }

    /// <summary>Fails fast while storage is known to be unavailable.</summary>
    public void ThrowIfUnavailable()
    {
        if (_unavailableReason is { } reason) throw new StorageUnavailableException(reason);
    }

    internal void MarkUnavailable(string reason)
    {
        if (_unavailableReason is null) _log.LogError("Storage unavailable: {Reason}", reason);
        _unavailableReason = reason;
    }

    internal void MarkAvailable()
    {
        if (_unavailableReason is null) return;
        _unavailableReason = null;
        _log.LogWarning("Storage available again");
    }

    /// <summary>
    /// Drops the current engine (best effort: after a disk failure its own clean-up may fail too)
    /// and opens the file again. False if it cannot be opened; every call then answers
    /// <see cref="StorageUnavailableException"/> until a later reopen works.
    /// </summary>
    internal bool Reopen(string reason)
    {
        var old = _engine.Swap(new UnavailableEngine(reason));
        try { old.Dispose(); }
        catch (Exception e) { _log.LogDebug("Closing the failed LiteDB engine: {Reason}", e.Message); }
        try
        {
            _engine.Swap(DatabaseFile.Open(FilePath));
            return true;
        }
        catch (Exception e)
        {
            _log.LogDebug("Reopening LiteDB failed: {Reason}", e.Message);
            return false;
        }
    }

    public void Dispose()
    {
        try { Database.Checkpoint(); }
        catch (Exception e) { _log.LogWarning("Checkpoint at shutdown failed: {Reason}", StorageFailures.Describe(e)); }
        try { Database.Dispose(); }
        catch (Exception e) { _log.LogWarning("Closing LiteDB failed: {Reason}", StorageFailures.Describe(e)); }
    }
}

/// <summary>Ready while the LiteDB file answers and the last write did not fail on the disk.</summary>
public sealed class DatabaseReadinessCheck(RelayDatabase db) : IReadinessCheck
{
    public string Name => "litedb";

    public Task<ReadinessResult> CheckAsync(CancellationToken cancellationToken)
    {
        if (db.UnavailableReason is { } reason) return Task.FromResult(ReadinessResult.NotReady("storage unavailable: " + reason));
        _ = db.Database.GetCollectionNames().Count();
        return Task.FromResult(ReadinessResult.Ok(db.FilePath));
    }
}

public static class StorageSetup
{
    /// <summary>
    /// The stores of every aggregate on the engine <c>RELAY_STORE</c> names (docs/storage.md): the
    /// LiteDB file and its one writer, or Redis.
    /// </summary>
    public static IServiceCollection AddRelayStorage(this IServiceCollection services, IConfiguration configuration)
    {
        var engine = configuration.GetSection(RelaySettings.Section).Get<StoreSettings>() ?? new StoreSettings();
        if (engine.UsesRedis) return services.AddRedisStores();
        services.AddSingleton<RelayDatabase>();
        services.AddSingleton<StoreWriter>();
        services.AddHostedService(sp => sp.GetRequiredService<StoreWriter>());
        services.AddSingleton<IStorageRecovery>(sp => sp.GetRequiredService<StoreWriter>());
        services.AddSingleton<IReadinessCheck, DatabaseReadinessCheck>();
        services.AddLiteDbStores();
        return services;
    }
}
