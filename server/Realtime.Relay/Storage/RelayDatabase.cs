using LiteDB;
using Realtime.Relay.Configuration;
using Realtime.Relay.Meta;

namespace Realtime.Relay.Storage;

/// <summary>
/// The one LiteDB file of the process (direct mode, shared by all threads). LiteDB
/// transactions belong to a thread: code that uses <see cref="Database"/> must not hold a
/// transaction across an await. Disposed (checkpointed) when the host stops.
/// </summary>
public sealed class RelayDatabase : IDisposable
{
    public RelayDatabase(RelaySettings settings, ILogger<RelayDatabase> log)
    {
        var path = Path.GetFullPath(settings.DatabasePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        Database = new LiteDatabase(new ConnectionString { Filename = path, Connection = ConnectionType.Direct }, Mapper);
        FilePath = path;
        log.LogInformation("LiteDB open at {Path}", path);
    }

    /// <summary>Documents map by property name; ids are the <c>Id</c> property.</summary>
    public static BsonMapper Mapper { get; } = new() { EnumAsInteger = false };

    public LiteDatabase Database { get; }

    public string FilePath { get; }

    public ILiteCollection<T> Collection<T>(string name) => Database.GetCollection<T>(name);

    public void Dispose()
    {
        Database.Checkpoint();
        Database.Dispose();
    }
}

/// <summary>Ready once the LiteDB file answers a read.</summary>
public sealed class DatabaseReadinessCheck(RelayDatabase db) : IReadinessCheck
{
    public string Name => "litedb";

    public Task<ReadinessResult> CheckAsync(CancellationToken cancellationToken)
    {
        _ = db.Database.GetCollectionNames().Count();
        return Task.FromResult(ReadinessResult.Ok(db.FilePath));
    }
}

public static class StorageSetup
{
    public static IServiceCollection AddRelayStorage(this IServiceCollection services)
    {
        services.AddSingleton<RelayDatabase>();
        services.AddSingleton<StoreWriter>();
        services.AddHostedService(sp => sp.GetRequiredService<StoreWriter>());
        services.AddSingleton<IReadinessCheck, DatabaseReadinessCheck>();
        return services;
    }
}
