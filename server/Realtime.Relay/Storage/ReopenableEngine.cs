using LiteDB;
using LiteDB.Engine;

namespace Realtime.Relay.Storage;

/// <summary>
/// The LiteDB engine behind the one <see cref="LiteDatabase"/> of the process, replaceable while
/// the process runs. LiteDB 5.0.21 leaves an engine unusable after a failed disk write (every
/// later call throws the same error, even once space is free), so the relay recovers by opening
/// a fresh engine on the same file. Collections handed out earlier keep working: they hold the
/// database, and the database holds this.
/// </summary>
internal sealed class ReopenableEngine(ILiteEngine first) : ILiteEngine
{
    private volatile ILiteEngine _current = first;

    public ILiteEngine Current => _current;

    /// <summary>Puts <paramref name="next"/> in place and returns the engine it replaced.</summary>
    public ILiteEngine Swap(ILiteEngine next) => Interlocked.Exchange(ref _current, next);

    public int Checkpoint() => _current.Checkpoint();
    public long Rebuild(RebuildOptions options) => _current.Rebuild(options);
    public bool BeginTrans() => _current.BeginTrans();
    public bool Commit() => _current.Commit();
    public bool Rollback() => _current.Rollback();
    public IBsonDataReader Query(string collection, Query query) => _current.Query(collection, query);
    public int Insert(string collection, IEnumerable<BsonDocument> docs, BsonAutoId autoId) => _current.Insert(collection, docs, autoId);
    public int Update(string collection, IEnumerable<BsonDocument> docs) => _current.Update(collection, docs);
    public int UpdateMany(string collection, BsonExpression transform, BsonExpression predicate) => _current.UpdateMany(collection, transform, predicate);
    public int Upsert(string collection, IEnumerable<BsonDocument> docs, BsonAutoId autoId) => _current.Upsert(collection, docs, autoId);
    public int Delete(string collection, IEnumerable<BsonValue> ids) => _current.Delete(collection, ids);
    public int DeleteMany(string collection, BsonExpression predicate) => _current.DeleteMany(collection, predicate);
    public bool DropCollection(string name) => _current.DropCollection(name);
    public bool RenameCollection(string name, string newName) => _current.RenameCollection(name, newName);
    public bool EnsureIndex(string collection, string name, BsonExpression expression, bool unique) => _current.EnsureIndex(collection, name, expression, unique);
    public bool DropIndex(string collection, string name) => _current.DropIndex(collection, name);
    public BsonValue Pragma(string name) => _current.Pragma(name);
    public bool Pragma(string name, BsonValue value) => _current.Pragma(name, value);

    public void Dispose() => _current.Dispose();
}

/// <summary>Stands in for an engine that could not be opened: every call says storage is unavailable.</summary>
internal sealed class UnavailableEngine(string reason) : ILiteEngine
{
    private StorageUnavailableException Fail() => new(reason);

    public int Checkpoint() => throw Fail();
    public long Rebuild(RebuildOptions options) => throw Fail();
    public bool BeginTrans() => throw Fail();
    public bool Commit() => throw Fail();
    public bool Rollback() => false;
    public IBsonDataReader Query(string collection, Query query) => throw Fail();
    public int Insert(string collection, IEnumerable<BsonDocument> docs, BsonAutoId autoId) => throw Fail();
    public int Update(string collection, IEnumerable<BsonDocument> docs) => throw Fail();
    public int UpdateMany(string collection, BsonExpression transform, BsonExpression predicate) => throw Fail();
    public int Upsert(string collection, IEnumerable<BsonDocument> docs, BsonAutoId autoId) => throw Fail();
    public int Delete(string collection, IEnumerable<BsonValue> ids) => throw Fail();
    public int DeleteMany(string collection, BsonExpression predicate) => throw Fail();
    public bool DropCollection(string name) => throw Fail();
    public bool RenameCollection(string name, string newName) => throw Fail();
    public bool EnsureIndex(string collection, string name, BsonExpression expression, bool unique) => throw Fail();
    public bool DropIndex(string collection, string name) => throw Fail();
    public BsonValue Pragma(string name) => throw Fail();
    public bool Pragma(string name, BsonValue value) => throw Fail();
    public void Dispose() { }
}
