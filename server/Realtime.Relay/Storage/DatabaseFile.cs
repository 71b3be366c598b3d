using System.Globalization;
using System.Text;
using LiteDB;
using LiteDB.Engine;

namespace Realtime.Relay.Storage;

/// <summary>
/// Opening the relay's LiteDB file: refuse what is not a LiteDB file (never overwrite it), convert
/// an older file to binary collation, and read everything once so a damaged file stops start-up
/// with one line instead of answering 500 later.
/// </summary>
internal static class DatabaseFile
{
    private const int PageSize = 8192;
    private const int HeaderInfoOffset = 32;
    private static readonly byte[] HeaderInfo = Encoding.ASCII.GetBytes("** This is a LiteDB file **");

    /// <summary>Ids compare exactly: "Job-A" and "job-a" are two ids (case-insensitive was LiteDB's default).</summary>
    public static readonly Collation Binary = new(CultureInfo.InvariantCulture.LCID, CompareOptions.Ordinal);

    /// <summary>Opens <paramref name="path"/> (creating it if missing or empty) ready for the relay.</summary>
    public static ILiteEngine OpenAtStartup(string path, ILogger log)
    {
        var isNew = !File.Exists(path) || new FileInfo(path).Length == 0;
        if (!isNew) CheckHeader(path);
        ILiteEngine engine;
        try
        {
            engine = isNew ? new LiteEngine(new EngineSettings { Filename = path, Collation = Binary }) : Open(path);
        }
        catch (Exception e)
        {
            throw new StorageStartupException($"RELAY_DB_PATH {path} could not be opened ({Reason(e)}); restore it from a backup or move it away to start with an empty database.", e);
        }
        try
        {
            if (!isNew) ConvertToBinaryCollation(engine, path, log);
            ReadEverything(engine);
            return engine;
        }
        catch (Exception e)
        {
            try { engine.Dispose(); } catch (Exception) { /* the file is already known to be bad */ }
            if (e is StorageStartupException) throw;
            throw new StorageStartupException($"RELAY_DB_PATH {path} is damaged ({Reason(e)}); restore it from a backup or move it away to start with an empty database.", e);
        }
    }

    /// <summary>Opens a file that has passed start-up (after a storage failure).</summary>
    public static ILiteEngine Open(string path) => new LiteEngine(new EngineSettings { Filename = path });

    private static void CheckHeader(string path)
    {
        var length = new FileInfo(path).Length;
        var header = new byte[HeaderInfoOffset + HeaderInfo.Length];
        int read;
        using (var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
            read = file.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
        if (read < header.Length || !header.AsSpan(HeaderInfoOffset).SequenceEqual(HeaderInfo))
            throw new StorageStartupException($"RELAY_DB_PATH {path} is not a LiteDB database; the relay will not overwrite it. Point RELAY_DB_PATH at the relay's database file or at a new path.");
        if (length % PageSize != 0)
            throw new StorageStartupException($"RELAY_DB_PATH {path} is truncated ({length} bytes is not a whole number of pages); restore it from a backup or move it away to start with an empty database.");
    }

    /// <summary>LiteDB keeps the collation in the file: files made before ids compared exactly are rebuilt once.</summary>
    private static void ConvertToBinaryCollation(ILiteEngine engine, string path, ILogger log)
    {
        var collation = new Collation(engine.Pragma(Pragmas.COLLATION).AsString);
        if (collation.SortOptions == CompareOptions.Ordinal) return;
        log.LogWarning("Converting {Path} from collation {Old} to binary (ids compare exactly); a one-time rebuild", path, collation);
        try
        {
            engine.Rebuild(new RebuildOptions { Collation = Binary });
        }
        catch (Exception e)
        {
            throw new StorageStartupException($"RELAY_DB_PATH {path} could not be converted to binary collation ({Reason(e)}); free disk space next to it and start again.", e);
        }
    }

    /// <summary>Every document of every collection, so damage shows now rather than on some later request.</summary>
    private static void ReadEverything(ILiteEngine engine)
    {
        using var names = engine.Query("$cols", new Query());
        var collections = new List<string>();
        while (names.Read()) if (names.Current["type"].AsString == "user") collections.Add(names.Current["name"].AsString);
        foreach (var name in collections)
        {
            using var docs = engine.Query(name, new Query());
            while (docs.Read()) _ = docs.Current;
        }
    }

    private static string Reason(Exception e) => e.Message.ReplaceLineEndings(" ");
}
