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
